// The fault scenarios trust night-invariants.ts to notice a broken night; this proves it does: a clean night gives
// no violation, and each kind of damage a fault could do, done by hand, is named.
import { buildRun } from "@engagement/db/testing";
import { catalog } from "@engagement/queue";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { enqueueNight } from "./faults/processes.ts";
import { createPipeline, type Pipeline, waitForRuns } from "./harness.ts";
import { captureNightBaseline, type NightBaseline, nightOf, nightViolations, type SeededNight, seedNight } from "./night-invariants.ts";

describe("night invariants", () => {
  let p: Pipeline;
  let night: SeededNight;
  let baseline: NightBaseline;
  let runIds: string[];

  beforeAll(async () => {
    p = await createPipeline("invariants");
    night = await seedNight(p, 2, 20);
    baseline = await captureNightBaseline(p.t.db);
    p.startWorkers();
    runIds = (await enqueueNight(p, night.orgIds)).map((r) => r.runId);
    await waitForRuns(p, runIds);
    await p.stopWorkers();
  });
  afterAll(async () => p.close());

  it("hold after a clean night, expired overrides ended with their audit row", async () => {
    expect(await nightViolations(nightOf(p), baseline, night.orgIds)).toEqual([]);
    expect(await p.t.db.engagementOverrideHistory.count({ where: { action: "expired" } })).toBe(2);
    // One API key per organisation, so the key audit check has rows to compare.
    expect(baseline.keyAudit).toHaveLength(night.orgIds.length);
  });

  it("name each kind of damage: a member lost, counts or tokens off, an override or audit row changed, a second run, a job left", async () => {
    const db = p.t.db;
    const [runA, runB] = runIds as [string, string];
    const lost = await db.engagementSnapshot.findFirstOrThrow({ where: { runId: runA } });
    await db.engagementSnapshot.delete({ where: { id: lost.id } });
    await db.engagementRun.update({
      where: { id: runB },
      data: { countModerate: { increment: 1 }, inputTokens: { increment: 7 }, outputTokens: { increment: 3 } },
    });
    const kept = baseline.overrides.find((o) => o.overrideExpiresAt === null)!;
    await db.memberEngagement.update({ where: { id: kept.id }, data: { overrideNote: "changed by the night" } });
    await db.engagementOverrideHistory.update({ where: { id: baseline.audit[0]!.id }, data: { note: "rewritten" } });
    const keyAudit = baseline.keyAudit[0]!;
    await db.apiKeyAudit.update({ where: { id: keyAudit.id }, data: { action: "revoked" } });
    await db.apiKeyAudit.create({ data: { keyId: keyAudit.keyId, orgId: keyAudit.orgId, action: "created" } });
    await buildRun(db, { orgId: night.orgIds[0]!, status: "queued" });
    await db.runMemberSignals.create({ data: { runId: runB, orgId: night.orgIds[1]!, userId: lost.userId, signals: {} } });
    await p.queues.classify.add(catalog.classify.jobName, { runId: runA, orgId: night.orgIds[0]!, userIds: [lost.userId] });

    const violations = await nightViolations(nightOf(p), baseline, night.orgIds);
    const expected = [
      /^org .*: 2 runs in the night/,
      new RegExp(`^run ${runA} .*: 1 active members without a snapshot`),
      new RegExp(`^run ${runA} .*: ${night.members - 1} snapshots for membersTotal ${night.members}`),
      new RegExp(`^run ${runB} .*: countModerate is`),
      new RegExp(`^run ${runB} .*: inputTokens is`),
      new RegExp(`^run ${runB} .*: outputTokens is`),
      new RegExp(`^run ${runB} .*: 1 staged signals rows left behind`),
      /status queued, expected completed/,
      new RegExp(`^override of ${kept.userId} changed`),
      new RegExp(`^audit row ${baseline.audit[0]!.id} changed`),
      new RegExp(`^API key audit row ${keyAudit.id} changed`),
      /^1 API key audit rows written during the night/,
      /^queue engagement-classify: 1 waiting/,
    ];
    const unnamed = expected.filter((pattern) => !violations.some((v) => pattern.test(v)));
    expect({ unnamed: unnamed.map(String), violations }).toEqual({ unnamed: [], violations });
  });
});
