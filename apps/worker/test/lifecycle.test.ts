// The worker as a process: starts, logs with pino, refuses bad configuration, and on SIGTERM stops taking jobs,
// lets in-flight work finish and exits 0 — the run then completes elsewhere with nobody missing or doubled.
import { startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns, workerProcessEnv } from "./harness.ts";

describe("worker process lifecycle", () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await createPipeline("life", { fake: { latencyMs: 200 } });
  });
  afterAll(async () => p.close());

  const env = () => workerProcessEnv(p, { SHUTDOWN_TIMEOUT_MS: "15000" });

  it("exits with code 78 and names the variable when configuration is bad", async () => {
    const app = startApp("worker", { ...env(), LLM_RATE_MAX_REQUESTS: "lots" });
    const code = await new Promise((done) => app.child.once("exit", done));
    expect(code).toBe(78);
    expect(JSON.stringify(app.logs)).toContain("LLM_RATE_MAX_REQUESTS");
  });

  it("drains in-flight jobs on SIGTERM, exits 0, and the run completes without losses", async () => {
    const [org] = await seedOrgs(p, 1, 60, 11);
    const app = startApp("worker", env());
    const started = await app.waitForLog((l) => l.msg === "worker started");
    expect(started).toMatchObject({ level: 30, classifier: "anthropic", name: "worker" });
    const { runId } = await runOrg(p, org!.org.id);
    while ((await p.t.db.engagementSnapshot.count({ where: { runId } })) < 20) await new Promise((r) => setTimeout(r, 50));

    const code = await app.stop("SIGTERM");
    expect(code).toBe(0);
    expect(app.logs.some((l) => l.msg === "shutdown complete")).toBe(true);

    p.startWorkers();
    const [run] = await waitForRuns(p, [runId]);
    expect(run!.status).toBe("completed");
    const snapshots = await p.t.db.engagementSnapshot.findMany({ where: { runId }, select: { userId: true } });
    expect(snapshots.map((s) => s.userId).sort()).toEqual(org!.memberships.map((m) => m.userId).sort());
  }, 60_000);
});
