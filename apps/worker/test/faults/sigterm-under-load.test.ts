// Issue 12, fault scenario 6: SIGTERM to each app while it has work in flight, measured.
//   scheduler — SIGTERMed while its nightly tick is enqueuing (held at its first insert of a run): it finishes the
//               tick, every organisation's run is enqueued, and it exits 0 within its deadline.
//   worker    — SIGTERMed with LLM calls in flight (1.2 s each) and locks of the production 30 s: it aborts the
//               calls and hands its classify jobs back at once, exits 0, and the other worker finishes the night
//               long before a lock could have expired; the night ends clean (night-invariants.ts).
//   API       — SIGTERMed with list requests and an override write in flight (held by a table lock): it refuses new
//               connections, answers every request in flight once they can finish, then exits 0.
import { randomBytes } from "node:crypto";
import { signToken } from "@engagement/auth";
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
import { freePort } from "../redis-servers.ts";
import { waitForBlocked, withHeldLocks } from "./db-locks.ts";
import { HOOK_MS, Processes, reportFigures, STARTUP_MS, TEST_MS, until } from "./processes.ts";

const DEADLINE = { SHUTDOWN_TIMEOUT_MS: "10000" };
/** The production lock: a job not handed back would wait this long for another worker. */
const PRODUCTION_LOCKS = { JOB_LOCK_MS: "30000", STALLED_INTERVAL_MS: "30000" };
const SECRET = randomBytes(32).toString("hex");

/** Sends SIGTERM and resolves with the exit code and how long the process took to exit. */
async function term(app: AppProcess): Promise<{ code: number | null; ms: number }> {
  const at = Date.now();
  const code = await app.stop("SIGTERM", 20_000);
  return { code, ms: Date.now() - at };
}

/** When each shutdown step of the app ended, in ms after the SIGTERM (from its own log lines). */
const shutdownSteps = (app: AppProcess, termAt: number) =>
  Object.fromEntries(
    app.logs
      .filter((l) => typeof l.msg === "string" && /^shut/.test(l.msg) && Number(l.time) >= termAt - 100)
      .map((l) => [String(l.step ?? l.msg), Number(l.time) - termAt]),
  );

/**
 * Exit code 0 says the app finished its shutdown before its own deadline timer (which exits 1); its last log line
 * says when. (The exit as seen from here also counts the process's teardown and, on a loaded machine, scheduling.)
 */
function expectWithinDeadline(figure: unknown) {
  const { code, steps } = figure as { code: number | null; steps: Record<string, number> };
  expect(code).toBe(0);
  expect(steps["shutdown complete"]).toBeLessThan(Number(DEADLINE.SHUTDOWN_TIMEOUT_MS));
}

