// The nightly tick against real PostgreSQL and Redis: two scheduler instances (or a retried tick) must agree on
// one run and one org-run job per organisation and night.
import { randomBytes } from "node:crypto";
import { scheduledRunKey } from "@engagement/db";
import { buildMember, buildOrg, createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { catalog, closeQueues, createQueues, createRedis, jobIds, type Queues, runDateOf } from "@engagement/queue";
import { createLogger } from "@engagement/runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { processNightly } from "../src/nightly.processor.ts";
import { NIGHTLY_SCHEDULER_ID, upsertNightlySchedule } from "../src/schedule.ts";

const logger = createLogger("scheduler-test", "silent");

let t: TestDatabase;
let connection: Redis;
let queues: Queues;
/** Orgs with at least one active member: the ones a nightly run covers. */
let coveredOrgIds: string[];
/** An org whose members all left and one without members: no run for them. */
let skippedOrgIds: string[];

beforeAll(async () => {
  t = await createTestDatabase("nightly");
  connection = createRedis(TEST_REDIS_URL);
  queues = createQueues(connection, `{test-sched-${randomBytes(4).toString("hex")}}`);

  const busy = await buildOrg(t.db);
  await buildMember(t.db, busy.id);
  await buildMember(t.db, busy.id);
  const mixed = await buildOrg(t.db);
  await buildMember(t.db, mixed.id);
  await buildMember(t.db, mixed.id, { status: "left" });
  const deserted = await buildOrg(t.db);
  await buildMember(t.db, deserted.id, { status: "left" });
  const empty = await buildOrg(t.db);
  // A few more ordinary orgs, so concurrent ticks race on several runs rather than two.
  const ordinary = [];
  for (let i = 0; i < 4; i++) {
    const org = await buildOrg(t.db);
    await buildMember(t.db, org.id);
    ordinary.push(org.id);
  }
  coveredOrgIds = [busy.id, mixed.id, ...ordinary].sort();
  skippedOrgIds = [deserted.id, empty.id];
});

afterAll(async () => {
  await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
  await closeQueues(queues);
  await connection.quit();
  await t.drop();
});

/** Starts each test from empty queues and no runs, so counts belong to that test alone. */
beforeEach(async () => {
  await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
  await t.db.engagementRun.deleteMany();
});

/** A nightly tick as the scheduler queue holds it (read back from Redis, as a worker would receive it). */
async function addTick(data: { runDate?: string }): Promise<Job> {
  const added = await queues.scheduler.add(catalog.scheduler.jobName, data);
  const job = await queues.scheduler.getJob(added.id as string);
  if (!job) throw new Error(`tick ${added.id} vanished`);
  return job;
}

const tick = (job: Job) => processNightly({ db: t.db, queues, logger }, job);

async function orgRunJobs() {
  return queues.orgRun.getJobs(["waiting", "delayed", "active", "prioritized", "completed", "failed"]);
}

describe("upsertNightlySchedule", () => {
  it("leaves exactly one job scheduler when two scheduler instances start", async () => {
    await upsertNightlySchedule(queues, "0 4 * * *", "Europe/Berlin");
    await upsertNightlySchedule(queues, "0 4 * * *", "Europe/Berlin");

    const schedulers = await queues.scheduler.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: NIGHTLY_SCHEDULER_ID, pattern: "0 4 * * *", tz: "Europe/Berlin" });
    // One pending tick, not one per instance.
    expect(await queues.scheduler.getDelayedCount()).toBe(1);
  });

  it("updates the one scheduler when the configured pattern changes", async () => {
    await upsertNightlySchedule(queues, "0 4 * * *", "UTC");
    await upsertNightlySchedule(queues, "30 2 * * *", "UTC");

    const schedulers = await queues.scheduler.getJobSchedulers();
    expect(schedulers).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ key: NIGHTLY_SCHEDULER_ID, pattern: "30 2 * * *", tz: "UTC" });
    const [next] = await queues.scheduler.getDelayed();
    expect(next?.name).toBe(catalog.scheduler.jobName);
    expect(new Date(next?.timestamp ?? 0).getTime() + (next?.opts.delay ?? 0)).toBeGreaterThan(Date.now());
    expect(await queues.scheduler.getDelayedCount()).toBe(1);
  });
});

