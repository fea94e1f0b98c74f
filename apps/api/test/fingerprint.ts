// What a request changed, two ways, both over every table of the test database (found in information_schema, so
// a table added later is covered without touching this file) and every queue:
//   - fingerprint(): an md5 of every row of every table, the list of tables itself (a staging table left behind
//     shows), and the job counts of every queue. Exact, and about 25 ms on this machine: taken per route.
//   - changes(): a row trigger on every table counts each row written by a transaction that commits (a rolled-back
//     write counts nothing, as it changed nothing), plus the job counts: about 1 ms, taken per request.
// The fuzz test takes changes() around every request, and checks the fingerprint() of a route's whole batch
// against it, so that a write the triggers would miss (one through a table created later) still shows.
import type { Db } from "@engagement/db";
import { QUEUE_NAMES } from "@engagement/queue";
import type { Redis } from "ioredis";

/**
 * Columns left out, each for a stated reason:
 *  - api_keys.last_used_at records that a valid key was presented (at most once a minute), which a request the
 *    route then refuses still is: the record of use is the point, not a change the request asked for.
 */
const IGNORED_COLUMNS: Record<string, string[]> = { api_keys: ["last_used_at"] };
const COUNTER = "fuzz_row_changes";

export type Fingerprint = Record<string, string>;

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
const rowJson = (table: string) => (IGNORED_COLUMNS[table] ?? []).reduce((expr, column) => `${expr} - '${column}'`, "to_jsonb(t)");

async function tableNames(db: Db): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> '${COUNTER}' ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/** Jobs per state of every queue, in one round trip. */
async function queueCounts(redis: Redis, prefix: string): Promise<string> {
  const pipeline = redis.pipeline();
  for (const name of Object.values(QUEUE_NAMES)) {
    const key = (suffix: string) => `${prefix}:${name}:${suffix}`;
    for (const list of ["wait", "active", "paused"]) pipeline.llen(key(list));
    for (const set of ["delayed", "prioritized", "completed", "failed", "waiting-children"]) pipeline.zcard(key(set));
  }
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, n]) => (err ? `error ${err.message}` : String(n))).join(",");
}

export async function changeDetectors(db: Db, redis: Redis, prefix: string) {
  const tables = await tableNames(db);
  if (tables.length < 10) throw new Error(`expected the project's tables, found ${tables.length}`);
  await db.$executeRawUnsafe(`CREATE TABLE ${COUNTER} (n bigserial PRIMARY KEY)`);
  await db.$executeRawUnsafe(`
    CREATE FUNCTION fuzz_count_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'api_keys'
         AND (to_jsonb(NEW) - 'last_used_at') = (to_jsonb(OLD) - 'last_used_at') THEN
        RETURN NULL;
      END IF;
      INSERT INTO ${COUNTER} DEFAULT VALUES;
      RETURN NULL;
    END $$`);
  for (const table of tables) {
    await db.$executeRawUnsafe(
      `CREATE TRIGGER fuzz_count AFTER INSERT OR UPDATE OR DELETE ON ${quote(table)} FOR EACH ROW EXECUTE FUNCTION fuzz_count_row_change()`,
    );
    await db.$executeRawUnsafe(
      `CREATE TRIGGER fuzz_count_truncate AFTER TRUNCATE ON ${quote(table)} FOR EACH STATEMENT EXECUTE FUNCTION fuzz_count_row_change()`,
    );
  }

  return {
    tables,
    async changes(): Promise<string> {
      // The highest committed number (an index lookup, however many rows were counted): a rolled-back write's
      // number is used up but its row is gone, so it moves nothing.
      const [row] = await db.$queryRawUnsafe<{ n: bigint | null }[]>(`SELECT max(n) AS n FROM ${COUNTER}`);
      return `last row write ${row?.n ?? 0n}; jobs ${await queueCounts(redis, prefix)}`;
    },
    async fingerprint(): Promise<Fingerprint> {
      const names = await tableNames(db);
      const sql = names
        .map(
          (name) =>
            `SELECT '${name}' AS name, md5(coalesce(string_agg((${rowJson(name)})::text, E'\\n' ORDER BY (${rowJson(name)})::text), '')) AS hash FROM ${quote(name)} t`,
        )
        .join(" UNION ALL ");
      const rows = await db.$queryRawUnsafe<{ name: string; hash: string }[]>(sql);
      return { tables: names.join(","), ...Object.fromEntries(rows.map((r) => [r.name, r.hash])), jobs: await queueCounts(redis, prefix) };
    },
  };
}

/** The tables (and "tables", "jobs") whose fingerprint differs. */
export function changedParts(before: Fingerprint, after: Fingerprint): string[] {
  return Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
}
