import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client.ts";

export interface DbOptions {
  /** Pool size; workers size it to their concurrency. */
  maxConnections?: number;
  /**
   * false: the connections run no parallel query plans (max_parallel_workers_per_gather = 0). For the API: its
   * queries are short and many at once, and starting parallel workers for each cost more than it saved; at 200
   * requests/s on a 1,000,000-member organisation the level-filtered list went from p50 1,155 ms (queued behind
   * parallel plans) to 5 ms, the summary from 78 to 164 answers/s (BENCHMARKS.md). Batch work keeps them.
   */
  parallelQueries?: boolean;
}

// The pool behind each client: bulk imports stream rows with COPY, which Prisma cannot do, on a connection of
// the same pool (so the pool's size still bounds what a process opens).
const pools = new WeakMap<object, pg.Pool>();
const urls = new WeakMap<object, string>();

/** The one way apps get a database client: Prisma 7 over the pg driver adapter. */
export function createDb(databaseUrl: string, options: DbOptions = {}) {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    ...(options.parallelQueries === false ? { options: "-c max_parallel_workers_per_gather=0" } : {}),
  });
  // An idle connection the server closed (a restart, pg_terminate_backend) is dropped by the pool and the next
  // query opens a new one; without a listener the pool's 'error' event would end the process. The adapter adds
  // its own listener only once Prisma connects, and COPY may use the pool before that.
  pool.on("error", () => {});
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter }).$extends({
    query: {
      // A statement whose connection the server ended (a restart, a failover, pg_terminate_backend) is sent again
      // on a new one at once, rather than failing the job for a retry tens of seconds later; a write only when the
      // error shows it did not take effect (below). Inside an interactive transaction the resend fails too (the
      // transaction went with its connection) and that error is thrown.
      $allOperations: ({ operation, args, query }) => retryLostConnection(() => query(args), READS.has(operation)),
    },
  });
  pools.set(db, pool);
  urls.set(db, databaseUrl);
  return db;
}

/**
 * Errors of a connection lost under a statement: SQLSTATE 57P01-57P03 (terminated by an administrator, a crash,
 * a server starting up) and class 08 (connection exceptions), or the driver's own words for a dropped socket.
 * Read from the message and the driver adapter's cause, which Prisma keeps in `meta`.
 */
const LOST_CONNECTION =
  /\b57P0[123]\b|\b08(?:000|001|003|004|006|007|P01)\b|Connection terminated|ECONNRESET|ECONNREFUSED|EPIPE|server closed the connection|Server has closed the connection|is not queryable/i;

export function isLostConnection(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { message, meta, cause } = err as { message?: unknown; meta?: unknown; cause?: unknown };
  return LOST_CONNECTION.test(
    `${String(message ?? "")} ${JSON.stringify(meta ?? null)} ${String((cause as Error | undefined)?.message ?? "")}`,
  );
}

/** Operations that only read: sending one twice cannot change anything. Raw queries may write, so they are not here. */
const READS = new Set(["findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "count", "aggregate", "groupBy"]);

/**
 * Lost connections that prove the statement did not take effect: the server ended the session with a FATAL
 * (57P01-57P03; it aborts the statement's transaction, and holds such interrupts off while committing), or no
 * connection was made at all, or the driver refused to send it on a connection it already knew was broken
 * (node-postgres's "Client has encountered a connection error and is not queryable"). A socket that died under the statement (ECONNRESET, "Connection terminated") is
 * ambiguous: the server may have committed before the answer was lost, and a write sent again could insert an
 * audit row twice or count a 429 twice.
 */
const NOT_APPLIED = /\b57P0[123]\b|\b08(?:001|004)\b|ECONNREFUSED|is not queryable/i;

export function lostBeforeApplied(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { message, meta, cause } = err as { message?: unknown; meta?: unknown; cause?: unknown };
  return NOT_APPLIED.test(
    `${String(message ?? "")} ${JSON.stringify(meta ?? null)} ${String((cause as Error | undefined)?.message ?? "")}`,
  );
}

/** Lost connections are retried at once, then after 50, 200 and 500 ms: a restarting server gets a moment. */
const RETRY_DELAYS_MS = [0, 50, 200, 500];

/** Reads are sent again after any lost connection; writes only when the error shows they did not take effect. */
async function retryLostConnection<T>(run: () => Promise<T>, isRead: boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      const delay = RETRY_DELAYS_MS[attempt];
      const resend = isRead ? isLostConnection(err) : lostBeforeApplied(err);
      if (delay === undefined || !resend) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
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

/**
 * A connection of its own, outside the pool (whose idle connections are closed after a while), for one that must
 * live as long as something else does: the import stages' owner (import-stage.ts). End it when done.
 */
export function dedicatedConnection(db: Db): pg.Client {
  const url = urls.get(db);
  if (!url) throw new Error("dedicatedConnection needs a client made by createDb");
  return new pg.Client({ connectionString: url });
}
