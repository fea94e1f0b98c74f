// Events and attendance from the organisation's own system, keyed by its external ids; the same rows sent twice
// change nothing. The rows arrive staged (see import-stage.ts); each check is one set-based query over the whole
// file and the write is one upsert, so a million attendance rows take seconds, not one round trip per row.
import type { DbTx } from "../client.ts";
import {
  type ImportCounts,
  type KindApplyOptions,
  notRefused,
  type Refusals,
  repeatsSql,
  type StageColumn,
  stopsWriting,
} from "./import-stage.ts";

export const EVENT_STAGE_COLUMNS: StageColumn[] = [
  { name: "external_id", type: "text" },
  { name: "title", type: "text" },
  { name: "starts_at", type: "timestamptz(3)" },
  { name: "ends_at", type: "timestamptz(3)" },
  { name: "cancelled_at", type: "timestamptz(3)" },
];

export const ATTENDANCE_STAGE_COLUMNS: StageColumn[] = [
  { name: "event_external_id", type: "text" },
  { name: "member_external_id", type: "text" },
  { name: "status", type: "text" },
  { name: "registered_at", type: "timestamptz(3)" },
  { name: "checked_in_at", type: "timestamptz(3)" },
];

/**
 * Runs an upsert whose RETURNING says whether each row was inserted (xmax = 0) and counts: rows the upsert's
 * WHERE skipped are the unchanged ones.
 */
async function upsertCounts(tx: DbTx, table: string, refusals: Refusals, upsert: string, orgId: string): Promise<ImportCounts> {
  const [row] = await tx.$queryRawUnsafe<{ inserted: number; updated: number; considered: number }[]>(
    `WITH up AS (${upsert} RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated,
            (SELECT count(*)::int FROM "${table}" s WHERE ${notRefused(refusals)}) AS considered
     FROM up`,
    orgId,
  );
  const { inserted = 0, updated = 0, considered = 0 } = row ?? {};
  return { inserted, updated, unchanged: considered - inserted - updated };
}

export async function applyEvents(
  tx: DbTx,
  orgId: string,
  table: string,
  refusals: Refusals,
  options: KindApplyOptions,
): Promise<ImportCounts> {
  await refusals.addQuery(repeatsSql(table, ["external_id"], "externalId", "repeats an earlier row's key"));
  if (stopsWriting(refusals, options)) return { inserted: 0, updated: 0, unchanged: 0 };
  return upsertCounts(
    tx,
    table,
    refusals,
    `INSERT INTO events (org_id, external_id, title, starts_at, ends_at, cancelled_at)
     SELECT $1::uuid, s.external_id, s.title, s.starts_at, s.ends_at, s.cancelled_at FROM "${table}" s WHERE ${notRefused(refusals)}
     ON CONFLICT (org_id, external_id) DO UPDATE
       SET title = EXCLUDED.title, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at, cancelled_at = EXCLUDED.cancelled_at
       WHERE (events.title, events.starts_at, events.ends_at, events.cancelled_at)
         IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.starts_at, EXCLUDED.ends_at, EXCLUDED.cancelled_at)`,
    orgId,
  );
}

export async function applyAttendance(
  tx: DbTx,
  orgId: string,
  table: string,
  refusals: Refusals,
  options: KindApplyOptions,
): Promise<ImportCounts> {
  // Every statement here is set-based over the whole file. Just after a large import the planner's statistics
  // undercount the organisation's members and events, and it would probe an index a million times instead of
  // hashing: nested loops are off while the attendance is checked and written.
  // Not in a finally: after an error the transaction is aborted, and the setting ends with it anyway.
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = off");
  const counts = await checkAndWriteAttendance(tx, orgId, table, refusals, options);
  await tx.$executeRawUnsafe("SET LOCAL enable_nestloop = on");
  return counts;
}

async function checkAndWriteAttendance(
  tx: DbTx,
  orgId: string,
  table: string,
  refusals: Refusals,
  options: KindApplyOptions,
): Promise<ImportCounts> {
  await refusals.addQuery(
    repeatsSql(table, ["event_external_id", "member_external_id"], "memberExternalId", "repeats an earlier row's key"),
  );
  await refusals.addQuery(
    `SELECT s.position, 'eventExternalId', 'no event of this organisation has this external id' FROM "${table}" s
     WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.org_id = $1::uuid AND e.external_id = s.event_external_id)`,
    orgId,
  );
  await refusals.addQuery(
    `SELECT s.position, 'memberExternalId', 'no member of this organisation has this external id' FROM "${table}" s
     WHERE NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = $1::uuid AND m.external_id = s.member_external_id)`,
    orgId,
  );
  if (stopsWriting(refusals, options)) return { inserted: 0, updated: 0, unchanged: 0 };
  return upsertCounts(
    tx,
    table,
    refusals,
    // Rows already stored as they are never reach the insert: one set-based join finds them, where ON CONFLICT
    // alone would probe the unique index once per row. Ordered by the unique key, so its index is filled in order.
    `INSERT INTO registrations (event_id, user_id, status, registered_at, checked_in_at)
     SELECT e.id, m.user_id, s.status::"RegistrationStatus", s.registered_at, s.checked_in_at
     FROM "${table}" s
     JOIN events e ON e.org_id = $1::uuid AND e.external_id = s.event_external_id
     JOIN memberships m ON m.org_id = $1::uuid AND m.external_id = s.member_external_id
     LEFT JOIN registrations old ON old.event_id = e.id AND old.user_id = m.user_id
     WHERE ${notRefused(refusals)}
       AND (old.id IS NULL OR (old.status, old.registered_at, old.checked_in_at)
         IS DISTINCT FROM (s.status::"RegistrationStatus", s.registered_at, s.checked_in_at))
     ORDER BY e.id, m.user_id
     ON CONFLICT (event_id, user_id) DO UPDATE
       SET status = EXCLUDED.status, registered_at = EXCLUDED.registered_at, checked_in_at = EXCLUDED.checked_in_at
       WHERE (registrations.status, registrations.registered_at, registrations.checked_in_at)
         IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.registered_at, EXCLUDED.checked_in_at)`,
    orgId,
  );
}
