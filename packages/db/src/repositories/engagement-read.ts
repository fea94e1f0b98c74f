// What dashboards and members read about engagement. Lists filter and count on the EFFECTIVE level (the
// override while it is active, else the computed level), computed in SQL at read time so an override that
// expires stops counting that instant even before the nightly expireOverrides clears it.
// Only active members are listed: a member who left keeps history but is no longer on the dashboard.

import { ENGAGEMENT_LEVELS } from "@engagement/engagement";
import type { Db } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type {
  EngagementLevel,
  EngagementSource,
  MembershipRole,
  MembershipStatus,
  RunStatus,
  RunTrigger,
} from "../generated/prisma/enums.ts";
import { isStorableText } from "../storable-text.ts";

// The active-override rule in SQL (isOverrideActive in overrides.ts is the same rule for a row in hand).
const overrideActiveSql = (now: Date) => Prisma.sql`
  (me.override_level IS NOT NULL AND (me.override_expires_at IS NULL OR me.override_expires_at > ${now}::timestamptz))`;
const effectiveLevelSql = (now: Date) => Prisma.sql`(CASE WHEN ${overrideActiveSql(now)} THEN me.override_level ELSE me.level END)`;

export interface ActiveOverride {
  level: EngagementLevel;
  note: string;
  setBy: string | null;
  setByName: string | null;
  setAt: Date;
  expiresAt: Date | null;
}

export interface EngagementListRow {
  userId: string;
  name: string;
  level: EngagementLevel;
  computedLevel: EngagementLevel;
  source: EngagementSource;
  adminExplanation: string;
  keyFactors: string[];
  computedAt: Date;
  override: ActiveOverride | null;
}

export interface EngagementListQuery {
  level?: EngagementLevel | undefined;
  source?: EngagementSource | undefined;
  overridden?: boolean | undefined;
  limit: number;
  cursor?: string | undefined;
  now?: Date;
}

interface ListCursor {
  name: string;
  userId: string;
}

/** Keyset cursor over (name, user id): stable while rows are added or changed, unlike an offset. */
export function encodeEngagementCursor(c: ListCursor): string {
  return Buffer.from(JSON.stringify([c.name, c.userId])).toString("base64url");
}

/** The cursor's position, or null when the text is not a cursor this API issued. */
export function decodeEngagementCursor(text: string): ListCursor | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [name, userId] = value as unknown[];
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (typeof name !== "string" || typeof userId !== "string" || !uuid.test(userId)) return null;
    // The name goes into the keyset comparison as a query parameter: text PostgreSQL cannot take is no cursor we issued.
    if (!isStorableText(name)) return null;
    return { name, userId: userId.toLowerCase() };
  } catch {
    return null;
  }
}

interface ListRaw {
  user_id: string;
  name: string;
  level: EngagementLevel;
  computed_level: EngagementLevel;
  source: EngagementSource;
  admin_explanation: string;
  key_factors: string[];
  computed_at: Date;
  override_active: boolean;
  override_level: EngagementLevel | null;
  override_note: string | null;
  overridden_by: string | null;
  overridden_by_name: string | null;
  overridden_at: Date | null;
  override_expires_at: Date | null;
}

function toOverride(
  r: Pick<
    ListRaw,
    | "override_active"
    | "override_level"
    | "override_note"
    | "overridden_by"
    | "overridden_by_name"
    | "overridden_at"
    | "override_expires_at"
  >,
) {
  if (!r.override_active || !r.override_level) return null;
  return {
    level: r.override_level,
    note: r.override_note ?? "",
    setBy: r.overridden_by,
    setByName: r.overridden_by_name,
    setAt: r.overridden_at ?? new Date(0),
    expiresAt: r.override_expires_at,
  } satisfies ActiveOverride;
}

/**
 * The member's name as this organisation knows it (an import's name), else the person's own: memberships.list_name,
 * kept by triggers, so that a page is a walk of the (org_id, status, list_name, user_id) index from the cursor
 * rather than a sort of every member (3.5 s per page at 1,000,000 members with coalesce(display_name, users.name)).
 */
const memberNameSql = Prisma.sql`m.list_name`;

/**
 * `picked`: whether a CTE named `picked` (org_id, user_id) drives the query; then the page is built from those
 * members only instead of walking every membership in name order and filtering.
 */
const rowSelect = (now: Date, picked = false) => Prisma.sql`
  SELECT me.user_id::text AS user_id, ${memberNameSql} AS name, ${effectiveLevelSql(now)}::text AS level, me.level::text AS computed_level,
         me.source::text AS source, me.admin_explanation, me.key_factors, me.computed_at,
         ${overrideActiveSql(now)} AS override_active, me.override_level::text AS override_level, me.override_note,
         me.overridden_by::text AS overridden_by, ob.name AS overridden_by_name, me.overridden_at, me.override_expires_at
  FROM ${picked ? Prisma.sql`picked JOIN member_engagements me ON me.user_id = picked.user_id AND me.org_id = picked.org_id` : Prisma.sql`member_engagements me`}
  JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
  LEFT JOIN users ob ON ob.id = me.overridden_by`;

