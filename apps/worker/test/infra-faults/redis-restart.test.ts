// Redis restarted mid-night: a redis-server of the test's own (appendonly yes, its own port and folder) is shut
// down for 5 s, then later SIGKILLed for 5 s, each time started again on the same port and folder, while a
// scheduler, a worker and an API process run against it. They reconnect, the night completes with every
// invariant, and the logs do not cry wolf: no raw output outside pino and a handful of error lines at most.
import { randomBytes } from "node:crypto";
import { type AppProcess, startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, waitForRuns, workerProcessEnv } from "../harness.ts";
import {
  captureNightBaseline,
  expectNightInvariants,
  type NightBaseline,
  nightOf,
  type SeededNight,
  seedNight,
} from "../night-invariants.ts";
import { freePort, type RedisServer, redisServer } from "../redis-servers.ts";

const OUTAGE_MS = 5_000;

describe("Redis shut down, then SIGKILLed, for 5 s each mid-night", () => {
  let redis: RedisServer;
  let p: Pipeline;
  let apps: Record<"scheduler" | "worker" | "api", AppProcess>;
  let apiPort: number;
  let night: SeededNight;
  let baseline: NightBaseline;
  let runIds: string[];
  const health: { during: number[]; after: number | null } = { during: [], after: null };
  let ms = 0;

  const snapshots = () => p.t.db.engagementSnapshot.count();
  const healthStatus = () =>
    fetch(`http://127.0.0.1:${apiPort}/health`, { signal: AbortSignal.timeout(4_000) }).then(
      (r) => r.status,
      () => 0,
    );
  async function outage(stop: () => Promise<void>) {
    await stop();
    const until = Date.now() + OUTAGE_MS;
    while (Date.now() < until) {
      health.during.push(await healthStatus());
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await redis.start();
  }
  async function untilSnapshots(n: number) {
    const deadline = Date.now() + 30_000;
    while ((await snapshots()) < n) {
      if (Date.now() > deadline) throw new Error(`fewer than ${n} snapshots after 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    redis = await redisServer(["--appendonly", "yes", "--appendfsync", "everysec"]);
    p = await createPipeline("redisrestart", { redisUrl: redis.url, fake: { latencyMs: [200, 400] } });
    night = await seedNight(p, 3, 100);
    baseline = await captureNightBaseline(p.t.db);
    apiPort = await freePort();
    const env = workerProcessEnv(p, { LOG_LEVEL: "info", LLM_MEMBERS_PER_REQUEST: "2", CLASSIFY_CHUNK_CONCURRENCY: "2" });
    apps = {
      // The nightly cron is far away: the test adds the tick itself, as `engagement run --all` would.
      scheduler: startApp("scheduler", { ...env, NIGHTLY_CRON: "0 4 1 1 *" }),
      worker: startApp("worker", env),
      api: startApp("api", { ...env, API_PORT: String(apiPort), API_JWT_SECRET: randomBytes(32).toString("hex") }),
    };
    await apps.scheduler.waitForLog((l) => l.msg === "nightly schedule set", 30_000);
    await apps.worker.waitForLog((l) => l.msg === "worker started", 30_000);
    await apps.api.waitForLog((l) => l.msg === "api listening", 30_000);

    const started = Date.now();
    const runDate = new Date().toISOString().slice(0, 10);
    await p.queues.scheduler.add("nightly", { runDate }, { jobId: `test-tick-${runDate}` });
    await untilSnapshots(60);
    await outage(() => redis.shutdown());
    await untilSnapshots((await snapshots()) + 40);
    await outage(() => redis.kill());
    health.after = await healthStatus();
    const deadline = Date.now() + 40_000;
    for (;;) {
      runIds = (await p.t.db.engagementRun.findMany({ select: { id: true } })).map((r) => r.id);
      if (runIds.length >= 3 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitForRuns(p, runIds, Math.max(1_000, deadline - Date.now()));
    ms = Date.now() - started;
  }, 100_000);
  afterAll(async () => {
    for (const app of Object.values(apps ?? {})) await app.stop("SIGTERM").catch(() => app.stop("SIGKILL"));
    await p?.close();
    await redis?.destroy();
  });

  it("completes the night, one run per organisation, with every invariant", async () => {
    console.log(`redis restart: night with two 5 s outages took ${ms} ms; API /health during: ${health.during.join(",")}`);
    expect(runIds).toHaveLength(3);
    await expectNightInvariants(nightOf(p), baseline, night.orgIds);
  });

  it("keeps every process up, and the API says it is degraded during the outage and healthy after", () => {
    for (const app of Object.values(apps)) expect(app.child.exitCode).toBeNull();
    expect(health.during.length).toBeGreaterThan(0);
    expect(health.during.every((s) => s === 503)).toBe(true);
    expect(health.after).toBe(200);
  });

  it("logs through pino only, and no flood of error lines for a short outage", () => {
    const seen = Object.entries(apps).map(([name, app]) => ({
      name,
      raw: app.logs.filter((l) => "raw" in l).map((l) => String(l.raw).slice(0, 200)),
      errors: app.logs.filter((l) => Number(l.level) >= 50).map((l) => `${l.msg}: ${JSON.stringify(l.err ?? "").slice(0, 200)}`),
      warnings: app.logs.filter((l) => Number(l.level) === 40).length,
    }));
    console.log(`redis restart logs: ${JSON.stringify(seen, null, 1)}`);
    for (const s of seen) {
      expect(s.raw).toEqual([]);
      expect(s.errors).toEqual([]);
      // Two outages: a few warnings per process, not one per reconnect attempt of each client.
      expect(s.warnings).toBeLessThanOrEqual(10);
    }
  });
});
