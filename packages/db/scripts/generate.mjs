// Runs `prisma generate` offline.
// The Prisma CLI resolves (and would download) its schema-engine binary before any command, although `generate`
// never uses it. Pointing PRISMA_SCHEMA_ENGINE_BINARY at an existing executable skips that download; migrations
// use the WebAssembly schema engine instead (scripts/migrate.ts). A real engine configured by the user wins.
import { spawnSync } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;

const result = spawnSync("prisma", ["generate"], { stdio: "inherit", env, cwd: resolve(here, "..") });
process.exit(result.status ?? 1);
