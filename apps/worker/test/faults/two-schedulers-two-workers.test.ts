// Issue 12, fault scenario 5: two scheduler processes and two worker processes at once, and the same night's tick
// added twice at the same moment (two schedulers, or a retried tick) and once more after the night finished. The
// run key (org, night) and the job ids derived from it must make that one night: one run and one org job per
// organisation, every member written once, and every invariant of night-invariants.ts holding.
import { catalog, runDateOf } from "@engagement/queue";
import type { AppProcess } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, waitForRuns } from "../harness.ts";
import {
  captureNightBaseline,
  expectNightInvariants,
  type NightBaseline,
  nightOf,
  type SeededNight,
  seedNight,
} from "../night-invariants.ts";
import { HOOK_MS, Processes, reportFigures, STARTUP_MS, TEST_MS, until } from "./processes.ts";

describe("scenario 5: two schedulers, two workers, the night's tick added twice", () => {
  const procs = new Processes();
  const runDate = runDateOf(new Date());
  let p: Pipeline;
  let night: SeededNight;
  let baseline: NightBaseline;
  let schedulers: AppProcess[];
  let workers: AppProcess[];
  let runIds: string[];
  const figures: Record<string, unknown> = {};

  const ticksDone = async (n: number) =>
    until(`${n} ticks completed`, async () => ((await p.queues.scheduler.getJobCounts("completed")).completed ?? 0) >= n);

  beforeAll(async () => {
    p = await createPipeline("twosched", { fake: { latencyMs: [100, 300] } });
    night = await seedNight(p, 3, 60);
    baseline = await captureNightBaseline(p.t.db);
    schedulers = [procs.scheduler(p), procs.scheduler(p)];
    // One org job at a time per worker, so the night's three are shared between the two processes. Nothing is killed
    // here: the production 30 s locks, so a loaded machine cannot make a lock lapse (worker-sigstop covers that).
    const worker = { ORG_WORKER_CONCURRENCY: "1", LLM_MEMBERS_PER_REQUEST: "5", JOB_LOCK_MS: "30000", STALLED_INTERVAL_MS: "30000" };
    workers = [0, 1].map(() => procs.worker(p, worker));
    await Promise.all([
      ...schedulers.map((s) => s.waitForLog((l) => l.msg === "nightly schedule set", STARTUP_MS)),
      ...workers.map((w) => w.waitForLog((l) => l.msg === "worker started", STARTUP_MS)),
    ]);
    const started = Date.now();
    await Promise.all(["tick-a", "tick-b"].map((jobId) => p.queues.scheduler.add(catalog.scheduler.jobName, { runDate }, { jobId })));
    await ticksDone(2);
    const runs = await p.t.db.engagementRun.findMany({ where: { orgId: { in: night.orgIds } } });
    runIds = runs.map((r) => r.id);
    await waitForRuns(p, runIds, 40_000);
    figures.nightMs = Date.now() - started;
  }, HOOK_MS);
  afterAll(async () => {
    await procs.killAll();
    await p?.close();
  });

  it(
    "both ticks ran, in whichever scheduler took each, and agreed on one run and one org job per organisation",
    async () => {
      expect(await p.queues.scheduler.getJobSchedulers()).toHaveLength(1);
      const enqueued = schedulers.flatMap((s) => s.logs).filter((l) => l.msg === "nightly runs enqueued");
      expect(enqueued.map((l) => l.runDate)).toEqual([runDate, runDate]);
      expect(runIds).toHaveLength(night.orgIds.length);
      const orgJobs = await p.queues.orgRun.getJobs(["completed", "failed", "active", "waiting", "delayed", "waiting-children"]);
      expect(orgJobs.map((j) => j.data.runId).sort()).toEqual([...runIds].sort());
    },
    TEST_MS,
  );

  it(
    "both workers took part, and the night ends as a clean one: every invariant holds",
    async () => {
      const prepared = workers.map((w) => w.logs.filter((l) => l.msg === "run prepared" || l.msg === "run finalized").length);
      figures.orgStepsPerWorker = prepared;
      expect(prepared.every((n) => n > 0)).toBe(true);
      const runs = await expectNightInvariants(nightOf(p), baseline, night.orgIds);
      expect(runs.every((r) => r.trigger === "scheduled" && r.runKey === `scheduled:${runDate}`)).toBe(true);
      // Each member judged once: the LLM was paid once per request the runs count.
      expect(p.fake.stats().answered).toBe(runs.reduce((n, r) => n + r.llmCalls, 0));
    },
    TEST_MS,
  );

  it(
    "the tick added again after the night finished changes nothing",
    async () => {
      const answered = p.fake.stats().answered;
      await p.queues.scheduler.add(catalog.scheduler.jobName, { runDate }, { jobId: "tick-late" });
      await ticksDone(3);
      // Whatever the late tick enqueued would be taken at once by an idle worker; give it the time to show.
      await new Promise((r) => setTimeout(r, 500));
      await expectNightInvariants(nightOf(p), baseline, night.orgIds);
      expect(p.fake.stats().answered).toBe(answered);
      const exits = await Promise.all([...schedulers, ...workers].map((a) => a.stop("SIGTERM")));
      expect(exits).toEqual([0, 0, 0, 0]);
      reportFigures({ scenario: 5, ...figures });
    },
    TEST_MS,
  );
});
