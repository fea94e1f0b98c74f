// Issue 12, fault scenario 1 (a variant met under load): a worker process frozen (SIGSTOP) in the middle of its org
// jobs' prepare for longer than their locks last — a long GC pause, a stalled VM, or the CPU starvation that made
// 3-second locks lapse when this machine ran at a load of 25 — then resumed (SIGCONT). The resumed process finishes
// prepare on jobs it no longer holds; BullMQ's stalled check hands the jobs out again, now at their finalize step
// while their classify children still run. Finalizing then gave every judged member the rules; the night must
// instead end as a clean one, with every judged member judged by the LLM.
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
import { waitForBlocked, withHeldLocks } from "./db-locks.ts";
import { enqueueNight, FAST_LOCKS, HOOK_MS, Processes, reportFigures } from "./processes.ts";

describe("scenario 1: a worker process frozen past its job locks in prepare, then resumed", () => {
  const procs = new Processes();
  let p: Pipeline;
  let night: SeededNight;
  let baseline: NightBaseline;
  let runIds: string[];
  let locksAfterFreeze: number[] = [];
  /** Stopped only once the night's invariants hold (its jobs included). */
  let worker: AppProcess;
  let logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    p = await createPipeline("sigstop", { fake: { latencyMs: 200 } });
    night = await seedNight(p, 3, 60);
    baseline = await captureNightBaseline(p.t.db);
    const db = p.t.db;
    const started = Date.now();

    const blocked = await withHeldLocks(db, ["LOCK TABLE run_member_signals IN EXCLUSIVE MODE"], async () => {
      worker = procs.worker(p, { ORG_WORKER_CONCURRENCY: "3", LLM_MEMBERS_PER_REQUEST: "5" });
      runIds = (await enqueueNight(p, night.orgIds)).map((r) => r.runId);
      const waiting = await waitForBlocked(db, "INSERT INTO run_member_signals", 2);
      const jobIds = (await p.queues.orgRun.getActive()).map((j) => j.id as string);
      worker.child.kill("SIGSTOP");
      // Frozen for longer than the lock lasts: the lock keys expire in Redis.
      await new Promise((r) => setTimeout(r, Number(FAST_LOCKS.JOB_LOCK_MS) + 1_500));
      locksAfterFreeze = await Promise.all(jobIds.map((id) => p.connection.exists(`${p.prefix}:engagement-org-run:${id}:lock`)));
      return waiting;
    });
    worker.child.kill("SIGCONT");

    await waitForRuns(p, runIds, 40_000);
    logs = worker.logs;
    reportFigures({ scenario: "1-frozen", blocked: blocked.length, nightMs: Date.now() - started });
  }, HOOK_MS);
  afterAll(async () => {
    await procs.killAll();
    await p?.close();
  });

  it("the freeze outlasted the jobs' locks, and the resumed worker found them gone", () => {
    expect(locksAfterFreeze.length).toBeGreaterThanOrEqual(2);
    expect(locksAfterFreeze.every((n) => n === 0)).toBe(true);
    const lockErrors = logs.filter((l) => /lock/i.test(JSON.stringify(l.err ?? "")));
    expect(lockErrors.length).toBeGreaterThan(0);
  });

  it("ends the night as a clean one, every judged member judged by the LLM rather than the rules", async () => {
    const runs = await expectNightInvariants(nightOf(p), baseline, night.orgIds);
    expect(runs.flatMap((r) => Object.keys(r.countsBySource as object))).not.toContain("fallback");
    expect(runs.reduce((n, r) => n + r.llmCalls, 0)).toBeGreaterThan(0);
    expect(await worker.stop("SIGTERM")).toBe(0);
  });
});
