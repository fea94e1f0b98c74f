import { randomBytes } from "node:crypto";
import { buildMember, buildOrg, createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { closeQueues, createQueues, createRedis, jobIds, type Queues } from "@engagement/queue";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { enqueueOrgRun } from "./start-org-run.ts";

describe("enqueueOrgRun", () => {
  let t: TestDatabase;
  let queues: Queues;
  const redis = createRedis(TEST_REDIS_URL);

  beforeAll(async () => {
    t = await createTestDatabase("enqueue");
    queues = createQueues(redis, `{test-enqueue-${randomBytes(4).toString("hex")}}`);
  });
  afterAll(async () => {
    for (const q of Object.values(queues)) await q.obliterate({ force: true });
    await closeQueues(queues);
    redis.disconnect();
    await t.drop();
  });

  const newOrg = async () => {
    const org = await buildOrg(t.db);
    await buildMember(t.db, org.id);
    return org.id;
  };

  it("creates one manual run when several requests for an organisation arrive at once", async () => {
    const orgId = await newOrg();
    const results = await Promise.all(Array.from({ length: 5 }, () => enqueueOrgRun(t.db, queues, { orgId, trigger: "manual" })));
    expect(new Set(results.map((r) => r.runId)).size).toBe(1);
    expect(results.filter((r) => !r.alreadyActive)).toHaveLength(1);
    expect(await t.db.engagementRun.count({ where: { orgId } })).toBe(1);
  });

  it("fails a queued run whose job is gone (a lost enqueue) and starts a new one instead of blocking", async () => {
    const orgId = await newOrg();
    const first = await enqueueOrgRun(t.db, queues, { orgId, trigger: "manual" });
    await queues.orgRun.remove(jobIds.orgRun(first.runId));
    // A run only seconds old may still be getting its job from another request: it counts as active.
    expect((await enqueueOrgRun(t.db, queues, { orgId, trigger: "manual" })).alreadyActive).toBe(true);
    await t.db.engagementRun.update({ where: { id: first.runId }, data: { createdAt: new Date(Date.now() - 120_000) } });
    const second = await enqueueOrgRun(t.db, queues, { orgId, trigger: "manual" });
    expect(second.alreadyActive).toBeUndefined();
    expect(second.runId).not.toBe(first.runId);
    const abandoned = await t.db.engagementRun.findUniqueOrThrow({ where: { id: first.runId } });
    expect(abandoned.status).toBe("failed");
    expect(abandoned.errorDetails).toMatchObject({ runError: "org-run job unknown: run abandoned" });
  });

  it("gives a scheduled run its cron instant as asOf, once, whatever later ticks say", async () => {
    const orgId = await newOrg();
    const dueAt = new Date("2031-03-04T04:00:00.000Z");
    const run = await enqueueOrgRun(t.db, queues, { orgId, trigger: "scheduled", runDate: "2031-03-04", asOf: dueAt });
    await enqueueOrgRun(t.db, queues, { orgId, trigger: "scheduled", runDate: "2031-03-04", asOf: new Date() });
    const row = await t.db.engagementRun.findUniqueOrThrow({ where: { id: run.runId } });
    expect(row.asOf?.toISOString()).toBe(dueAt.toISOString());
    expect(await t.db.engagementRun.count({ where: { orgId } })).toBe(1);
  });

  it("a run whose job cannot be added is marked failed; if that fails too, the caller hears both errors", async () => {
    const orgId = await newOrg();
    const brokenQueues = { orgRun: { add: async () => Promise.reject(new Error("redis down")) } } as unknown as Pick<Queues, "orgRun">;
    await expect(enqueueOrgRun(t.db, brokenQueues, { orgId, trigger: "scheduled", runDate: "2026-12-01" })).rejects.toThrow("redis down");
    const marked = await t.db.engagementRun.findFirstOrThrow({ where: { orgId } });
    expect(marked).toMatchObject({ status: "failed", errorDetails: { runError: "could not enqueue: redis down" } });

    // The database refuses the failRun write as well: both errors reach the caller, none is dropped.
    const other = await newOrg();
    const runs = t.db.engagementRun;
    const failingDb = new Proxy(t.db, {
      get: (target, key) =>
        key === "engagementRun"
          ? new Proxy(runs, { get: (r, k) => (k === "updateMany" ? async () => Promise.reject(new Error("db down")) : Reflect.get(r, k)) })
          : Reflect.get(target, key),
    });
    const error = await enqueueOrgRun(failingDb, brokenQueues, { orgId: other, trigger: "scheduled", runDate: "2026-12-01" }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors.map((e: Error) => e.message)).toEqual(["redis down", "db down"]);
  });
});
