// engagement_level_counts (active members per computed level, the summary's source) is kept by triggers, one
// delta per statement. A recount makes it exact again: the triggers of a result write and of a membership
// change made at the same moment by two transactions each miss the other's uncommitted row (a member leaving
// while their result is written), so a run recounts its organisation when it finishes.
import type { Db } from "../client.ts";

/** Recounts the organisation's members per computed level, locking its count rows first (see below). */
export async function recountEngagementLevels(db: Db, orgId: string): Promise<void> {
  await db.$transaction(async (tx) => {
    await tx.$executeRaw`
      INSERT INTO engagement_level_counts (org_id, level, members)
      SELECT ${orgId}::uuid, l, 0 FROM unnest(enum_range(NULL::"EngagementLevel")) AS l
      ON CONFLICT (org_id, level) DO NOTHING`;
    // Locked before counting: a writer whose delta is already applied is waited for (its rows then count), and
    // one that comes later waits for this recount and adds its delta to the exact figure.
    await tx.$queryRaw`SELECT 1 FROM engagement_level_counts WHERE org_id = ${orgId}::uuid ORDER BY level FOR UPDATE`;
    await tx.$executeRaw`
      UPDATE engagement_level_counts c SET members = x.n
      FROM (
        SELECT l AS level, coalesce(y.n, 0) AS n FROM unnest(enum_range(NULL::"EngagementLevel")) AS l
        LEFT JOIN (
          SELECT me.level, count(*)::int AS n FROM member_engagements me
          JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
          WHERE me.org_id = ${orgId}::uuid GROUP BY me.level
        ) y ON y.level = l
      ) x
      WHERE c.org_id = ${orgId}::uuid AND c.level = x.level AND c.members <> x.n`;
    // The override pairs the same way: rows made, locked, then counted. A writer that sets an override without
    // changing a level locks only its pair row, which this waits for or which waits for this.
    await tx.$executeRaw`
      INSERT INTO engagement_override_counts (org_id, level, override_level, members)
      SELECT ${orgId}::uuid, me.level, me.override_level, 0 FROM member_engagements me
      WHERE me.org_id = ${orgId}::uuid AND me.override_level IS NOT NULL
      GROUP BY me.level, me.override_level
      ON CONFLICT (org_id, level, override_level) DO NOTHING`;
    await tx.$queryRaw`SELECT 1 FROM engagement_override_counts WHERE org_id = ${orgId}::uuid ORDER BY level, override_level FOR UPDATE`;
    await tx.$executeRaw`
      UPDATE engagement_override_counts c SET members = coalesce(y.n, 0)
      FROM engagement_override_counts c2
      LEFT JOIN (
        SELECT me.level, me.override_level, count(*)::int AS n FROM member_engagements me
        JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
        WHERE me.org_id = ${orgId}::uuid AND me.override_level IS NOT NULL GROUP BY me.level, me.override_level
      ) y ON y.level = c2.level AND y.override_level = c2.override_level
      WHERE c2.org_id = ${orgId}::uuid AND c.org_id = c2.org_id AND c.level = c2.level AND c.override_level = c2.override_level
        AND c.members <> coalesce(y.n, 0)`;
  });
}
