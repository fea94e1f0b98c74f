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
  });
}
