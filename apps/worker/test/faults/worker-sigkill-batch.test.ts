// Issue 12, fault scenario 1 (batch mode): a night of three organisations whose judged members go to the provider
// as Message Batches, and the worker process SIGKILLed twice — while the batch is pending at the provider (every
// request recorded in a batch, none of its items ended), and while the ended batch is being collected (the poll
// job blocked writing its results) — with a new worker process started after each kill. The night must end as a
// clean one, every judged member answered by the batch: nothing sent twice, nothing pushed to the real-time path.
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
import { blockedStatements, terminate, waitForBlocked, withHeldLocks } from "./db-locks.ts";
import { enqueueNight, HOOK_MS, Processes, progress, reportFigures, until } from "./processes.ts";

const WORKER = {
  LLM_MODE: "batch",
  LLM_BATCH_POLL_MS: "300",
  LLM_BATCH_API_MAX_REQUESTS: "10000",
  LLM_MEMBERS_PER_REQUEST: "5",
  ORG_WORKER_CONCURRENCY: "3",
};

describe("scenario 1: a worker process SIGKILLed while a provider batch is pending, and while it is collected", () => {
  const procs = new Processes();
  let p: Pipeline;
  let night: SeededNight;
  let baseline: NightBaseline;
  let runIds: string[];
  const seen: Record<string, Record<string, unknown>> = {};
  const timings: Record<string, number> = {};
  /** The worker that finishes the night: stopped only once the night's invariants hold (its jobs included). */
  let last: AppProcess;

  beforeAll(async () => {
    p = await createPipeline("sigkill_batch", { fake: { batchProcessingMs: 6_000 } });
    night = await seedNight(p, 3, 60);
    baseline = await captureNightBaseline(p.t.db);
    const db = p.t.db;
    const started = Date.now();
    const step = (name: string) => progress("1-batch", started, name);

    // 1. Pending at the provider: every request of the night recorded in a batch, none of the batch's items ended.
    const first = procs.worker(p, WORKER);
    runIds = (await enqueueNight(p, night.orgIds)).map((r) => r.runId);
    await until("the night's requests in a pending provider batch", async () => {
      const groups = await db.providerBatchGroup.findMany({ select: { runId: true, batchId: true } });
      const { batches } = p.fake.stats();
      const ended = Object.values(batches.byOutcome).reduce((a, b) => a + b, 0);
      const runsWaiting = new Set(groups.map((g) => g.runId)).size;
      return runsWaiting >= 2 && groups.every((g) => g.batchId !== null) && batches.created > 0 && ended === 0;
    });
    seen.pending = {
      batches: await db.providerBatch.count({ where: { collectedAt: null } }),
      // The runs' provider-batch jobs between two polls: delayed, or due and about to poll.
      providerBatchJobsWaiting: await p.queues.providerBatch.getJobCountByTypes("delayed", "waiting", "active"),
      ended: Object.values(p.fake.stats().batches.byOutcome).reduce((a, b) => a + b, 0),
    };
    step("pending at the provider: kill");
    await first.stop("SIGKILL");

    // 2. During collection: the snapshots' table is locked, so the poll job stops at its first write of results.
    await withHeldLocks(db, ["LOCK TABLE engagement_snapshots IN EXCLUSIVE MODE"], async () => {
      const second = procs.worker(p, WORKER);
      const writing = await waitForBlocked(db, "INSERT INTO engagement_snapshots", 1);
      step("collecting: kill");
      seen.collecting = {
        pollActive: await p.queues.batchPoll.getActiveCount(),
        ended: await db.providerBatch.count({ where: { status: "ended", collectedAt: null } }),
      };
      await second.stop("SIGKILL");
      await terminate(db, [...writing, ...(await blockedStatements(db, "engagement_snapshots"))]);
    });

    const restartedAt = Date.now();
    last = procs.worker(p, WORKER);
    step("restarted");
    await waitForRuns(p, runIds, 40_000);
    timings.afterLastRestartMs = Date.now() - restartedAt;
    timings.nightMs = Date.now() - started;
    reportFigures({ scenario: "1-batch", seen, timings, batches: p.fake.stats().batches });
  }, HOOK_MS);
  afterAll(async () => {
    await procs.killAll();
    await p?.close();
  });

  it("each kill landed where intended", () => {
    expect(seen.pending).toMatchObject({ ended: 0 });
    expect(seen.pending!.batches).toBeGreaterThan(0);
    expect(seen.pending!.providerBatchJobsWaiting).toBeGreaterThanOrEqual(2);
    expect(seen.collecting).toMatchObject({ pollActive: 1 });
    expect(seen.collecting!.ended).toBeGreaterThan(0);
  });

  it("ends the night as a clean one: every invariant holds", async () => {
    const runs = await expectNightInvariants(nightOf(p), baseline, night.orgIds);
    expect(runs.map((r) => r.membersTotal)).toEqual([night.members, night.members, night.members]);
    expect(runs.flatMap((r) => Object.keys(r.countsBySource as object))).not.toContain("fallback");
    expect(await last.stop("SIGTERM")).toBe(0);
  });

  it("sends every request once and answers every judged member through the batch", async () => {
    const llm = await p.t.db.engagementSnapshot.findMany({ where: { runId: { in: runIds }, source: "llm" }, select: { viaBatch: true } });
    expect(llm.length).toBeGreaterThan(10);
    expect(llm.every((s) => s.viaBatch)).toBe(true);
    expect(p.fake.requests.filter((r) => r.path === "/v1/messages")).toHaveLength(0);
    // No batch created twice: each one the provider holds is recorded, and was collected once.
    const recorded = await p.t.db.providerBatch.findMany({ select: { collectedAt: true } });
    expect(p.fake.stats().batches.created).toBe(recorded.length);
    expect(recorded.every((b) => b.collectedAt !== null)).toBe(true);
  });
});
