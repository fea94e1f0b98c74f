// Admin overrides of a member's engagement level, with their audit trail.
//
// An override is active while override_level is set and override_expires_at is null or in the future; the
// effective level is then the override, otherwise the computed level. Every change writes one audit row in
// the same transaction as the change, after taking the member's row lock (SELECT ... FOR UPDATE): two admins
// overriding one member at once are serialised, so the second sees the first's level as "previous", both are
// audited, and the row ends in the state of whichever committed last.
//
// A member without a member_engagements row (never classified) cannot be overridden: the row holds the
// computed level an override falls back to, and only a run can write that. Callers get "not_classified".
import type { Db } from "../client.ts";
import type { EngagementLevel } from "../generated/prisma/enums.ts";

export function isOverrideActive(row: { overrideLevel: string | null; overrideExpiresAt: Date | null }, now: Date): boolean {
  return row.overrideLevel !== null && (row.overrideExpiresAt === null || row.overrideExpiresAt.getTime() > now.getTime());
}

export interface SetOverrideInput {
  level: EngagementLevel;
  note: string;
  expiresAt?: Date | null;
  /** The admin's user id; recorded on the row and in the audit trail. */
  actorId: string;
}

export type SetOverrideResult =
  | { status: "not_classified" }
  | {
      status: "set";
      previousLevel: EngagementLevel;
      level: EngagementLevel;
      computedLevel: EngagementLevel;
      expiresAt: Date | null;
      auditId: string;
    };

export type ClearOverrideResult =
  | { status: "not_classified" }
  | { status: "no_active_override" }
  | { status: "cleared"; previousLevel: EngagementLevel; level: EngagementLevel; auditId: string };

