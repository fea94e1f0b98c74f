// A worker process killed with SIGKILL in the middle of a run: its jobs stall, and a second worker takes them
// over once their locks expire. No member may be missing or written twice.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_REDIS_URL } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns } from "./harness.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

function startWorkerProcess(p: Pipeline): ChildProcess {
  return spawn(resolve(ROOT, "node_modules/.bin/tsx"), [resolve(ROOT, "apps/worker/src/main.ts")], {
    env: {
      ...process.env,
      DATABASE_URL: p.t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: p.prefix,
      ENGAGEMENT_CLASSIFIER: "anthropic",
      ANTHROPIC_API_KEY: "test-key",
      ANTHROPIC_BASE_URL: p.fake.url,
      LLM_RATE_MAX_REQUESTS: "2000",
      LLM_RATE_WINDOW_MS: "1000",
      CLASSIFY_CHUNK_SIZE: "5",
      JOB_LOCK_MS: "3000",
      STALLED_INTERVAL_MS: "1000",
      LOG_LEVEL: "silent",
    },
    stdio: "ignore",
  });
}

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
    const child = startWorkerProcess(p);
    ({ runId } = await runOrg(p, org!.org.id));
    // Kill once the run is well under way but not finished.
    for (;;) {
      snapshotsAtKill = await p.t.db.engagementSnapshot.count({ where: { runId } });
      if (snapshotsAtKill >= 30) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    p.startWorkers({ lockDurationMs: 3000, stalledIntervalMs: 1000 });
  }, 60_000);
  afterAll(async () => p.close());

  it("is finished by a second worker", async () => {
    const [run] = await waitForRuns(p, [runId], 60_000);
    expect(snapshotsAtKill).toBeLessThan(80);
    expect(run!.status).toBe("completed");
  }, 70_000);

  it("leaves no member missing or doubled", async () => {
    const snapshots = await p.t.db.engagementSnapshot.findMany({ where: { runId }, select: { userId: true } });
    expect(snapshots.map((s) => s.userId).sort()).toEqual(memberIds);
    const current = await p.t.db.memberEngagement.findMany({ where: { runId }, select: { userId: true } });
    expect(current.map((c) => c.userId).sort()).toEqual(memberIds);
    const run = await p.t.db.engagementRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run.membersTotal).toBe(80);
    expect(run.countHighlyEngaged + run.countModerate + run.countAtRisk + run.countNew + run.countInactive).toBe(80);
  });
});
