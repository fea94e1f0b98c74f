// The fast path for imports: rows are streamed with COPY into an unlogged staging table of their own, then
// checked and applied set-based inside the import's transaction. COPY runs on a connection of its own (Prisma
// cannot speak it), so the staging table is an ordinary table, committed, that the transaction can read; it is
// dropped when the import ends, and one left behind by a killed process is dropped by the next import (see
// acquireOwner: a table's name says which live connection vouches for it).
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { type Db, type DbTx, dedicatedConnection, driverConnection } from "../client.ts";

export interface StageColumn {
  name: string;
  /** A PostgreSQL type, e.g. "text" or "timestamptz(3)" (the precision the stored columns have). */
  type: string;
}

export type StageValue = string | number | Date | null | undefined;

/** A table of staged rows: `position` (where the sender will look for the row) and the kind's columns. */
export interface Stage {
  readonly table: string;
  /** Rows written so far. */
  readonly rows: number;
  write(position: number, values: StageValue[]): Promise<void>;
  /** Ends the COPY; the rows are then visible to any transaction. */
  finish(): Promise<void>;
  /** Drops the table (also after a failed COPY); safe to call twice. */
  drop(): Promise<void>;
}

const PREFIX = "import_stage_";
/** A staging table without an owner in its name (made before owners were) is left for this long: a day. */
const STALE_MS = 24 * 60 * 60 * 1000;
/** COPY data is sent in chunks of about this size rather than a write per row. */
const CHUNK_BYTES = 256 * 1024;

const ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One value in COPY's text format: NULL as \N, backslash, tab and line breaks escaped. */
function copyValue(value: StageValue): string {
  if (value === null || value === undefined) return "\\N";
  const text = value instanceof Date ? value.toISOString() : String(value);
  return text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] as string);
}

/**
 * The owner of a process's staging tables: one connection outside the pool, open while any of its stages exists,
 * whose backend pid each table's name carries. A table whose owner's backend is gone (the process was killed, or
 * it lost that connection) belongs to nobody and is dropped by the next import at once, rather than a day later
 * with the names and emails it holds. The pool's own connections cannot vouch: they come and go while a stage lives.
 */
interface StageOwner {
  /** The owner's backend, told apart from a later one with the same pid by its start (ms, server clock). */
  pid: number;
  startedMs: string;
}
interface OwnerEntry {
  owner: Promise<StageOwner>;
  client: pg.Client;
  /** Stages open under this owner; counted synchronously, so a stage never gets an owner being closed. */
  stages: number;
}
const owners = new WeakMap<Db, OwnerEntry>();

