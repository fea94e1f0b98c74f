// A very large organisation for the API load bench: members and their current results generated inside
// PostgreSQL (generate_series, one INSERT ... SELECT per table) rather than sent row by row, so a million
// members take about a minute rather than an hour. No events: the rows look like the output of a finished
// run (levels, sources, explanations, signals a member view can render), which is what the read routes read.
import { randomUUID } from "node:crypto";
import type { Db } from "../client.ts";
import { FIRST_NAMES, LAST_NAMES } from "./archetypes.ts";

export interface SyntheticOrg {
  orgId: string;
  adminUserId: string;
  /** Active, classified members picked at random, with their names: member-view tokens and list cursors
   * (a cursor names a position, so random members give pages at random depths). */
  sample: { userId: string; name: string }[];
}

/**
 * Inserts one organisation with `members` active members (one of them its admin), each with a current result.
 * One member in 500 has an active override and one in 50 has left (their row stays, unlisted). Deterministic
 * apart from the ids.
 */
export async function insertSyntheticOrg(db: Db, members: number, sampleSize = 50): Promise<SyntheticOrg> {
  const slug = `synthetic-${members}`;
  const orgId = randomUUID();
  const first = FIRST_NAMES as readonly string[];
  const last = LAST_NAMES as readonly string[];
  await db.$transaction(
    async (tx) => {
      // The tables' secondary indexes are built once after the inserts rather than kept up to date row by row
      // (about three times faster here); primary keys stay, and so do the triggers that keep list names and counts,
      // with the one index their lookups need (a membership by user and organisation).
      // The indexes are locked away from other sessions until the commit: this is for a database of its own.
      const indexes = await tx.$queryRaw<{ name: string; definition: string }[]>`
        SELECT indexname AS name, indexdef AS definition FROM pg_indexes
        WHERE schemaname = current_schema() AND tablename IN ('users', 'memberships', 'member_engagements')
          AND indexname NOT IN (SELECT conname FROM pg_constraint) AND indexname <> 'memberships_user_id_org_id_key'`;
      for (const index of indexes) await tx.$executeRawUnsafe(`DROP INDEX "${index.name}"`);
      await tx.$executeRaw`INSERT INTO organizations (id, name, slug) VALUES (${orgId}::uuid, ${`Synthetic ${members}`}, ${slug})`;
      // Names from the demo's lists, spread so that sorting by name does not follow the insertion order.
      await tx.$executeRaw`
        CREATE TEMP TABLE synthetic_members ON COMMIT DROP AS
        SELECT i::bigint AS i, gen_random_uuid() AS id FROM generate_series(1, ${members}) AS i`;
      await tx.$executeRaw`
        INSERT INTO users (id, name, email)
        SELECT id,
               (${first}::text[])[1 + (i * 7919) % ${first.length}] || ' ' || (${last}::text[])[1 + (i * 104729) % ${last.length}] || ' ' || i,
               ${slug} || '-' || i || '@example.test'
        FROM synthetic_members`;
      await tx.$executeRaw`
        INSERT INTO memberships (id, user_id, org_id, role, status, joined_at, left_at)
        SELECT gen_random_uuid(), id, ${orgId}::uuid,
               (CASE WHEN i = 1 THEN 'admin' ELSE 'member' END)::"MembershipRole",
               (CASE WHEN i % 50 = 0 THEN 'left' ELSE 'active' END)::"MembershipStatus",
               now() - interval '400 days', CASE WHEN i % 50 = 0 THEN now() - interval '10 days' END
        FROM synthetic_members`;
      // Levels in proportions like the demo's (about 20 % highly engaged, 38 % moderate, 23 % at risk, ...).
      await tx.$executeRaw`
        INSERT INTO member_engagements (user_id, org_id, level, source, admin_explanation, member_explanation, key_factors,
                                        signals, computed_at, override_level, override_note, overridden_at)
        SELECT m.user_id, ${orgId}::uuid, lv.level::"EngagementLevel",
               (CASE WHEN lv.level IN ('new', 'inactive') THEN 'rules' WHEN h % 10 = 0 THEN 'fallback' ELSE 'llm' END)::"EngagementSource",
               'Attended ' || (h % 12) || ' of the last 12 events; last attended ' || (h % 40) || ' days ago.',
               'Thanks for coming along this season! We would love to see you at the next meetup.',
               ARRAY['attended ' || (h % 12) || ' of 12', 'last attended ' || (h % 40) || ' days ago'],
               jsonb_build_object('tenureDays', 400, 'orgEvents30', 4, 'orgEvents90', 12, 'orgEvents180', 24,
                                  'attended30', least(h % 12, 4), 'attended90', h % 12, 'attended180', h % 12 + 2,
                                  'registered90', h % 12 + 1, 'noShows90', 1, 'upcomingRegistrations', h % 3,
                                  'lastAttendedDaysAgo', h % 40, 'previousLevel', NULL),
               now() - interval '6 hours',
               (CASE WHEN h % 500 = 7 THEN 'moderate' END)::"EngagementLevel",
               CASE WHEN h % 500 = 7 THEN 'Synthetic override' END,
               CASE WHEN h % 500 = 7 THEN now() - interval '2 days' END
        FROM (SELECT user_id, (hashtext(user_id::text) & 2147483647) AS h FROM memberships WHERE org_id = ${orgId}::uuid) m,
             LATERAL (SELECT CASE
                        WHEN m.h % 100 < 20 THEN 'highly_engaged' WHEN m.h % 100 < 58 THEN 'moderate'
                        WHEN m.h % 100 < 81 THEN 'at_risk' WHEN m.h % 100 < 86 THEN 'new' ELSE 'inactive' END AS level) lv`;
      for (const index of indexes) await tx.$executeRawUnsafe(index.definition);
    },
    { timeout: 600_000 },
  );
  // Vacuumed as well as analysed, as autovacuum would in time: the visibility map lets the list's index-only scan
  // of memberships skip the heap.
  await db.$executeRawUnsafe("VACUUM (ANALYZE) users, memberships, member_engagements");
  const admin = await db.membership.findFirstOrThrow({ where: { orgId, role: "admin" }, select: { userId: true } });
  const sample = await db.$queryRaw<{ userId: string; name: string }[]>`
    SELECT m.user_id::text AS "userId", u.name
    FROM memberships m JOIN users u ON u.id = m.user_id JOIN member_engagements me ON me.user_id = m.user_id AND me.org_id = m.org_id
    WHERE m.org_id = ${orgId}::uuid AND m.role = 'member' AND m.status = 'active'
    ORDER BY random() LIMIT ${sampleSize}`;
  return { orgId, adminUserId: admin.userId, sample };
}
