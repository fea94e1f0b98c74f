import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { buildOrg, createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { createOrGetRun, startRun } from "./runs.ts";

describe("startRun", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("start_run");
  });
  afterAll(async () => t.drop());

  it("starts a queued run with the given asOf and returns it, without reading the run again", async () => {
    const org = await buildOrg(t.db);
    const run = await createOrGetRun(t.db, { orgId: org.id, runKey: "manual:a", trigger: "manual" });
    const asOf = new Date("2026-12-01T04:00:00.000Z");
    expect(await startRun(t.db, run.id, asOf, 7)).toEqual({ asOf });
    expect(await t.db.engagementRun.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({
      status: "running",
      asOf,
      membersTotal: 7,
    });
  });

  it("keeps a scheduled run's own asOf (its cron instant), and a retried start keeps the first", async () => {
    const org = await buildOrg(t.db);
    const cron = new Date("2026-12-01T04:00:00.000Z");
    const run = await createOrGetRun(t.db, { orgId: org.id, runKey: "scheduled:2026-12-01", trigger: "scheduled", asOf: cron });
    expect(await startRun(t.db, run.id, new Date("2026-12-01T04:17:00.000Z"), 3)).toEqual({ asOf: cron });
    // A retried prepare of the running run: no change, the stored asOf comes back.
    expect(await startRun(t.db, run.id, new Date("2026-12-01T05:00:00.000Z"), 9)).toEqual({ asOf: cron });
    expect((await t.db.engagementRun.findUniqueOrThrow({ where: { id: run.id } })).membersTotal).toBe(3);
  });
});
