// Engagement signals straight from attendance data: one SQL round trip for a whole organisation (the run's
// prepare) or for a chunk of members (a classify job), never a query per member. The engagement package defines
// what the fields mean (EngagementSignals); this is how they are counted.
import { EngagementSignals } from "@engagement/engagement";
import type { Db } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import type { EngagementSource } from "../generated/prisma/enums.ts";

export interface MemberSignalsRow {
  userId: string;
  /** Parsed with the domain's schema here, once: every reader gets checked signals. */
  signals: EngagementSignals;
  /** When the member's current level was computed (null if never): the 24-hour skip and the fingerprint's age read it. */
  lastComputedAt: Date | null;
  /** Who decided the current level, and for an LLM judgement what it was judged from (inputsFingerprint). */
  lastSource: EngagementSource | null;
  lastFingerprint: string | null;
}

interface RawRow {
  user_id: string;
  tenure_days: number;
  org_events_30: number;
  org_events_90: number;
  org_events_180: number;
  attended_30: number;
  attended_90: number;
  attended_180: number;
  registered_90: number;
  no_shows_90: number;
  upcoming: number;
  last_attended_days_ago: number | null;
  previous_level: MemberSignalsRow["signals"]["previousLevel"];
  computed_at: Date | null;
  source: EngagementSource | null;
  inputs_fingerprint: string | null;
}

export const SIGNALS_CHUNK_SIZE = 1000;

/** Signals of the given active members of one organisation at `asOf` (see signalsOf); ids of others are ignored. */
export async function computeSignals(db: Db, orgId: string, asOf: Date, userIds: string[]): Promise<MemberSignalsRow[]> {
  if (userIds.length === 0) return [];
  return signalsOf(db, orgId, asOf, Prisma.sql`AND m.user_id = ANY(${userIds}::uuid[])`);
}

/**
 * Signals of every active member of the organisation, in userId order: one statement, where chunks of ids would
 * each repeat the organisation's event counts and the id list's round trip. A run holds the rows in memory (a few
 * hundred bytes a member), as it held the member ids before.
 */
export async function computeOrgSignals(db: Db, orgId: string, asOf: Date): Promise<MemberSignalsRow[]> {
  return signalsOf(db, orgId, asOf, Prisma.empty);
}

/**
 * Windows hold events whose start lies in (asOf - N days, asOf]; cancelled events never count.
 * A registration still "registered" after its event ended counts as a no-show.
 */
async function signalsOf(db: Db, orgId: string, asOf: Date, memberFilter: Prisma.Sql): Promise<MemberSignalsRow[]> {
  const rows = await db.$queryRaw<RawRow[]>`
    WITH params AS (
      SELECT ${asOf}::timestamptz AS as_of,
             ${asOf}::timestamptz - interval '30 days' AS d30,
             ${asOf}::timestamptz - interval '90 days' AS d90,
             ${asOf}::timestamptz - interval '180 days' AS d180
    ),
    members AS (
      SELECT m.user_id, m.joined_at
      FROM memberships m
      WHERE m.org_id = ${orgId}::uuid AND m.status = 'active' ${memberFilter}
    ),
    org_events AS (
      SELECT count(*) FILTER (WHERE e.starts_at > p.d30)::int AS e30,
             count(*) FILTER (WHERE e.starts_at > p.d90)::int AS e90,
             count(*)::int AS e180
      FROM events e, params p
      WHERE e.org_id = ${orgId}::uuid AND e.cancelled_at IS NULL AND e.starts_at > p.d180 AND e.starts_at <= p.as_of
    ),
    regs AS (
      SELECT r.user_id,
        count(*) FILTER (WHERE r.status = 'attended' AND e.starts_at > p.d30 AND e.starts_at <= p.as_of)::int AS a30,
        count(*) FILTER (WHERE r.status = 'attended' AND e.starts_at > p.d90 AND e.starts_at <= p.as_of)::int AS a90,
        count(*) FILTER (WHERE r.status = 'attended' AND e.starts_at <= p.as_of)::int AS a180,
        count(*) FILTER (WHERE r.status <> 'cancelled' AND e.starts_at > p.d90 AND e.starts_at <= p.as_of)::int AS reg90,
        count(*) FILTER (WHERE e.starts_at > p.d90 AND e.starts_at <= p.as_of
                           AND (r.status = 'no_show' OR (r.status = 'registered' AND e.ends_at <= p.as_of)))::int AS ns90,
        count(*) FILTER (WHERE r.status = 'registered' AND e.starts_at > p.as_of)::int AS upcoming
      FROM registrations r
      JOIN events e ON e.id = r.event_id
      CROSS JOIN params p
      WHERE e.org_id = ${orgId}::uuid AND e.cancelled_at IS NULL AND e.starts_at > p.d180
        AND r.user_id IN (SELECT user_id FROM members)
      GROUP BY r.user_id
    ),
    last_attended AS (
      SELECT r.user_id, max(e.starts_at) AS last_at
      FROM registrations r
      JOIN events e ON e.id = r.event_id
      CROSS JOIN params p
      WHERE e.org_id = ${orgId}::uuid AND e.cancelled_at IS NULL AND r.status = 'attended' AND e.starts_at <= p.as_of
        AND r.user_id IN (SELECT user_id FROM members)
      GROUP BY r.user_id
    )
    SELECT m.user_id::text AS user_id,
           greatest(0, floor(extract(epoch FROM (p.as_of - m.joined_at)) / 86400))::int AS tenure_days,
           oe.e30 AS org_events_30, oe.e90 AS org_events_90, oe.e180 AS org_events_180,
           coalesce(rg.a30, 0) AS attended_30, coalesce(rg.a90, 0) AS attended_90, coalesce(rg.a180, 0) AS attended_180,
           coalesce(rg.reg90, 0) AS registered_90, coalesce(rg.ns90, 0) AS no_shows_90,
           coalesce(rg.upcoming, 0) AS upcoming,
           floor(extract(epoch FROM (p.as_of - la.last_at)) / 86400)::int AS last_attended_days_ago,
           me.level::text AS previous_level,
           me.computed_at, me.source::text AS source, me.inputs_fingerprint
    FROM members m
    CROSS JOIN params p
    CROSS JOIN org_events oe
    LEFT JOIN regs rg ON rg.user_id = m.user_id
    LEFT JOIN last_attended la ON la.user_id = m.user_id
    LEFT JOIN member_engagements me ON me.user_id = m.user_id AND me.org_id = ${orgId}::uuid
    ORDER BY m.user_id`;
  return rows.map((r) => ({
    userId: r.user_id,
    signals: EngagementSignals.parse({
      tenureDays: r.tenure_days,
      orgEvents30: r.org_events_30,
      orgEvents90: r.org_events_90,
      orgEvents180: r.org_events_180,
      attended30: r.attended_30,
      attended90: r.attended_90,
      attended180: r.attended_180,
      registered90: r.registered_90,
      noShows90: r.no_shows_90,
      upcomingRegistrations: r.upcoming,
      lastAttendedDaysAgo: r.last_attended_days_ago,
      previousLevel: r.previous_level,
    }),
    lastComputedAt: r.computed_at,
    lastSource: r.source,
    lastFingerprint: r.inputs_fingerprint,
  }));
}

/** Ids of the organisation's active members, in a stable order (chunks and job ids depend on it). */
export async function listActiveMemberIds(db: Db, orgId: string): Promise<string[]> {
  const rows = await db.membership.findMany({
    where: { orgId, status: "active" },
    select: { userId: true },
    orderBy: { userId: "asc" },
  });
  return rows.map((r) => r.userId);
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