describe("processNightly", () => {
  const runDate = "2031-05-06";

  async function expectOneRunAndJobPerCoveredOrg() {
    const runs = await t.db.engagementRun.findMany({ orderBy: { orgId: "asc" } });
    expect(runs.map((r) => r.orgId)).toEqual(coveredOrgIds);
    expect(runs.every((r) => r.runKey === scheduledRunKey(runDate) && r.trigger === "scheduled" && r.status === "queued")).toBe(true);

    const counts = await queues.orgRun.getJobCounts();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(coveredOrgIds.length);
    const jobs = await orgRunJobs();
    expect(jobs.map((j) => j.id).sort()).toEqual(runs.map((r) => jobIds.orgRun(r.id)).sort());
    // Ids only: names and emails never go to Redis.
    for (const job of jobs) {
      expect(Object.keys(job.data)).toEqual(["runId"]);
      expect(runs.some((r) => r.id === job.data.runId)).toBe(true);
    }
    return runs;
  }

  it("enqueues one run per organisation with active members, and none for the others", async () => {
    const outcome = await tick(await addTick({ runDate }));

    expect(outcome).toEqual({ outcome: "enqueued", runDate, orgs: coveredOrgIds.length });
    await expectOneRunAndJobPerCoveredOrg();
    expect(await t.db.engagementRun.count({ where: { orgId: { in: skippedOrgIds } } })).toBe(0);
  });

  it("processing the same night's tick twice adds no second run or job", async () => {
    await tick(await addTick({ runDate }));
    const first = await t.db.engagementRun.findMany({ orderBy: { orgId: "asc" } });
    await tick(await addTick({ runDate }));

    const runs = await expectOneRunAndJobPerCoveredOrg();
    expect(runs.map((r) => r.id)).toEqual(first.map((r) => r.id));
  });

  it("two schedulers ticking at the same moment agree on one run and one job per organisation", async () => {
    const [a, b] = await Promise.all([addTick({ runDate }), addTick({ runDate })]);
    // allSettled: a tick that fails must not keep writing into the next test's database.
    const settled = await Promise.allSettled([tick(a), tick(b), tick(a), tick(b)]);

    expect(settled.map((s) => (s.status === "fulfilled" ? s.value.runDate : String(s.reason)))).toEqual([
      runDate,
      runDate,
      runDate,
      runDate,
    ]);
    await expectOneRunAndJobPerCoveredOrg();
  });

  it("a different night gets its own runs", async () => {
    await tick(await addTick({ runDate }));
    await tick(await addTick({ runDate: "2031-05-07" }));

    const keys = (await t.db.engagementRun.findMany({ select: { runKey: true } })).map((r) => r.runKey);
    expect(keys.filter((k) => k === scheduledRunKey(runDate))).toHaveLength(coveredOrgIds.length);
    expect(keys.filter((k) => k === scheduledRunKey("2031-05-07"))).toHaveLength(coveredOrgIds.length);
    expect((await orgRunJobs()).length).toBe(2 * coveredOrgIds.length);
  });

  it("derives the run date from the tick's scheduled time when no runDate is given", async () => {
    // 04:00 UTC on 1 January: a date that is not today (unless it is New Year's night), so the date cannot
    // come from the clock at processing time.
    await upsertNightlySchedule(queues, "0 4 1 1 *", "UTC");
    const [scheduled] = await queues.scheduler.getDelayed();
    if (!scheduled) throw new Error("the scheduler added no delayed tick");
    const dueAt = Number(String(scheduled.id).split(":").at(-1));
    expect(scheduled.data).toEqual({});

    const outcome = await tick(scheduled);

    expect(outcome.runDate).toBe(runDateOf(new Date(dueAt)));
    expect(outcome.runDate).toMatch(/^\d{4}-01-01$/);
    const runs = await t.db.engagementRun.findMany();
    expect(runs.map((r) => r.runKey)).toEqual(coveredOrgIds.map(() => scheduledRunKey(outcome.runDate)));
  });

  it("an explicit runDate in the payload wins over the job's time", async () => {
    const outcome = await tick(await addTick({ runDate: "2030-12-31" }));
    expect(outcome.runDate).toBe("2030-12-31");
  });

  it("rejects a tick whose payload does not fit the catalog", async () => {
    await expect(tick(await addTick({ runDate: "tomorrow" }))).rejects.toThrow(/invalid scheduler payload/);
    expect(await t.db.engagementRun.count()).toBe(0);
  });
});