interface LockedRow {
  id: string;
  level: EngagementLevel;
  override_level: EngagementLevel | null;
  override_expires_at: Date | null;
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

async function lockEngagement(tx: Tx, orgId: string, userId: string) {
  const rows = await tx.$queryRaw<LockedRow[]>`
    SELECT id::text, level::text AS level, override_level::text AS override_level, override_expires_at
    FROM member_engagements
    WHERE org_id = ${orgId}::uuid AND user_id = ${userId}::uuid
    FOR UPDATE`;
  const row = rows[0];
  if (!row) return null;
  // A separate statement: under READ COMMITTED it takes a fresh snapshot after the lock wait, so it sees the
  // audit row of a transaction that held the lock before us (a subquery in the locking SELECT would not).
  const [last] = await tx.$queryRaw<{ at: Date | null }[]>`
    SELECT max(created_at) AS at FROM engagement_override_history WHERE org_id = ${orgId}::uuid AND user_id = ${userId}::uuid`;
  const now = new Date();
  const active = isOverrideActive({ overrideLevel: row.override_level, overrideExpiresAt: row.override_expires_at }, now);
  // Audit rows order by created_at (millisecond precision); taken under the lock and kept strictly after the
  // member's previous audit row, so "newest first" is the order the changes were applied even within one ms.
  const lastMs = last?.at?.getTime() ?? 0;
  const at = new Date(Math.max(now.getTime(), lastMs + 1));
  return { ...row, at, active, effective: active && row.override_level ? row.override_level : row.level };
}

/** Sets (or replaces) the member's override; effective at once. */
export async function setOverride(db: Db, orgId: string, userId: string, input: SetOverrideInput): Promise<SetOverrideResult> {
  return db.$transaction(async (tx) => {
    const row = await lockEngagement(tx, orgId, userId);
    if (!row) return { status: "not_classified" } as const;
    const { at } = row;
    const expiresAt = input.expiresAt ?? null;
    await tx.memberEngagement.update({
      where: { id: row.id },
      data: {
        overrideLevel: input.level,
        overrideNote: input.note,
        overriddenBy: input.actorId,
        overriddenAt: at,
        overrideExpiresAt: expiresAt,
      },
    });
    const audit = await tx.engagementOverrideHistory.create({
      data: {
        orgId,
        userId,
        action: "set",
        previousLevel: row.effective,
        newLevel: input.level,
        note: input.note,
        actorId: input.actorId,
        expiresAt,
        createdAt: at,
      },
      select: { id: true },
    });
    return {
      status: "set",
      previousLevel: row.effective,
      level: input.level,
      computedLevel: row.level,
      expiresAt,
      auditId: audit.id,
    } as const;
  });
}

/** Removes the member's active override; the computed level applies again at once. */
export async function clearOverride(
  db: Db,
  orgId: string,
  userId: string,
  input: { actorId: string; note?: string | null },
): Promise<ClearOverrideResult> {
  return db.$transaction(async (tx) => {
    const row = await lockEngagement(tx, orgId, userId);
    if (!row) return { status: "not_classified" } as const;
    // An override past its expiry is already not in force; expireOverrides records its end as "expired".
    if (!row.active) return { status: "no_active_override" } as const;
    const { at } = row;
    await tx.memberEngagement.update({
      where: { id: row.id },
      data: { overrideLevel: null, overrideNote: null, overriddenBy: null, overriddenAt: null, overrideExpiresAt: null },
    });
    const audit = await tx.engagementOverrideHistory.create({
      data: {
        orgId,
        userId,
        action: "cleared",
        previousLevel: row.effective,
        newLevel: row.level,
        note: input.note ?? null,
        actorId: input.actorId,
        createdAt: at,
      },
      select: { id: true },
    });
    return { status: "cleared", previousLevel: row.effective, level: row.level, auditId: audit.id } as const;
  });
}

/**
 * Clears every override of the organisation whose expiry is at or before `now`, with one "expired" audit row
 * (actor null: the system did it) per member. One statement, so the clear and its audit commit together; the
 * row locks it takes make a concurrent setOverride either wait for it or be seen by it. Returns the count.
 */
/**
 * Clears the organisation's overrides whose expiry has passed, with an "expired" audit row each (no actor);
 * returns how many. With `runId`, the run's expired_overrides count grows in the same statement, so a crash
 * cannot clear overrides without counting them.
 */
export async function expireOverrides(db: Db, orgId: string, now: Date, runId: string | null = null): Promise<number> {
  const rows = await db.$queryRaw<{ n: number }[]>`
    WITH expired AS (
      SELECT id, user_id, org_id, level, override_level, override_expires_at
      FROM member_engagements
      WHERE org_id = ${orgId}::uuid
        AND override_level IS NOT NULL
        AND override_expires_at IS NOT NULL
        AND override_expires_at <= ${now}::timestamptz
      FOR UPDATE
    ), cleared AS (
      UPDATE member_engagements me
      SET override_level = NULL, override_note = NULL, overridden_by = NULL, overridden_at = NULL,
          override_expires_at = NULL, updated_at = clock_timestamp()
      FROM expired e
      WHERE me.id = e.id
      RETURNING me.id
    ), audit AS (
      INSERT INTO engagement_override_history (user_id, org_id, action, previous_level, new_level, note, actor_id, expires_at, created_at)
      SELECT e.user_id, e.org_id, 'expired', e.override_level, e.level, NULL, NULL, e.override_expires_at, clock_timestamp()
      FROM expired e
      JOIN cleared c ON c.id = e.id
      RETURNING 1
    ), counted AS (
      UPDATE engagement_runs SET expired_overrides = expired_overrides + (SELECT count(*) FROM audit)
      WHERE id = ${runId}::uuid
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM audit)::int AS n`;
  return rows[0]?.n ?? 0;
}

export interface OverrideHistoryEntry {
  id: string;
  action: "set" | "cleared" | "expired";
  previousLevel: EngagementLevel | null;
  newLevel: EngagementLevel | null;
  note: string | null;
  actorId: string | null;
  actorName: string | null;
  /** The erasure of the admin who acted, when they have since been erased (actorId is then null). */
  actorErasureId: string | null;
  expiresAt: Date | null;
  createdAt: Date;
}

/** The member's override audit trail, newest first. */
export async function listOverrideHistory(db: Db, orgId: string, userId: string, limit = 200): Promise<OverrideHistoryEntry[]> {
  const rows = await db.engagementOverrideHistory.findMany({
    where: { orgId, userId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit,
    include: { actor: { select: { name: true } } },
  });
  return rows.map((r) => ({
    id: r.id,
    action: r.action,
    previousLevel: r.previousLevel,
    newLevel: r.newLevel,
    note: r.note,
    actorId: r.actorId,
    actorName: r.actor?.name ?? null,
    actorErasureId: r.actorErasureId,
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
  }));
}
