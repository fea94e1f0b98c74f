// The summary reads counts kept by triggers: they must equal what the rows themselves say after every kind of
// write (results, overrides, memberships leaving, rejoining or removed, users or organisations deleted).
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { EngagementLevel } from "../generated/prisma/enums.ts";
import { buildMember, buildMembership, buildOrg, buildRun, buildSignals, daysAgo } from "../testing/factories.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { getEngagementSummary } from "./engagement-read.ts";
import { type MemberResult, writeMemberResults } from "./engagement-writes.ts";
import { recountEngagementLevels } from "./level-counts.ts";

const result = (userId: string, level: EngagementLevel): MemberResult => ({
  userId,
  level,
  source: "rules",
  adminExplanation: "admin text",
  memberExplanation: "member text",
  keyFactors: [],
  signals: buildSignals(),
  model: null,
  fallbackReason: null,
  inputsFingerprint: null,
  usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
});

describe("engagement level counts kept by triggers", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("levelcounts");
  });
  afterAll(async () => t.drop());

  /** The summary as it was computed before the counts table: every active member's effective level, counted. */
  async function exactCounts(orgId: string) {
    const rows = await t.db.$queryRaw<{ level: EngagementLevel; n: number }[]>`
      SELECT (CASE WHEN me.override_level IS NOT NULL AND (me.override_expires_at IS NULL OR me.override_expires_at > now())
                   THEN me.override_level ELSE me.level END)::text AS level, count(*)::int AS n
      FROM member_engagements me
      JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
      WHERE me.org_id = ${orgId}::uuid GROUP BY 1`;
    const counts: Record<EngagementLevel, number> = { highly_engaged: 0, moderate: 0, at_risk: 0, new: 0, inactive: 0 };
    for (const r of rows) counts[r.level] = r.n;
    return counts;
  }

  async function exactOverridden(orgId: string) {
    const [row] = await t.db.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM member_engagements me
      JOIN memberships m ON m.user_id = me.user_id AND m.org_id = me.org_id AND m.status = 'active'
      WHERE me.org_id = ${orgId}::uuid AND me.override_level IS NOT NULL
        AND (me.override_expires_at IS NULL OR me.override_expires_at > now())`;
    return row?.n ?? 0;
  }

  async function expectSummaryExact(orgId: string) {
    const summary = await getEngagementSummary(t.db, orgId);
    const exact = await exactCounts(orgId);
    expect(summary.counts).toEqual(exact);
    expect(summary.overridden).toBe(await exactOverridden(orgId));
    expect(summary.total).toBe(Object.values(exact).reduce((a, b) => a + b, 0));
    return summary;
  }

  it("the summary equals an exact count after results, overrides and membership changes", async () => {
    const org = await buildOrg(t.db);
    const other = await buildOrg(t.db);
    const members = await Promise.all(Array.from({ length: 8 }, () => buildMember(t.db, org.id)));
    const ids = members.map((m) => m.user.id);
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    const run1 = await buildRun(t.db, { orgId: org.id });
    // First results: inserted (one statement for eight members).
    const levels: EngagementLevel[] = ["highly_engaged", "moderate", "moderate", "at_risk", "new", "inactive", "at_risk", "moderate"];
    await writeMemberResults(
      t.db,
      run1.id,
      org.id,
      daysAgo(1),
      ids.map((id, i) => result(id, levels[i] as EngagementLevel)),
    );
    expect((await expectSummaryExact(org.id)).counts).toEqual({ highly_engaged: 1, moderate: 3, at_risk: 2, new: 1, inactive: 1 });

    // A second run changes some levels (the upsert's update path) and keeps others.
    const run2 = await buildRun(t.db, { orgId: org.id });
    await writeMemberResults(t.db, run2.id, org.id, new Date(), [result(a, "at_risk"), result(b, "moderate"), result(c, "inactive")]);
    await expectSummaryExact(org.id);

    // An active override moves its member; an expired one does not.
    await t.db.memberEngagement.update({
      where: { userId_orgId: { userId: d, orgId: org.id } },
      data: { overrideLevel: "highly_engaged", overrideNote: "n", overriddenAt: new Date() },
    });
    await t.db.memberEngagement.update({
      where: { userId_orgId: { userId: e, orgId: org.id } },
      data: { overrideLevel: "moderate", overrideNote: "n", overriddenAt: daysAgo(3), overrideExpiresAt: daysAgo(1) },
    });
    expect((await expectSummaryExact(org.id)).overridden).toBe(1);
    // The overridden member's computed level changes under the override; the override changes, then is cleared
    // and set again; one expiring later counts.
    await writeMemberResults(t.db, (await buildRun(t.db, { orgId: org.id })).id, org.id, new Date(), [result(d, "moderate")]);
    await expectSummaryExact(org.id);
    const setOverride = (userId: string, overrideLevel: EngagementLevel | null, overrideExpiresAt: Date | null = null) =>
      t.db.memberEngagement.update({
        where: { userId_orgId: { userId, orgId: org.id } },
        data: {
          overrideLevel,
          overrideNote: overrideLevel ? "n" : null,
          overriddenAt: overrideLevel ? new Date() : null,
          overrideExpiresAt,
        },
      });
    await setOverride(d, "inactive");
    await expectSummaryExact(org.id);
    await setOverride(d, null);
    expect((await expectSummaryExact(org.id)).overridden).toBe(0);
    await setOverride(d, "highly_engaged");
    await setOverride(b, "at_risk", new Date(Date.now() + 86_400_000));
    expect((await expectSummaryExact(org.id)).overridden).toBe(2);

    // Leaving, coming back, removed memberships, a deleted user, a membership added again for a kept result.
    await t.db.membership.update({ where: { userId_orgId: { userId: a, orgId: org.id } }, data: { status: "left", leftAt: new Date() } });
    await expectSummaryExact(org.id);
    await t.db.membership.updateMany({ where: { orgId: org.id, userId: { in: [a, b] } }, data: { status: "active" } });
    await expectSummaryExact(org.id);
    await t.db.user.delete({ where: { id: c } });
    await expectSummaryExact(org.id);
    await t.db.membership.delete({ where: { userId_orgId: { userId: b, orgId: org.id } } });
    await expectSummaryExact(org.id);
    await buildMembership(t.db, { orgId: org.id, userId: b });
    await expectSummaryExact(org.id);
    // A result in another organisation counts there only.
    const { user } = await buildMember(t.db, other.id);
    await writeMemberResults(t.db, (await buildRun(t.db, { orgId: other.id })).id, other.id, new Date(), [result(user.id, "new")]);
    await expectSummaryExact(org.id);
    expect((await expectSummaryExact(other.id)).counts.new).toBe(1);
    // Deleting an organisation takes its counts with it (the members' cascaded deletes add none back).
    await t.db.organization.delete({ where: { id: other.id } });
    expect(await t.db.engagementLevelCount.count({ where: { orgId: other.id } })).toBe(0);
  });

  it("a recount repairs counts that drifted", async () => {
    const org = await buildOrg(t.db);
    const { user } = await buildMember(t.db, org.id);
    await writeMemberResults(t.db, (await buildRun(t.db, { orgId: org.id })).id, org.id, new Date(), [result(user.id, "moderate")]);
    await t.db.memberEngagement.update({
      where: { userId_orgId: { userId: user.id, orgId: org.id } },
      data: { overrideLevel: "at_risk", overrideNote: "n", overriddenAt: new Date() },
    });
    await t.db.$executeRaw`UPDATE engagement_level_counts SET members = members + 5 WHERE org_id = ${org.id}::uuid AND level = 'moderate'`;
    await t.db.$executeRaw`UPDATE engagement_override_counts SET members = members + 3 WHERE org_id = ${org.id}::uuid`;
    await t.db.$executeRaw`INSERT INTO engagement_override_counts VALUES (${org.id}::uuid, 'new', 'inactive', 2)`;
    expect((await getEngagementSummary(t.db, org.id)).overridden).toBe(6);
    await recountEngagementLevels(t.db, org.id);
    await expectSummaryExact(org.id);
  });
});