function acquireOwner(db: Db): OwnerEntry {
  let entry = owners.get(db);
  if (!entry) {
    const client = dedicatedConnection(db);
    const owner = (async () => {
      await client.connect();
      const { rows } = await client.query<{ pid: number; started: string }>(
        `SELECT pid, floor(extract(epoch FROM backend_start) * 1000)::bigint::text AS started
         FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
      );
      const row = rows[0] as { pid: number; started: string };
      return { pid: row.pid, startedMs: row.started };
    })();
    const created: OwnerEntry = { owner, client, stages: 0 };
    const forget = () => {
      if (owners.get(db) === created) owners.delete(db);
    };
    // A lost owner connection: the next stage gets a new owner. The stages of this one look abandoned although
    // their import runs on; a DROP by another import then waits for the transaction that reads them, or makes
    // this import fail with the table missing (nothing half-written: each file is one transaction).
    client.on("error", forget);
    owner.catch(forget);
    owners.set(db, created);
    entry = created;
  }
  entry.stages++;
  return entry;
}

async function releaseOwner(db: Db, entry: OwnerEntry): Promise<void> {
  entry.stages--;
  if (entry.stages > 0) return;
  if (owners.get(db) === entry) owners.delete(db);
  await entry.client.end().catch(() => undefined);
}

/**
 * Drops staging tables whose owner is gone: no backend has the pid and start their name carries (a process that
 * was killed, or a newer backend that reused the pid). Names without an owner (made before owners were) keep the
 * old rule: dropped once a day old.
 */
async function dropStale(conn: pg.PoolClient): Promise<void> {
  const { rows } = await conn.query<{ name: string; owned: boolean }>(
    `SELECT t.tablename AS name,
            EXISTS (SELECT 1 FROM pg_stat_activity a
                    WHERE a.pid::text = split_part(t.tablename, '_', 4)
                      AND floor(extract(epoch FROM a.backend_start) * 1000)::bigint::text = split_part(t.tablename, '_', 3)) AS owned
     FROM pg_tables t WHERE t.schemaname = current_schema() AND t.tablename LIKE 'import\\_stage\\_%'`,
  );
  for (const { name, owned } of rows) {
    const parts = name.slice(PREFIX.length).split("_");
    // import_stage_<owner start>_<owner pid>_<random>, or the older import_stage_<start>_<random>.
    const stale = parts.length === 3 ? !owned : Date.now() - Number(parts[0]) > STALE_MS;
    if (stale) await conn.query(`DROP TABLE IF EXISTS "${name}"`);
  }
}

/** Creates a staging table and opens the COPY into it. */
export async function openStage(db: Db, columns: StageColumn[]): Promise<Stage> {
  const owner = acquireOwner(db);
  let table: string;
  let conn: pg.PoolClient;
  try {
    const { startedMs, pid } = await owner.owner;
    table = `${PREFIX}${startedMs}_${pid}_${randomBytes(6).toString("hex")}`;
    conn = await driverConnection(db);
  } catch (err) {
    await releaseOwner(db, owner);
    throw err;
  }
  let released = false;
  const release = (err?: Error) => {
    if (released) return;
    released = true;
    conn.release(err);
  };
  try {
    await dropStale(conn);
    // UNLOGGED: rows that exist only for the length of one import need no write-ahead log.
    const defs = columns.map((c) => `"${c.name}" ${c.type}`).join(", ");
    await conn.query(`CREATE UNLOGGED TABLE "${table}" (position integer NOT NULL, ${defs})`);
  } catch (err) {
    release(err as Error);
    await releaseOwner(db, owner);
    throw err;
  }
  const names = ["position", ...columns.map((c) => c.name)].map((n) => `"${n}"`).join(", ");
  const copy = conn.query(copyFrom(`COPY "${table}" (${names}) FROM STDIN`));
  // The COPY's outcome: rejects as soon as the server refuses a row, so write() fails fast.
  let failed = false;
  const done = new Promise<void>((resolve, reject) => {
    copy.once("finish", resolve);
    // A listener for good: a later error (the stream destroyed after the server refused the COPY) must not be an
    // unhandled 'error' event, which would end the process.
    copy.on("error", (err) => {
      failed = true;
      reject(err);
    });
  });
  done.catch(() => {});
  let buffer = "";
  let rows = 0;
  let dropped = false;
  let finished = false;
  const flush = async () => {
    if (buffer === "") return;
    const chunk = buffer;
    buffer = "";
    // Backpressure: wait for the socket to drain rather than hold the whole file in memory.
    if (!copy.write(chunk)) await Promise.race([once(copy, "drain"), done]);
  };
  return {
    table,
    get rows() {
      return rows;
    },
    async write(position, values) {
      buffer += `${position}\t${values.map(copyValue).join("\t")}\n`;
      rows++;
      if (buffer.length >= CHUNK_BYTES) await flush();
    },
    async finish() {
      await flush();
      copy.end();
      await done;
      finished = true;
      // Fresh statistics: the checks and the upsert join the staged rows with large tables.
      await conn.query(`ANALYZE "${table}"`);
      // The table stays; the connection goes back to the pool, where the import's transaction will need it.
      release();
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      if (!finished && !failed) {
        // An abandoned COPY (the input failed to parse): end it normally, then drop the table with what it got.
        // Destroying the stream instead can leave the connection in COPY mode when no row was sent yet, and the
        // DROP below would wait for ever.
        copy.end();
        await done.catch(() => {});
      }
      // After finish() the COPY's connection is back in the pool: drop on whichever connection the pool gives.
      const own = !released;
      const dropper = own ? conn : await driverConnection(db);
      const give = (err?: Error) => (own ? release(err) : dropper.release(err));
      try {
        await dropper.query(`DROP TABLE IF EXISTS "${table}"`);
        give();
      } catch (err) {
        give(err as Error);
      } finally {
        await releaseOwner(db, owner);
      }
    },
  };
}

/** The staged rows, `size` at a time in position order, read inside the import's transaction. */
export async function* stagedChunks<T>(tx: DbTx, table: string, select: string, size: number, where = "TRUE"): AsyncGenerator<T[]> {
  let after = -1;
  for (;;) {
    const chunk = await tx.$queryRawUnsafe<(T & { position: number })[]>(
      `SELECT position, ${select} FROM "${table}" s WHERE s.position > $1 AND (${where}) ORDER BY s.position LIMIT ${size}`,
      after,
    );
    if (chunk.length === 0) return;
    after = (chunk[chunk.length - 1] as { position: number }).position;
    yield chunk;
  }
}

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** What an import's apply step is told: whether refused rows already stop it (all or nothing), and by whom. */
export interface ApplyOptions {
  /** Apply the good rows and report the bad; otherwise one bad row means nothing is written. */
  partial: boolean;
  /** An API key may not grant or remove the admin role. */
  byKey?: boolean | undefined;
}

/** What each kind's apply step is told besides: how many rows the format check refused before it. */
export interface KindApplyOptions extends ApplyOptions {
  refusedBefore: number;
}

/** With a refused row and `partial` off nothing is written: the caller rolls back and reports. */
export function stopsWriting(refusals: Refusals, options: KindApplyOptions): boolean {
  return !options.partial && options.refusedBefore + refusals.added > 0;
}

/** Thrown to roll a transaction back, carrying what the import did (or would have done) in it. */
class RolledBack<T> extends Error {
  constructor(readonly result: T) {
    super("rolled back");
  }
}

/**
 * Runs imports in one transaction and rolls it back when `rollback` says so: a dry run does everything, counts
 * included, then rolls back, so what it reports is exactly what the real import would do at that moment (several
 * files in one dry run see each other: attendance finds the members and events of the same run); an import that
 * refused rows without `partial` rolls back what its good rows wrote.
 */
export async function importTransaction<T>(db: Db, rollback: (result: T) => boolean, work: (tx: DbTx) => Promise<T>): Promise<T> {
  try {
    return await db.$transaction(
      async (tx) => {
        const result = await work(tx);
        if (rollback(result)) throw new RolledBack(result);
        return result;
      },
      // A million attendance rows are checked and written in one transaction.
      { timeout: 15 * 60_000, maxWait: 60_000 },
    );
  } catch (err) {
    if (err instanceof RolledBack) return err.result as T;
    throw err;
  }
}

/**
 * Refuses staged rows repeating an earlier row's key (`keys`: column names); a row repeating an earlier row's
 * `skipIfRepeated` column is left out (it was refused for that already). Grouped by hashing rather than sorted:
 * over a million rows a sort of text keys takes seconds.
 */
export function repeatsSql(table: string, keys: string[], field: string, message: string, skipIfRepeated?: string): string {
  const on = keys.map((k) => `d.${k} = s.${k}`).join(" AND ");
  const skip = skipIfRepeated
    ? ` AND NOT EXISTS (SELECT 1 FROM "${table}" o WHERE o.${skipIfRepeated} = s.${skipIfRepeated} AND o.position < s.position)`
    : "";
  return `SELECT s.position, '${field}', '${message.replace(/'/g, "''")}' FROM "${table}" s
    JOIN (SELECT ${keys.join(", ")}, min(position) AS first FROM "${table}" GROUP BY ${keys.join(", ")} HAVING count(*) > 1) d
      ON ${on} AND s.position > d.first${skip}`;
}

/** One import of an organisation at a time: concurrent ones would plan against the same rows and collide. */
export async function lockOrgImports(tx: DbTx, orgId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('engagement-import:' || ${orgId}::uuid::text))`;
}

export interface RowRefusal {
  /** Where the sender will look for the row: its index in a JSON array, its line in a file. */
  position: number;
  field: string;
  message: string;
}

/** SQL that keeps the staged rows (alias `s`) no check has refused so far (nothing to filter when none was). */
export const notRefused = (refusals: Refusals) =>
  refusals.added === 0 ? "TRUE" : `NOT EXISTS (SELECT 1 FROM "${refusals.table}" r WHERE r.position = s.position)`;

/**
 * The staged rows the import's checks refused, in a temporary table of the transaction: a file with a million
 * bad rows costs no memory, and the checks are set-based queries that insert into it.
 */
export class Refusals {
  private constructor(
    private readonly tx: DbTx,
    readonly table: string,
  ) {}

  static async create(tx: DbTx, stage: string): Promise<Refusals> {
    const table = `${stage}_refused`;
    await tx.$executeRawUnsafe(
      `CREATE TEMPORARY TABLE "${table}" (n serial, position integer NOT NULL, field text NOT NULL, message text NOT NULL) ON COMMIT DROP`,
    );
    await tx.$executeRawUnsafe(`CREATE INDEX ON "${table}" (position)`);
    return new Refusals(tx, table);
  }

  /** Refusals added so far. */
  added = 0;

  /** Adds the rows a query finds; it selects (position, field, message). */
  async addQuery(sql: string, ...params: unknown[]): Promise<void> {
    const n = await this.tx.$executeRawUnsafe(`INSERT INTO "${this.table}" (position, field, message) ${sql}`, ...params);
    if (n > 0) {
      this.added += n;
      // Statistics for the anti-joins that follow (a temporary table has none until analysed).
      await this.tx.$executeRawUnsafe(`ANALYZE "${this.table}"`);
    }
  }

  async add(refusals: RowRefusal[]): Promise<void> {
    if (refusals.length === 0) return;
    await this.addQuery(
      "SELECT * FROM unnest($1::integer[], $2::text[], $3::text[])",
      refusals.map((r) => r.position),
      refusals.map((r) => r.field),
      refusals.map((r) => r.message),
    );
  }

  /** Rows refused (a row may have several reasons). */
  async rows(): Promise<number> {
    const [row] = await this.tx.$queryRawUnsafe<{ n: number }[]>(`SELECT count(DISTINCT position)::int AS n FROM "${this.table}"`);
    return row?.n ?? 0;
  }

  /** The reasons of the first `limit` refused rows, in position order. */
  async list(limit: number): Promise<RowRefusal[]> {
    return this.tx.$queryRawUnsafe<RowRefusal[]>(
      `SELECT position, field, message FROM "${this.table}" WHERE position IN (SELECT DISTINCT position FROM "${this.table}" ORDER BY position LIMIT ${Math.trunc(limit)}) ORDER BY position, n`,
    );
  }
}
