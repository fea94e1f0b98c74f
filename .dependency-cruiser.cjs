// The rooms of the house and which may import which (README "Rooms"). `npm run check` runs this; a forbidden
// import fails the check with the rule's name and the reason below.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "Files that import each other in a loop cannot be understood (or tested) one at a time.",
      from: {},
      to: { circular: true },
    },
    {
      name: "domain-does-no-io",
      severity: "error",
      comment: "The engagement domain takes plain data and returns plain data: no HTTP, queue, database or SDK, and no other room of ours.",
      from: { path: "^packages/engagement/src/" },
      to: {
        path: [
          "node_modules/(bullmq|ioredis|pg|fastify|jose|pino|@prisma/[^/]+|@anthropic-ai/sdk|@fastify/[^/]+)/",
          "^packages/(db|queue|anthropic|use-cases|auth|cli|eval|runtime|fake-anthropic)/",
          "^apps/",
        ],
      },
    },
    {
      name: "domain-does-no-io-core",
      severity: "error",
      comment: "No Node built-in (network, files, processes, workers) in the domain; its tests may use them.",
      from: { path: "^packages/engagement/src/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "only-the-data-package-holds-prisma",
      severity: "error",
      comment: "Apps and other packages use the data package's repositories, never the Prisma client or @prisma/*.",
      from: { pathNot: "^packages/db/" },
      to: { path: ["node_modules/@prisma/[^/]+/", "^packages/db/src/generated/"] },
    },
    {
      name: "apps-import-no-other-app",
      severity: "error",
      comment: "What two apps share belongs in a package.",
      from: { path: "^apps/([^/]+)/" },
      to: { path: "^apps/", pathNot: "^apps/$1/" },
    },
    {
      name: "packages-import-no-app",
      severity: "error",
      comment: "Apps are thin wiring over packages; a package that imports an app turns that upside down.",
      from: { path: "^packages/" },
      to: { path: "^apps/" },
    },
    {
      name: "the-job-catalog-knows-no-database",
      severity: "error",
      comment: "The queue package is the job catalog and Redis; what combines queues and the database is a use case.",
      from: { path: "^packages/queue/" },
      to: { path: "^packages/(db|use-cases)/" },
    },
    {
      name: "the-data-package-knows-no-queue",
      severity: "error",
      comment: "Repositories know no queue and no outside service (they may use the domain's plain types and schemas).",
      from: { path: "^packages/db/" },
      to: { path: ["^packages/(queue|use-cases|anthropic|auth)/", "node_modules/(bullmq|@anthropic-ai/sdk)/"] },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      comment: "An import that does not resolve is a missing dependency.",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Not followed (their own imports are not ours to check), but kept in the graph: excluding them would make
    // every rule about importing them unable to fire.
    doNotFollow: { path: ["node_modules", "/generated/"] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    combinedDependencies: true,
  },
};
