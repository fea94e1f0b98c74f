import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export interface DbOptions {
  /** Pool size; workers size it to their concurrency. */
  maxConnections?: number;
}

// The pool behind each client: bulk imports stream rows with COPY, which Prisma cannot do, on a connection of
// the same pool (so the pool's size still bounds what a process opens).
const pools = new WeakMap<object, pg.Pool>();

/** The one way apps get a database client: Prisma 7 over the pg driver adapter. */
export function createDb(databaseUrl: string, options: DbOptions = {}) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  // An idle connection the server closed (a restart, pg_terminate_backend) is dropped by the pool and the next
  // query opens a new one; without a listener the pool's 'error' event would end the process. The adapter adds
  // its own listener only once Prisma connects, and COPY may use the pool before that.
  pool.on("error", () => {});
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter });
  pools.set(db, pool);
  return db;
}

export type Db = ReturnType<typeof createDb>;

/** The client inside db.$transaction(async (tx) => ...): repositories that may run in one accept Db | DbTx. */
export type DbTx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

/** A connection of the client's own pool, for what only the driver can do (COPY). Release it when done. */
export function driverConnection(db: Db): Promise<pg.PoolClient> {
  const pool = pools.get(db);
  if (!pool) throw new Error("driverConnection needs a client made by createDb");
  return pool.connect();
}
