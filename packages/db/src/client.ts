import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export interface DbOptions {
  /** Pool size; workers size it to their concurrency. */
  maxConnections?: number;
}

/** The one way apps get a database client: Prisma 7 over the pg driver adapter. */
export function createDb(databaseUrl: string, options: DbOptions = {}) {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  return new PrismaClient({ adapter });
}

export type Db = ReturnType<typeof createDb>;

/** The client inside db.$transaction(async (tx) => ...): repositories that may run in one accept Db | DbTx. */
export type DbTx = Parameters<Parameters<Db["$transaction"]>[0]>[0];
