// Used by the Prisma CLI. `prisma generate` runs offline through scripts/generate.mjs; where Prisma's native
// schema engine can be downloaded, `pnpm --filter @engagement/db exec prisma migrate deploy` applies the same
// prisma/migrations folder as our WebAssembly-based `pnpm db:migrate`.
import { defineConfig } from "prisma/config";
import { databaseUrlFromEnv } from "./src/env.ts";

export default defineConfig({
  schema: "../../prisma/schema.prisma",
  migrations: { path: "../../prisma/migrations" },
  datasource: { url: databaseUrlFromEnv() },
});
