// PostgreSQL connections cut mid-night: every 0.2 s for several seconds, pg_terminate_backend ends every
// connection to this test's own cloned database (never another's), while a worker process runs a multi-org night.
// The pool opens new connections, failed queries are retried, and the night ends with every invariant.
import { startConnectionKiller } from "@engagement/db/testing";
import { startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, workerProcessEnv } from "../harness.ts";
import {
  captureNightBaseline,
  expectNightInvariants,
  type NightBaseline,
  nightOf,
  type SeededNight,
  seedNight,
} from "../night-invariants.ts";

const KILL_EVERY_MS = 200;
const KILL_FOR_MS = 8_000;

/** Polls the runs through the connection cuts: a query of the test's own client may be cut too. */
async function waitForRunsThroughCuts(p: Pipeline, runIds: string[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await p.t.db.engagementRun.findMany({ where: { id: { in: runIds } } }).catch(() => null);
    if (runs && runs.length === runIds.length && runs.every((r) => r.status === "completed" || r.status === "failed")) return runs;
    if (Date.now() > deadline) throw new Error(`runs not finished: ${runs?.map((r) => `${r.id}:${r.status}`).join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("PostgreSQL connections terminated every 0.2 s mid-night", () => {
  let p: Pipeline;
  let worker: ReturnType<typeof startApp>;
  let night: SeededNight;
  let baseline: NightBaseline;
  let runIds: string[];
  let cuts: { killed: number; rounds: number };
  let ms: number;

  beforeAll(async () => {
    p = await createPipeline("pgkill", { fake: { latencyMs: [50, 120] } });
    night = await seedNight(p, 3, 80);
    baseline = await captureNightBaseline(p.t.db);
    worker = startApp("worker", workerProcessEnv(p, { LOG_LEVEL: "info", CLASSIFY_CHUNK_CONCURRENCY: "2", LLM_MEMBERS_PER_REQUEST: "2" }));
    await worker.waitForLog((l) => l.msg === "worker started", 30_000);
    const started = Date.now();
    runIds = [];
    for (const orgId of night.orgIds) runIds.push((await runOrg(p, orgId)).runId);
    // The cuts start once the night is under way: prepare has run for some org and members are being written.
    while ((await p.t.db.engagementSnapshot.count()) < 10) await new Promise((r) => setTimeout(r, 20));
    const killer = startConnectionKiller(p.t.url, KILL_EVERY_MS);
    await new Promise((r) => setTimeout(r, KILL_FOR_MS));
    cuts = await killer.stop();
    await waitForRunsThroughCuts(p, runIds, 40_000);
    ms = Date.now() - started;
  }, 60_000);
  afterAll(async () => {
    await worker?.stop("SIGTERM");
    await p?.close();
  });

  it("finishes the night with every invariant", async () => {
    console.log(`postgres kill: ${cuts.killed} connections ended in ${cuts.rounds} rounds; night took ${ms} ms`);
    expect(cuts.killed).toBeGreaterThan(10);
    // A cut inside an interactive transaction (a step's whole write) cannot be sent again statement by statement:
    // that job attempt fails and BullMQ retries it after the org job's 30 s backoff, finding the run finished. The
    // night has ended once that retry has run, so the check may wait past one backoff.
    await expectNightInvariants(nightOf(p), baseline, night.orgIds, 45_000);
  }, 60_000);

  it("the worker process stayed up, logged no raw output outside pino, and failed (almost) no job attempt", () => {
    expect(worker.child.exitCode).toBeNull();
    expect(worker.logs.filter((l) => "raw" in l)).toEqual([]);
    const warnings = worker.logs
      .filter((l) => Number(l.level) >= 40)
      .map((l) => `${l.level} ${l.queue ?? ""} ${l.msg}: ${String(l.err ?? "").slice(0, 120)}`);
    console.log(`postgres kill: worker warnings and errors ${JSON.stringify(warnings, null, 1)}`);
    // A cut statement is sent again at once (createDb's retry) rather than failing its job for a retry 5-30 s
    // later: without it this night logged a dozen failed attempts and took three times as long.
    expect(warnings.filter((w) => /job attempt failed/.test(w)).length).toBeLessThanOrEqual(2);
  });
});
