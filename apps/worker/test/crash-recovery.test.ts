// A worker process killed with SIGKILL in the middle of a run: its jobs stall, and a second worker takes them
// over once their locks expire. No member may be missing or written twice.
import { startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns, workerProcessEnv } from "./harness.ts";

describe("a worker killed mid-run", () => {
  let p: Pipeline;
  let runId: string;
  let snapshotsAtKill = 0;
  let memberIds: string[];

  beforeAll(async () => {
    // Slow answers, so the kill lands while classify jobs are in flight.
    p = await createPipeline("crash", { fake: { latencyMs: 150 } });
    const [org] = await seedOrgs(p, 1, 80);
    memberIds = org!.memberships.map((m) => m.userId).sort();
    const app = startApp("worker", workerProcessEnv(p, { JOB_LOCK_MS: "3000", STALLED_INTERVAL_MS: "1000", LOG_LEVEL: "silent" }));
    ({ runId } = await runOrg(p, org!.org.id));
    // Kill once the run is well under way but not finished.
    const deadline = Date.now() + 30_000;
    for (;;) {
      // Once the LLM has judged some members: classify jobs are in flight and the org job waits on them.
      snapshotsAtKill = await p.t.db.engagementSnapshot.count({ where: { runId } });
      const judged = await p.t.db.engagementSnapshot.count({ where: { runId, source: "llm" } });
      if (judged >= 5) break;
      if (app.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`worker process never got going (exit ${app.child.exitCode}): ${JSON.stringify(app.logs)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await app.stop("SIGKILL");
    p.startWorkers({ lockDurationMs: 3000, stalledIntervalMs: 1000 });
  }, 60_000);
  afterAll(async () => p.close());

  it("is finished by a second worker", async () => {
    const [run] = await waitForRuns(p, [runId], 60_000);
    expect(snapshotsAtKill).toBeLessThan(80);
    expect(run!.status).toBe("completed");
  }, 70_000);

  it("leaves no member missing or doubled, and repeats at most the calls that were in flight", async () => {
    const snapshots = await p.t.db.engagementSnapshot.findMany({ where: { runId }, select: { userId: true } });
    expect(snapshots.map((s) => s.userId).sort()).toEqual(memberIds);
    const current = await p.t.db.memberEngagement.findMany({ where: { runId }, select: { userId: true } });
    expect(current.map((c) => c.userId).sort()).toEqual(memberIds);
    const run = await p.t.db.engagementRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.membersTotal).toBe(80);
    expect(run.countHighlyEngaged + run.countModerate + run.countAtRisk + run.countNew + run.countInactive).toBe(80);
    // Members already written are skipped on the retry; only the killed jobs' unfinished calls are paid again
    // (at most 4 jobs in flight x 5 members each).
    expect(p.fake.stats().answered - run.llmCalls).toBeLessThanOrEqual(20);
  });
});
