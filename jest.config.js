// Jest 30 in ES-module mode (run with NODE_OPTIONS=--experimental-vm-modules, see scripts/test.mjs):
// the generated Prisma client is ES-module TypeScript with .ts imports, and p-limit 7 is ESM-only.
/** @type {import('jest').Config} */
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\.ts$": ["@swc/jest", { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } }],
  },
  testMatch: ["<rootDir>/{apps,packages}/*/{src,test}/**/*.test.ts"],
  globalSetup: "<rootDir>/scripts/jest-global-setup.js",
  globalTeardown: "<rootDir>/scripts/jest-global-teardown.js",
  testTimeout: 30_000,
  maxWorkers: 2,
};