function toListRow(r: ListRaw): EngagementListRow {
  return {
    userId: r.user_id,
    name: r.name,
    level: r.level,
    computedLevel: r.computed_level,
    source: r.source,
    adminExplanation: r.admin_explanation,
    keyFactors: r.key_factors,
    computedAt: r.computed_at,
    override: toOverride(r),
  };
}

/** One page of the organisation's members by name; `nextCursor` is null on the last page. */
export async function listEngagement(db: Db, orgId: string, query: EngagementListQuery) {
  const now = query.now ?? new Date();
  const cursor = query.cursor ? decodeEngagementCursor(query.cursor) : null;
  if (query.cursor && !cursor) throw new Error("invalid engagement list cursor");
  // On the membership's columns, so the planner walks the membership index (org_id, status, list_name, user_id).
  const where = [Prisma.sql`m.org_id = ${orgId}::uuid`];
  if (query.level) where.push(Prisma.sql`${effectiveLevelSql(now)} = ${query.level}::"EngagementLevel"`);
  if (query.source) where.push(Prisma.sql`me.source = ${query.source}::"EngagementSource"`);
  if (query.overridden !== undefined) where.push(query.overridden ? overrideActiveSql(now) : Prisma.sql`NOT ${overrideActiveSql(now)}`);
  // m.user_id, not me.user_id (equal by the join): only the membership index's own columns make the cursor an
  // index condition; on me.user_id it was a filter after the join, and a deep page read every row before it (66 s).
  if (cursor) where.push(Prisma.sql`(${memberNameSql}, m.user_id) > (${cursor.name}, ${cursor.userId}::uuid)`);
  // Overridden members are few (about 0.2 % of an organisation of 1,000,000): walking every membership in name
  // order until a page of them turns up read tens of thousands of rows per page (p50 1.5 s). They are picked first
  // through the (org_id, override_level) index, materialized so the planner cannot fold it back into the walk, and
  // only they are joined and sorted.
  const picked = query.overridden === true;
  const pick = picked
    ? Prisma.sql`WITH picked AS MATERIALIZED (
        SELECT org_id, user_id FROM member_engagements WHERE org_id = ${orgId}::uuid AND override_level IS NOT NULL)`
    : Prisma.empty;
  // One row more than the page tells whether another page exists without a count query.
  const rows = await db.$queryRaw<ListRaw[]>`
    ${pick}
    ${rowSelect(now, picked)}
    WHERE ${Prisma.join(where, " AND ")}
    ORDER BY ${memberNameSql}, m.user_id
    LIMIT ${query.limit + 1}`;
  const page = rows.slice(0, query.limit).map(toListRow);
  const last = page[page.length - 1];
  const nextCursor = rows.length > query.limit && last ? encodeEngagementCursor({ name: last.name, userId: last.userId }) : null;
  return { items: page, nextCursor };
}

const LEVELS: readonly EngagementLevel[] = ENGAGEMENT_LEVELS;

