// SIGTERM with LLM calls in flight (the worker app's shutdown runs stopWorker on each worker): the calls are aborted,
// what was answered stays written, and the classify jobs go back to waiting at once, using no attempt, instead of
// the worker waiting for its slowest call and the jobs waiting for their lock to expire.
import { afterAll, describe, expect, it } from "@jest/globals";
import { stopWorker } from "../src/workers.ts";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns } from "./harness.ts";

describe("shutdown with LLM calls in flight", () => {
  let p: Pipeline | undefined;
  afterAll(async () => p?.close());

  it("aborts the calls, hands the classify jobs back at once, and a new worker finishes the run with nothing lost", async () => {
    p = await createPipeline("shutdown", {
      fake: { latencyMs: 2_500 },
      settings: { classifyChunkSize: 10, classifyChunkConcurrency: 2 },
    });
    const [org] = await seedOrgs(p, 1, 40);
    p.startWorkers({ classifyConcurrency: 2 });
    const { runId } = await runOrg(p, org!.org.id);
    // Wait until requests are in flight (received, not answered).
    for (let i = 0; i < 200 && !p.fake.requests.some((r) => r.status === undefined); i++) await new Promise((r) => setTimeout(r, 25));
    expect(p.fake.requests.some((r) => r.status === undefined)).toBe(true);

    const started = Date.now();
    await Promise.all(p.workers.splice(0).map((w) => stopWorker(w)));
    // Well under the 2.5 s the calls would have taken, and under the lock's 5 s.
    expect(Date.now() - started).toBeLessThan(1_500);
    const classify = await p.queues.classify.getJobs(["waiting", "active", "failed", "completed", "delayed"]);
    expect(classify.filter((j) => j.failedReason)).toEqual([]);
    expect(await p.queues.classify.getJobCounts("failed")).toEqual({ failed: 0 });

    p.startWorkers({ classifyConcurrency: 2 });
    const [run] = await waitForRuns(p, [runId], 60_000);
    expect(run!.status).toBe("completed");
    expect(await p.t.db.engagementSnapshot.count({ where: { runId } })).toBe(40);
    expect(run!.countsBySource).not.toHaveProperty("fallback");
    // The handed-back jobs used no attempt for it.
    const done = await p.queues.classify.getJobs(["completed"]);
    expect(done.every((j) => j.attemptsMade <= 1)).toBe(true);
    const handedBack = p.logLines().filter((l) => l.msg === "classify job handed back: aborted in flight");
    expect(handedBack.length).toBeGreaterThan(0);
  }, 90_000);
});
