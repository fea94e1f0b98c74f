import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { buildMember, buildMembership, buildOrg, createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { createOrGetRun, startRun } from "./runs.ts";

describe("startRun", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("start_run");
  });
  afterAll(async () => t.drop());

  it("starts a queued run with the given asOf and returns it, counting the organisation's active members", async () => {
    const org = await buildOrg(t.db);
    const other = await buildOrg(t.db);
    await buildMember(t.db, org.id);
    await buildMember(t.db, org.id);
    await buildMember(t.db, org.id, { status: "left" });
    await buildMembership(t.db, { orgId: other.id, userId: (await buildMember(t.db, org.id)).user.id });
    await buildMember(t.db, other.id);
    const run = await createOrGetRun(t.db, { orgId: org.id, runKey: "manual:a", trigger: "manual" });
    const asOf = new Date("2026-12-01T04:00:00.000Z");
    expect(await startRun(t.db, run.id, asOf)).toEqual({ asOf });
    expect(await t.db.engagementRun.findUniqueOrThrow({ where: { id: run.id } })).toMatchObject({
      status: "running",
      asOf,
      membersTotal: 3,
    });
  });

  it("keeps a scheduled run's own asOf (its cron instant), and a retried start keeps the first", async () => {
    const org = await buildOrg(t.db);
    const cron = new Date("2026-12-01T04:00:00.000Z");
    const run = await createOrGetRun(t.db, { orgId: org.id, runKey: "scheduled:2026-12-01", trigger: "scheduled", asOf: cron });
    await buildMember(t.db, org.id);
    expect(await startRun(t.db, run.id, new Date("2026-12-01T04:17:00.000Z"))).toEqual({ asOf: cron });
    // A retried prepare of the running run: no change (a member joining meanwhile included), the stored asOf comes back.
    await buildMember(t.db, org.id);
    expect(await startRun(t.db, run.id, new Date("2026-12-01T05:00:00.000Z"))).toEqual({ asOf: cron });
    expect((await t.db.engagementRun.findUniqueOrThrow({ where: { id: run.id } })).membersTotal).toBe(1);
  });
});
