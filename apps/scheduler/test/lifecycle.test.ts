// The scheduler as a process: sets the nightly schedule, logs with pino, exits 78 naming a bad variable, and
// exits 0 on SIGTERM.
import { randomBytes } from "node:crypto";
import { generateSeed, insertSeedOrg } from "@engagement/db";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { catalog, closeQueues, createQueues, createRedis } from "@engagement/queue";
import { startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

describe("scheduler process lifecycle", () => {
  let t: TestDatabase;
  const prefix = `{test-schedlife-${randomBytes(4).toString("hex")}}`;
  beforeAll(async () => {
    t = await createTestDatabase("schedlife");
  });
  afterAll(async () => t.drop());

  it("exits with code 78 naming NIGHTLY_CRON when it is not a cron pattern", async () => {
    const app = startApp("scheduler", {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      NIGHTLY_CRON: "every night",
    });
    expect(await new Promise((done) => app.child.once("exit", done))).toBe(78);
    expect(JSON.stringify(app.logs)).toContain("NIGHTLY_CRON");
  });

  it("with two scheduler processes, two ticks for the same night give one run and one org job per organisation", async () => {
    const orgIds: string[] = [];
    for (const org of generateSeed({ orgs: 3, members: 5, seed: 9, now: new Date() })) {
      await insertSeedOrg(t.db, org);
      orgIds.push(org.org.id);
    }
    const env = { DATABASE_URL: t.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix };
    const apps = [startApp("scheduler", env), startApp("scheduler", env)];
    await Promise.all(apps.map((a) => a.waitForLog((l) => l.msg === "nightly schedule set")));
    const connection = createRedis(TEST_REDIS_URL);
    const queues = createQueues(connection, prefix);
    try {
      expect(await queues.scheduler.getJobSchedulers()).toHaveLength(1);
      await queues.scheduler.add(catalog.scheduler.jobName, { runDate: "2031-01-02" }, { jobId: "tick-a" });
      await queues.scheduler.add(catalog.scheduler.jobName, { runDate: "2031-01-02" }, { jobId: "tick-b" });
      // Both ticks processed, by whichever process took each.
      const deadline = Date.now() + 20_000;
      while (((await queues.scheduler.getJobCounts("completed")).completed ?? 0) < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(apps.flatMap((a) => a.logs).filter((l) => l.msg === "nightly runs enqueued")).toHaveLength(2);
      const runs = await t.db.engagementRun.findMany({ where: { runKey: "scheduled:2031-01-02" } });
      expect(runs.map((r) => r.orgId).sort()).toEqual([...orgIds].sort());
      const jobs = await queues.orgRun.getJobs(["waiting", "delayed", "active", "completed"]);
      expect(jobs.map((j) => j.data.runId).sort()).toEqual(runs.map((r) => r.id).sort());
    } finally {
      await Promise.all(apps.map((a) => a.stop("SIGTERM")));
      for (const q of Object.values(queues)) await q.obliterate({ force: true });
      await closeQueues(queues);
      connection.disconnect();
    }
  });

  it("logs the next nightly run and shuts down cleanly on SIGTERM", async () => {
    const app = startApp("scheduler", { DATABASE_URL: t.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, NIGHTLY_CRON: "0 4 * * *" });
    const line = await app.waitForLog((l) => l.msg === "nightly schedule set");
    expect(line).toMatchObject({ name: "scheduler", cron: "0 4 * * *", tz: "UTC" });
    expect(String(line.nextRunAt)).toMatch(/T04:00:00\.000Z$/);
    expect(await app.stop("SIGTERM")).toBe(0);
    expect(app.logs.some((l) => l.msg === "shutdown complete")).toBe(true);
  });
});
