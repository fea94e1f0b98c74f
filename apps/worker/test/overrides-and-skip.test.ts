import { buildEvent, buildMember, buildOrg, buildRegistration, daysAgo } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, waitForRuns } from "./harness.ts";

describe("overrides, the 24-hour skip and --force in the batch", () => {
  let p: Pipeline;
  let orgId: string;
  let kept: string;
  let expiring: string;
  let plain: string;

  beforeAll(async () => {
    p = await createPipeline("ovr", { settings: { skipRecentHours: 24 } });
    p.startWorkers();
    const org = await buildOrg(p.t.db);
    orgId = org.id;
    const members = [];
    for (let i = 0; i < 3; i++) members.push((await buildMember(p.t.db, orgId, { joinedAt: daysAgo(400) })).user.id);
    [kept, expiring, plain] = members as [string, string, string];
    // Weekly events; everyone attends every one of them: the rules say highly_engaged.
    for (let week = 1; week <= 12; week++) {
      const event = await buildEvent(p.t.db, { orgId, startsAt: daysAgo(week * 7) });
      for (const userId of members) await buildRegistration(p.t.db, { eventId: event.id, userId, status: "attended" });
    }
    const first = await runOrg(p, orgId);
    await waitForRuns(p, [first.runId]);
    const admin = (await buildMember(p.t.db, orgId, { role: "admin" })).user.id;
    await p.t.db.memberEngagement.update({
      where: { userId_orgId: { userId: kept, orgId } },
      data: { overrideLevel: "at_risk", overrideNote: "asked us to check in", overriddenBy: admin, overriddenAt: new Date() },
    });
    await p.t.db.memberEngagement.update({
      where: { userId_orgId: { userId: expiring, orgId } },
      data: {
        overrideLevel: "inactive",
        overrideNote: "on leave",
        overriddenBy: admin,
        overriddenAt: daysAgo(10),
        overrideExpiresAt: daysAgo(1),
      },
    });
  });
  afterAll(async () => p.close());

  it("carries recent results over without recomputing them when not forced", async () => {
    const before = p.fake.stats().answered;
    const second = await runOrg(p, orgId);
    const [run] = await waitForRuns(p, [second.runId]);
    expect(run!.countsBySource).toMatchObject({ carried: 3 });
    expect(run!.countsByCarriedReason).toEqual({ recent: 3 });
    expect(p.fake.stats().answered).toBe(before);
  });

  it("clears an expired override with an 'expired' audit row, and keeps an active one", async () => {
    const rows = await p.t.db.memberEngagement.findMany({ where: { orgId } });
    const byUser = new Map(rows.map((r) => [r.userId, r]));
    expect(byUser.get(kept)!.overrideLevel).toBe("at_risk");
    expect(byUser.get(expiring)!.overrideLevel).toBeNull();
    const audit = await p.t.db.engagementOverrideHistory.findMany({ where: { orgId, userId: expiring } });
    expect(audit).toEqual([expect.objectContaining({ action: "expired", previousLevel: "inactive", actorId: null })]);
    const runs = await p.t.db.engagementRun.findMany({ where: { orgId }, select: { expiredOverrides: true } });
    expect(runs.reduce((sum, r) => sum + r.expiredOverrides, 0)).toBe(1);
  });

  it("--force recomputes everyone, storing the computed level beside an active override", async () => {
    const forced = await runOrg(p, orgId, true);
    const [run] = await waitForRuns(p, [forced.runId]);
    expect(run!.countsBySource).not.toHaveProperty("carried");
    const keptRow = await p.t.db.memberEngagement.findUniqueOrThrow({ where: { userId_orgId: { userId: kept, orgId } } });
    expect(keptRow.runId).toBe(forced.runId);
    expect(keptRow.level).toBe("highly_engaged");
    expect(keptRow.overrideLevel).toBe("at_risk");
    expect(keptRow.overrideNote).toBe("asked us to check in");
    const plainRow = await p.t.db.memberEngagement.findUniqueOrThrow({ where: { userId_orgId: { userId: plain, orgId } } });
    expect(plainRow.runId).toBe(forced.runId);
  });
});