describe("scenario 6: SIGTERM under load", () => {
  const procs = new Processes();
  const figures: Record<string, unknown> = {};
  let p: Pipeline;
  let night: SeededNight;
  let baseline: NightBaseline;
  let scheduler: AppProcess;
  let workers: AppProcess[];
  let api: AppProcess;
  let port: number;
  // Each test starts where the one before left the pipeline: the worker test runs the night the scheduler's tick
  // enqueued, and the API test counts the statements held at member_engagements, which must all be its own
  // requests (both workers gone). After a failure the tests that follow fail at once, naming the cause, rather
  // than as a timeout far from it.
  const passed = new Set<string>();
  const after = (test: string) => {
    if (!passed.has(test)) throw new Error(`this test needs the ${test} test to have passed first`);
  };

  beforeAll(async () => {
    port = await freePort();
    p = await createPipeline("sigterm", { fake: { latencyMs: 1_200 } });
    night = await seedNight(p, 3, 60);
    baseline = await captureNightBaseline(p.t.db);
    const worker = { ...DEADLINE, ...PRODUCTION_LOCKS, LLM_MEMBERS_PER_REQUEST: "5" };
    scheduler = procs.scheduler(p, DEADLINE);
    workers = [procs.worker(p, worker), procs.worker(p, worker)];
    api = procs.api(p, port, SECRET, DEADLINE);
    await Promise.all([
      scheduler.waitForLog((l) => l.msg === "nightly schedule set", STARTUP_MS),
      ...workers.map((w) => w.waitForLog((l) => l.msg === "worker started", STARTUP_MS)),
      api.waitForLog((l) => l.msg === "api listening", STARTUP_MS),
    ]);
  }, HOOK_MS);
  afterAll(async () => {
    await procs.killAll();
    await p?.close();
  });

  it(
    "the scheduler finishes the tick in flight, enqueues every run, and exits 0",
    async () => {
      const { termAt, stopping, aliveWhileTickRuns, releasedAt } = await withHeldLocks(
        p.t.db,
        ["LOCK TABLE engagement_runs IN SHARE MODE"],
        async () => {
          await p.queues.scheduler.add(catalog.scheduler.jobName, { runDate: runDateOf(new Date()) }, { jobId: "tonight" });
          await waitForBlocked(p.t.db, "INSERT INTO engagement_runs");
          const termAt = Date.now();
          const stopping = term(scheduler);
          await new Promise((r) => setTimeout(r, 1_000));
          // Still there a second later: waiting for its tick, not gone with it half done.
          return { termAt, stopping, aliveWhileTickRuns: scheduler.child.exitCode === null, releasedAt: Date.now() };
        },
      );
      const stopped = await stopping;
      figures.scheduler = { ...stopped, afterReleaseMs: Date.now() - releasedAt, steps: shutdownSteps(scheduler, termAt) };
      expect(aliveWhileTickRuns).toBe(true);
      expectWithinDeadline(figures.scheduler);
      const tick = await p.queues.scheduler.getJob("tonight");
      expect(await tick?.getState()).toBe("completed");
      expect(await p.t.db.engagementRun.count({ where: { orgId: { in: night.orgIds } } })).toBe(night.orgIds.length);
      passed.add("scheduler");
    },
    TEST_MS,
  );

  it(
    "a worker with LLM calls in flight hands its jobs back and exits 0; the other finishes the night clean",
    async () => {
      after("scheduler");
      const [first, second] = workers as [AppProcess, AppProcess];
      await until("LLM calls in flight in both workers", async () => {
        const inFlight = p.fake.requests.filter((r) => r.status === undefined).length;
        return inFlight >= 6 && (await p.queues.classify.getActiveCount()) >= 6;
      });
      const inFlight = p.fake.requests.filter((r) => r.status === undefined).length;
      const termAt = Date.now();
      const stopped = await term(first);
      const runs = await p.t.db.engagementRun.findMany({ where: { orgId: { in: night.orgIds } } });
      await waitForRuns(
        p,
        runs.map((r) => r.id),
        25_000,
      );
      figures.worker = { ...stopped, inFlight, nightDoneAfterTermMs: Date.now() - termAt, steps: shutdownSteps(first, termAt) };
      expectWithinDeadline(figures.worker);
      const handedBack = first.logs.filter((l) => l.msg === "classify job handed back: aborted in flight");
      expect(handedBack.length).toBeGreaterThan(0);
      // Taken over at once, not after the 30 s lock.
      expect(Date.now() - termAt).toBeLessThan(Number(PRODUCTION_LOCKS.JOB_LOCK_MS));
      const done = await expectNightInvariants(nightOf(p), baseline, night.orgIds);
      expect(done.flatMap((r) => Object.keys(r.countsBySource as object))).not.toContain("fallback");
      // A job handed back used no attempt for it.
      const classify = await p.queues.classify.getJobs(["completed"]);
      expect(classify.every((j) => j.attemptsMade <= 1)).toBe(true);
      figures.handedBack = handedBack.length;
      expect((await term(second)).code).toBe(0);
      passed.add("worker");
    },
    TEST_MS,
  );

  it(
    "the API answers every request in flight, refuses new ones, then exits 0",
    async () => {
      after("worker");
      const orgId = night.orgIds[0]!;
      const [admin, member] = await p.t.db.membership.findMany({ where: { orgId, status: "active" }, orderBy: { role: "asc" }, take: 2 });
      const token = await signToken(SECRET, { sub: admin!.userId, org: orgId, role: "admin" }, 600);
      const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
      const base = `http://127.0.0.1:${port}/v1/orgs/${orgId}`;
      const send = (path: string, init: RequestInit = {}) =>
        fetch(`${base}${path}`, { headers, ...init }).then(
          async (res) => ({ status: res.status, at: Date.now(), body: await res.text() }),
          (err: Error) => ({ status: 0, at: Date.now(), body: String(err.cause ?? err) }),
        );
      expect((await send("/engagement?limit=5")).status).toBe(200);

      const { inFlight, termAt, stopping, late, aliveWithRequestsInFlight, releasedAt } = await withHeldLocks(
        p.t.db,
        ["LOCK TABLE member_engagements IN ACCESS EXCLUSIVE MODE"],
        async () => {
          // As many as the API's database pool (10) can hold at the database at once, so PostgreSQL shows every one
          // of them waiting: each is known to be in the server's hands, not still on its way.
          const inFlight = [
            ...Array.from({ length: 8 }, () => send("/engagement?limit=50")),
            send(`/members/${member!.userId}/engagement/override`, {
              method: "PUT",
              body: JSON.stringify({ level: "highly_engaged", note: "set while the API shut down" }),
            }),
          ];
          await waitForBlocked(p.t.db, "member_engagements", inFlight.length);
          const termAt = Date.now();
          const stopping = term(api);
          // Sent once the API says its shutdown began (its first step closes the server), not after a fixed delay
          // that a loaded machine could outrun, the request then arriving before the SIGTERM was even handled.
          await api.waitForLog((l) => l.msg === "shutting down", 10_000);
          const late = await send("/engagement?limit=5");
          await new Promise((r) => setTimeout(r, 700));
          const aliveWithRequestsInFlight = api.child.exitCode === null;
          return { inFlight, termAt, stopping, late, aliveWithRequestsInFlight, releasedAt: Date.now() };
        },
      );
      const answers = await Promise.all(inFlight);
      const stopped = await stopping;
      figures.api = {
        ...stopped,
        inFlight: answers.length,
        statuses: answers.map((a) => (a.status === 0 ? a.body.slice(0, 80) : a.status)),
        lastAnswerAfterReleaseMs: Math.max(...answers.map((a) => a.at)) - releasedAt,
        exitAfterReleaseMs: termAt + stopped.ms - releasedAt,
        steps: shutdownSteps(api, termAt),
        lateRequest: late.status === 0 ? late.body.slice(0, 60) : late.status,
      };
      expect(aliveWithRequestsInFlight).toBe(true);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      expectWithinDeadline(figures.api);
      // A request arriving after SIGTERM is refused (connection refused, or 503 on a kept-alive connection).
      expect([0, 503]).toContain(late.status);
      // The write in flight was made, with its audit row.
      const audit = await p.t.db.engagementOverrideHistory.findMany({
        where: { userId: member!.userId, action: "set", note: "set while the API shut down" },
      });
      expect(audit).toHaveLength(1);
      reportFigures({ scenario: 6, ...figures });
    },
    TEST_MS,
  );
});
