// A run whose org job fails for good is marked failed even when the failure happens outside the processor
// (BullMQ's stalled-job check, another process): the worker watches the queue's events.

import { randomBytes } from "node:crypto";
import { createOrGetRun } from "@engagement/db";
import { buildOrg, TEST_REDIS_URL } from "@engagement/db/testing";
import { catalog, createRedis, jobIds } from "@engagement/queue";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Worker } from "bullmq";
import { watchRunFailures } from "../src/workers.ts";
import { createPipeline, type Pipeline } from "./harness.ts";

describe("watchRunFailures", () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await createPipeline("runfail");
  });
  afterAll(async () => p.close());

  it("marks the run failed when its org job fails for good elsewhere, and leaves finished runs alone", async () => {
    const org = await buildOrg(p.t.db);
    const run = await createOrGetRun(p.t.db, { orgId: org.id, runKey: "manual:lost", trigger: "manual" });
    const done = await createOrGetRun(p.t.db, { orgId: org.id, runKey: "manual:done", trigger: "manual" });
    await p.t.db.engagementRun.update({ where: { id: done.id }, data: { status: "completed" } });

    const events = watchRunFailures(p.deps, p.connection, p.prefix);
    await events.waitUntilReady();
    // Not our processor: a stand-in for a failure the processor never sees.
    const crashing = new Worker(
      catalog.orgRun.queue,
      async () => {
        throw new Error("job stalled more than allowable limit");
      },
      { connection: p.connection, prefix: p.prefix },
    );
    try {
      for (const r of [run, done]) await p.queues.orgRun.add("org-run", { runId: r.id }, { jobId: jobIds.orgRun(r.id), attempts: 1 });
      const deadline = Date.now() + 10_000;
      while ((await p.t.db.engagementRun.findUniqueOrThrow({ where: { id: run.id } })).status !== "failed" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const failed = await p.t.db.engagementRun.findUniqueOrThrow({ where: { id: run.id } });
      expect(failed.status).toBe("failed");
      expect(failed.errorDetails).toMatchObject({ runError: "job stalled more than allowable limit" });
      expect((await p.t.db.engagementRun.findUniqueOrThrow({ where: { id: done.id } })).status).toBe("completed");
    } finally {
      await crashing.close();
      await events.close();
    }
  });

  it("closing the watcher leaves no Redis connection of its own behind", async () => {
    // A named base connection: every connection made from it carries the name, so CLIENT LIST shows ours only.
    const name = `leakcheck-${randomBytes(4).toString("hex")}`;
    const base = createRedis(TEST_REDIS_URL, { connectionName: name });
    const ours = async () =>
      String(await p.connection.client("LIST"))
        .split("\n")
        .filter((l) => l.includes(`name=${name}`)).length;
    try {
      await base.ping();
      const events = watchRunFailures(p.deps, base, p.prefix);
      await events.waitUntilReady();
      await events.close();
      // Only the base connection may remain; a duplicate that close() does not own would stay open for ever.
      const deadline = Date.now() + 2_000;
      while ((await ours()) > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await ours()).toBe(1);
    } finally {
      await base.quit();
    }
  });

  it("a job whose payload does not fit the catalog fails at once, without a retry, naming the field", async () => {
    p.startWorkers();
    try {
      const job = await p.queues.classify.add("classify-chunk", { runId: "not-a-run", orgId: "x", userIds: [] } as never, { attempts: 4 });
      const deadline = Date.now() + 10_000;
      while (!(await job.isFailed()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const failed = await p.queues.classify.getJob(job.id as string);
      expect(failed?.failedReason).toMatch(/invalid classify payload/);
      expect(failed?.failedReason).toMatch(/runId/);
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await p.stopWorkers();
    }
  });
});
