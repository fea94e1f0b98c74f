import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { buildEvent, buildMember, buildOrg, buildRegistration, buildRun } from "../testing/factories.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { dropRunSignals, runSignals, stageRunSignals } from "./run-signals.ts";
import { computeSignals } from "./signals.ts";

describe("signals staged once per run", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("run-signals");
  });
  afterAll(async () => t.drop());

  it("reads staged signals back as staged, computes the members not staged, keeps the order asked for, and drops them with the run's end", async () => {
    const org = await buildOrg(t.db);
    const asOf = new Date();
    const a = (await buildMember(t.db, org.id, { joinedAt: new Date(Date.now() - 400 * 86_400_000) })).user.id;
    const b = (await buildMember(t.db, org.id, { joinedAt: new Date(Date.now() - 400 * 86_400_000) })).user.id;
    const event = await buildEvent(t.db, { orgId: org.id });
    await buildRegistration(t.db, { eventId: event.id, userId: b, status: "attended" });
    const run = await buildRun(t.db, { orgId: org.id });
    const computed = await computeSignals(t.db, org.id, asOf, [a, b]);
    // What was staged is what is read, even if it differs from what a computation now would give.
    const stagedA = {
      ...(computed.find((r) => r.userId === a)?.signals as (typeof computed)[number]["signals"]),
      attended30: 0,
      upcomingRegistrations: 7,
    };
    await stageRunSignals(t.db, run.id, org.id, [{ userId: a, signals: stagedA }]);
    await stageRunSignals(t.db, run.id, org.id, [{ userId: a, signals: stagedA }]); // a repeated prepare adds nothing

    const rows = await runSignals(t.db, run.id, org.id, asOf, [b, a]);
    expect(rows.map((r) => r.userId)).toEqual([b, a]);
    expect(rows[1]?.signals).toEqual(stagedA);
    expect(rows[0]?.signals).toEqual(computed.find((r) => r.userId === b)?.signals);
    expect(rows[0]?.signals.attended90).toBe(1);

    await dropRunSignals(t.db, run.id);
    const after = await runSignals(t.db, run.id, org.id, asOf, [a]);
    expect(after[0]?.signals.upcomingRegistrations).toBe(0);
  });
});