export interface RunHeadline {
  runId: string;
  status: RunStatus;
  trigger: RunTrigger;
  membersTotal: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/**
 * Members per effective level, how many are overridden, and the organisation's latest run. The counts per computed
 * level come from engagement_level_counts, moved by engagement_override_counts (active members with an override
 * set, per computed and override level; both kept by triggers); the overrides that have expired but are still set
 * until a run clears them are few and are taken back out through the (org_id, override_expires_at) index. Reading
 * every active override instead cost about 9 ms per request at 2,000 of them, too much for 200 requests/s.
 */
export async function getEngagementSummary(db: Db, orgId: string, now = new Date()) {
  const rows = await db.$queryRaw<{ computed: EngagementLevel; effective: EngagementLevel | null; members: number }[]>`
    SELECT level::text AS computed, NULL AS effective, members FROM engagement_level_counts WHERE org_id = ${orgId}::uuid
    UNION ALL
    SELECT level::text, override_level::text, members FROM engagement_override_counts
    WHERE org_id = ${orgId}::uuid AND members <> 0
    UNION ALL
    SELECT me.level::text, me.override_level::text, -count(*)::int
    FROM member_engagements me
    JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
    WHERE me.org_id = ${orgId}::uuid AND me.override_expires_at <= ${now}::timestamptz AND me.override_level IS NOT NULL
    GROUP BY me.level, me.override_level`;
  const counts = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<EngagementLevel, number>;
  let overridden = 0;
  for (const r of rows) {
    if (r.effective === null) {
      counts[r.computed] += r.members;
    } else {
      counts[r.computed] -= r.members;
      counts[r.effective] += r.members;
      overridden += r.members;
    }
  }
  const run = await db.engagementRun.findFirst({ where: { orgId }, orderBy: [{ createdAt: "desc" }, { id: "desc" }] });
  const lastRun: RunHeadline | null = run
    ? {
        runId: run.id,
        status: run.status,
        trigger: run.trigger,
        membersTotal: run.membersTotal,
        createdAt: run.createdAt,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
      }
    : null;
  return { counts, total: LEVELS.reduce((a, l) => a + counts[l], 0), overridden, lastRun };
}

export interface LevelChange {
  date: Date;
  level: EngagementLevel;
  runId: string;
}

/** The computed level's changes over the member's snapshots (first classification included), newest first. */
export async function listLevelChanges(db: Db, orgId: string, userId: string, limit = 100): Promise<LevelChange[]> {
  const rows = await db.$queryRaw<{ date: Date; level: EngagementLevel; run_id: string }[]>`
    SELECT created_at AS date, level::text AS level, run_id::text AS run_id
    FROM (
      SELECT s.created_at, s.level, s.run_id, lag(s.level) OVER (ORDER BY s.created_at, s.id) AS previous
      FROM engagement_snapshots s
      WHERE s.org_id = ${orgId}::uuid AND s.user_id = ${userId}::uuid
    ) x
    WHERE previous IS NULL OR previous <> level
    ORDER BY created_at DESC
    LIMIT ${limit}`;
  return rows.map((r) => ({ date: r.date, level: r.level, runId: r.run_id }));
}

/** The admin's view of one member's current engagement, or null when the member has never been classified. */
export async function getMemberEngagement(db: Db, orgId: string, userId: string, now = new Date()) {
  const rows = await db.$queryRaw<
    (ListRaw & { member_explanation: string; signals: unknown; model: string | null; fallback_reason: string | null })[]
  >`
    SELECT x.*, me.member_explanation, me.signals, me.model, me.fallback_reason
    FROM (${rowSelect(now)} WHERE me.org_id = ${orgId}::uuid AND me.user_id = ${userId}::uuid) x
    JOIN member_engagements me ON me.org_id = ${orgId}::uuid AND me.user_id = x.user_id::uuid`;
  const row = rows[0];
  if (!row) return null;
  return {
    ...toListRow(row),
    memberExplanation: row.member_explanation,
    signals: row.signals,
    model: row.model,
    fallbackReason: row.fallback_reason,
  };
}

/**
 * What a member may read about themself: the effective level (for the member-facing label), the member text
 * and the signals the member text template needs. Deliberately selects no admin text, so none can leak.
 * With the organisation's existence and the membership's status, in one round trip (the member view's every
 * request needs all three): null when the organisation does not exist; engagement null when never classified.
 */
export async function getOwnEngagement(db: Db, orgId: string, userId: string, now = new Date()) {
  const rows = await db.$queryRaw<
    {
      membership_status: MembershipStatus | null;
      level: EngagementLevel | null;
      computed_level: EngagementLevel | null;
      member_explanation: string | null;
      signals: unknown;
      computed_at: Date | null;
    }[]
  >`
    SELECT m.status::text AS membership_status, ${effectiveLevelSql(now)}::text AS level, me.level::text AS computed_level,
           me.member_explanation, me.signals, me.computed_at
    FROM organizations o
    LEFT JOIN memberships m ON m.org_id = o.id AND m.user_id = ${userId}::uuid
    LEFT JOIN member_engagements me ON me.org_id = o.id AND me.user_id = ${userId}::uuid
    WHERE o.id = ${orgId}::uuid`;
  const row = rows[0];
  if (!row) return null;
  const engagement =
    row.level && row.computed_level && row.member_explanation !== null && row.computed_at
      ? {
          level: row.level,
          computedLevel: row.computed_level,
          memberExplanation: row.member_explanation,
          signals: row.signals,
          computedAt: row.computed_at,
        }
      : null;
  return { membershipStatus: row.membership_status, engagement };
}

/**
 * The organisation and the user's membership of it, in one round trip (the admin routes check both on every
 * request): null when the organisation does not exist; membership null when the user is not a member.
 */
export async function findOrgMembership(db: Db, orgId: string, userId: string) {
  const rows = await db.$queryRaw<{ role: MembershipRole | null; status: MembershipStatus | null }[]>`
    SELECT m.role::text AS role, m.status::text AS status
    FROM organizations o LEFT JOIN memberships m ON m.org_id = o.id AND m.user_id = ${userId}::uuid
    WHERE o.id = ${orgId}::uuid`;
  const row = rows[0];
  if (!row) return null;
  return { membership: row.role && row.status ? { role: row.role, status: row.status } : null };
}

export async function findOrganization(db: Db, orgId: string) {
  return db.organization.findUnique({ where: { id: orgId }, select: { id: true, name: true } });
}

/** The user's membership of the organisation (any status), or null. */
export async function findMembership(db: Db, orgId: string, userId: string) {
  return db.membership.findUnique({ where: { userId_orgId: { userId, orgId } }, select: { role: true, status: true } });
}
