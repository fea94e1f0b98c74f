// Issue 12, fault scenario 1 (real time): one night of three organisations during which the worker process is
// SIGKILLed three times, each time at a point the test holds it at and sees in PostgreSQL or Redis before the
// kill — during prepare (blocked writing the staged signals, after the facts-decided members were written),
// during classify (LLM calls in flight), and during finalize (one run blocked counting itself, another after its
// count committed, blocked dropping its staged signals) — and a new worker process is started after each kill.
// The night must end as a clean one: every invariant of night-invariants.ts holds.
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

const WORKER = { ORG_WORKER_CONCURRENCY: "3", LLM_MEMBERS_PER_REQUEST: "5" };

describe("scenario 1: a worker process SIGKILLed during prepare, classify and finalize", () => {
  const procs = new Processes();
  let p: Pipeline;
  let night: SeededNight;
  let baseline: NightBaseline;
  let runIds: string[];
  const seen: Record<string, unknown> = {};
  const timings: Record<string, number> = {};
  /** The worker that finishes the night: stopped only once the night's invariants hold (its jobs included). */
  let last: AppProcess;

  beforeAll(async () => {
    p = await createPipeline("sigkill", { fake: { latencyMs: 300 } });
    night = await seedNight(p, 3, 80);
    baseline = await captureNightBaseline(p.t.db);
    const started = Date.now();
    const step = (name: string) => progress("1-realtime", started, name);
    const db = p.t.db;

    // 1. During prepare: the staged signals' table is locked, so each org job stops at that insert, after its
    // carried and facts-decided members were written.
    await withHeldLocks(db, ["LOCK TABLE run_member_signals IN EXCLUSIVE MODE"], async () => {
      const first = procs.worker(p, WORKER);
      runIds = (await enqueueNight(p, night.orgIds)).map((r) => r.runId);
      const inPrepare = await waitForBlocked(db, "INSERT INTO run_member_signals", 2);
      seen.prepare = {
        blocked: inPrepare.length,
        orgJobsActive: await p.queues.orgRun.getActiveCount(),
        snapshots: await db.engagementSnapshot.count({ where: { runId: { in: runIds } } }),
        classifyJobs: await p.queues.classify.count(),
      };
      step("in prepare: kill");
      await first.stop("SIGKILL");
      // The paused organisation (facts decide all its members) may be blocked dropping its staged signals too.
      await terminate(db, await blockedStatements(db, "run_member_signals"));
    });

    // 2. During classify: killed once the LLM has answered some members and requests are in flight.
    const second = procs.worker(p, WORKER);
    await until("LLM calls in flight after some answers", async () => {
      const judged = await db.engagementSnapshot.count({ where: { runId: { in: runIds }, source: "llm" } });
      return judged >= 10 && p.fake.requests.some((r) => r.status === undefined);
    });
    seen.classify = {
      inFlight: p.fake.requests.filter((r) => r.status === undefined).length,
      classifyActive: await p.queues.classify.getActiveCount(),
      llmSnapshots: await db.engagementSnapshot.count({ where: { runId: { in: runIds }, source: "llm" } }),
    };
    step("in classify: kill");
    await second.stop("SIGKILL");

    // 3. During finalize: one run's count is held (its row locked against the UPDATE), the others get as far as
    // dropping their staged signals, after their count committed.
    const [heldRun] = await db.engagementRun.findMany({
      where: { id: { in: runIds }, status: "running" },
      orderBy: { id: "asc" },
      take: 1,
    });
    if (!heldRun) throw new Error("no run left running before the finalize kill");
    const finalizeLocks = [
      "LOCK TABLE run_member_signals IN EXCLUSIVE MODE",
      `SELECT id FROM engagement_runs WHERE id = '${heldRun.id}' FOR NO KEY UPDATE`,
    ];
    await withHeldLocks(db, finalizeLocks, async () => {
      const third = procs.worker(p, WORKER);
      // finalizeRun's text, as pg_stat_activity keeps it (the first 1 kB: its UPDATE comes later).
      const counting = await waitForBlocked(db, "SELECT level, source, fallback_reason, carried_reason", 1);
      const dropping = await waitForBlocked(db, "DELETE FROM run_member_signals", 1);
      seen.finalize = {
        counting: counting.length,
        dropping: dropping.length,
        statuses: (await db.engagementRun.findMany({ where: { id: { in: runIds } }, select: { status: true } }))
          .map((r) => r.status)
          .sort(),
      };
      step("in finalize: kill");
      await third.stop("SIGKILL");
      // Read again after the kill: another run may have reached the drop meanwhile.
      await terminate(db, [...counting, ...(await blockedStatements(db, "run_member_signals"))]);
    });
    expect(await blockedStatements(db, "run_member_signals")).toEqual([]);

    const restartedAt = Date.now();
    last = procs.worker(p, WORKER);
    step("restarted");
    await waitForRuns(p, runIds, 40_000);
    timings.afterLastRestartMs = Date.now() - restartedAt;
    timings.nightMs = Date.now() - started;
    reportFigures({ scenario: "1-realtime", seen, timings, answered: p.fake.stats().answered });
  }, HOOK_MS);
  afterAll(async () => {
    await procs.killAll();
    await p?.close();
  });

  it("each kill landed where intended", () => {
    // Two org jobs blocked in prepare with members already written and no classify job added yet.
    expect(seen.prepare).toMatchObject({ blocked: 2, classifyJobs: 0 });
    expect((seen.prepare as { snapshots: number }).snapshots).toBeGreaterThan(0);
    expect((seen.classify as { inFlight: number }).inFlight).toBeGreaterThan(0);
    expect((seen.classify as { classifyActive: number }).classifyActive).toBeGreaterThan(0);
    // One run blocked before its count, at least one after its count committed.
    expect(seen.finalize).toMatchObject({ counting: 1 });
    expect((seen.finalize as { statuses: string[] }).statuses).toContain("completed");
    expect((seen.finalize as { statuses: string[] }).statuses).toContain("running");
  });

  it("ends the night as a clean one: every invariant holds", async () => {
    const runs = await expectNightInvariants(nightOf(p), baseline, night.orgIds);
    expect(runs.map((r) => r.membersTotal)).toEqual([night.members, night.members, night.members]);
    // Nobody fell back to the rules because of the kills.
    expect(runs.flatMap((r) => Object.keys(r.countsBySource as object))).not.toContain("fallback");
    seen.lastWorkerExit = await last.stop("SIGTERM");
  });

  it("pays again only for the calls in flight when the worker died, and the last worker exits 0", async () => {
    const runs = await p.t.db.engagementRun.findMany({ where: { id: { in: runIds } } });
    const paid = runs.reduce((n, r) => n + r.llmCalls, 0);
    const inFlight = (seen.classify as { inFlight: number }).inFlight;
    expect(p.fake.stats().answered - paid).toBeLessThanOrEqual(inFlight);
    expect(seen.lastWorkerExit).toBe(0);
  });
});
