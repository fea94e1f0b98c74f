// Night after night with nothing happening, an LLM judgement is reused rather than paid for again; a new
// attendance, the maximum age and a forced run each send the member back to the (fake) LLM.
import { buildEvent, buildMember, buildOrg, buildRegistration } from "@engagement/db/testing";
import { enqueueOrgRun } from "@engagement/use-cases";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, waitForRuns } from "./harness.ts";

const DAY = 86_400_000;
const NIGHT_1 = new Date("2026-06-01T04:00:00.000Z");
const night = (n: number) => new Date(NIGHT_1.getTime() + (n - 1) * DAY);
const MEMBERS = 4;
const MAX_AGE_DAYS = 3;

describe("reusing an LLM judgement whose inputs have not changed", () => {
  let p: Pipeline;
  let orgId: string;
  let members: string[];
  let late: string;
  let skippedEventId: string;

  /**
   * The scheduled run of night n (its asOf is that night's cron instant), and the LLM requests it made. A request
   * may carry several members, so who was judged is read from the run's counts; the requests show that none was
   * made when none should be.
   */
  async function runNight(n: number, force = false) {
    const before = p.fake.requests.length;
    const runDate = night(n).toISOString().slice(0, 10);
    const { runId } = await enqueueOrgRun(p.t.db, p.queues, { orgId, trigger: "scheduled", runDate, asOf: night(n), force });
    const [run] = await waitForRuns(p, [runId]);
    return { run: run!, requests: p.fake.requests.length - before };
  }

  beforeAll(async () => {
    p = await createPipeline("fingerprint", { settings: { fingerprint: { maxAgeDays: MAX_AGE_DAYS } } });
    p.startWorkers();
    orgId = (await buildOrg(p.t.db)).id;
    members = [];
    for (let i = 0; i < MEMBERS; i++)
      members.push((await buildMember(p.t.db, orgId, { joinedAt: new Date(NIGHT_1.getTime() - 400 * DAY) })).user.id);
    late = members[0] as string;
    // Twelve weekly events, the last 9 days before night 1: over the nights below no event enters or leaves a
    // 30/90/180-day window, so only the days since the last attendance and the tenure move.
    for (let week = 0; week < 12; week++) {
      const event = await buildEvent(p.t.db, { orgId, startsAt: new Date(NIGHT_1.getTime() - (9 + 7 * week) * DAY) });
      for (const userId of members) {
        // One member missed the second-latest event; their attendance is recorded late, between nights 2 and 3.
        if (userId === late && week === 1) skippedEventId = event.id;
        else await buildRegistration(p.t.db, { eventId: event.id, userId, status: "attended" });
      }
    }
  });
  afterAll(async () => p.close());

  it("night 1 judges every member the facts leave open", async () => {
    const { run, requests } = await runNight(1);
    expect(requests).toBeGreaterThan(0);
    expect(run.countsBySource).toEqual({ llm: MEMBERS });
    const rows = await p.t.db.memberEngagement.findMany({ where: { orgId } });
    expect(rows.every((r) => r.source === "llm" && r.inputsFingerprint?.startsWith("v1 "))).toBe(true);
  });

  it("night 2, with nothing new, makes no LLM request and carries everyone with the reason inputs_unchanged", async () => {
    const judged = await p.t.db.memberEngagement.findMany({ where: { orgId }, orderBy: { userId: "asc" } });
    const { run, requests } = await runNight(2);
    expect(requests).toBe(0);
    expect(run.countsBySource).toEqual({ carried: MEMBERS });
    expect(run.countsByCarriedReason).toEqual({ inputs_unchanged: MEMBERS });
    const snapshots = await p.t.db.engagementSnapshot.findMany({ where: { runId: run.id }, orderBy: { userId: "asc" } });
    expect(snapshots.map((s) => [s.level, s.carriedReason])).toEqual(judged.map((r) => [r.level, "inputs_unchanged"]));
    // The judgement's own time stands, so its age counts from night 1.
    const after = await p.t.db.memberEngagement.findMany({ where: { orgId }, orderBy: { userId: "asc" } });
    expect(after.map((r) => r.computedAt.toISOString())).toEqual(judged.map(() => NIGHT_1.toISOString()));
  });

  it("night 3 judges again only the member with a new attendance", async () => {
    await buildRegistration(p.t.db, { eventId: skippedEventId, userId: late, status: "attended" });
    const { run, requests } = await runNight(3);
    expect(requests).toBe(1);
    expect(run.countsBySource).toEqual({ llm: 1, carried: MEMBERS - 1 });
    const row = await p.t.db.memberEngagement.findUniqueOrThrow({ where: { userId_orgId: { userId: late, orgId } } });
    expect(row.computedAt.toISOString()).toBe(night(3).toISOString());
  });

  it("night 4 judges afresh the judgements that reached the maximum age, and still reuses the younger one", async () => {
    const { run, requests } = await runNight(4);
    expect(requests).toBeGreaterThan(0);
    expect(run.countsBySource).toEqual({ llm: MEMBERS - 1, carried: 1 });
    expect(run.countsByCarriedReason).toEqual({ inputs_unchanged: 1 });
  });

  it("a forced run ignores the fingerprint and judges everyone", async () => {
    const { run, requests } = await runNight(5, true);
    expect(requests).toBeGreaterThan(0);
    expect(run.countsBySource).toEqual({ llm: MEMBERS });
    expect(run.countsByCarriedReason).toEqual({});
  });
});
