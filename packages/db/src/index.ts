export { createDb, type Db, type DbOptions } from "./client.ts";
export * from "./database.ts";
export { applyMigrations, diffMigrationsToSchema } from "./migrations.ts";
export * from "./repositories/signals.ts";
export * from "./seed/index.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type { EngagementLevel, EngagementSource, RunStatus, RunTrigger } from "./generated/prisma/enums.ts";
export * from "./repositories/runs.ts";
