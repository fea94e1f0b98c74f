// Holding a worker at a chosen statement, so a kill lands exactly there: the test takes a lock in a transaction of
// its own, waits until PostgreSQL shows the worker's statement waiting for it (pg_stat_activity), and then acts.
// Everything here stays inside the test's own cloned database.
import type { Db } from "@engagement/db";

/**
 * Runs `statements` in a transaction of its own, held open while `fn` runs and rolled back when it ends, however it
 * ends: a step of `fn` that throws (a timeout, a failed expectation) would otherwise leave the locks held until
 * Prisma's 120 s transaction timeout, blocking the worker's statements and the test's own teardown meanwhile.
 * What `fn` returns is passed on, so a test can measure after the release what it started while the locks held.
 */
export async function withHeldLocks<T>(db: Db, statements: string[], fn: () => Promise<T>): Promise<T> {
  const lock = await holdLocks(db, statements);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

async function holdLocks(db: Db, statements: string[]): Promise<{ release(): Promise<void> }> {
  let taken: () => void = () => {};
  let release: () => void = () => {};
  const locked = new Promise<void>((resolve) => {
    taken = resolve;
  });
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  // Rolled back at the end: the transaction only ever held locks.
  const transaction = db
    .$transaction(
      async (tx) => {
        for (const sql of statements) await tx.$executeRawUnsafe(sql);
        taken();
        await released;
        throw new Released();
      },
      { timeout: 120_000 },
    )
    .catch((err: unknown) => {
      if (!(err instanceof Released)) throw err;
    });
  await Promise.race([locked, transaction]);
  return {
    async release() {
      release();
      await transaction;
    },
  };
}

class Released extends Error {}

export interface BlockedStatement {
  pid: number;
  query: string;
}

/** Statements of this database waiting for a lock whose text contains `fragment`. */
export async function blockedStatements(db: Db, fragment: string): Promise<BlockedStatement[]> {
  return db.$queryRaw<BlockedStatement[]>`
    SELECT pid, query FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
      AND position(${fragment} in query) > 0`;
}

/** Waits until at least `count` statements containing `fragment` wait for a lock; returns them. */
export async function waitForBlocked(db: Db, fragment: string, count = 1, timeoutMs = 30_000): Promise<BlockedStatement[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const blocked = await blockedStatements(db, fragment);
    if (blocked.length >= count) return blocked;
    if (Date.now() > deadline) throw new Error(`${blocked.length} of ${count} statements with "${fragment}" blocked after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Ends these backends (of the test's own database) without their statement running: what a process killed before
 * its statement reached the server leaves. A statement merely waiting would otherwise run, and commit, once the
 * lock is released, although its client is gone.
 */
export async function terminate(db: Db, blocked: BlockedStatement[]): Promise<void> {
  const pids = blocked.map((b) => b.pid);
  if (pids.length === 0) return;
  await db.$queryRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(${pids}::int[]) AND datname = current_database()`;
  // pg_terminate_backend only signals: wait until they are gone, or a release could still let one run.
  for (let i = 0; i < 200; i++) {
    const left = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY(${pids}::int[])`;
    if (left[0]?.n === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`backends ${pids.join(", ")} still there after pg_terminate_backend`);
}
