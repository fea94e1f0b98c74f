// computeSignals against the real PostgreSQL: every field, every window boundary, and the rows that must not
// count (cancelled events, cancelled registrations, other organisations, members who left). Times are fixed
// offsets from one asOf so a boundary case is exactly on its edge, not "about" there.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { buildEvent, buildMember, buildMemberEngagement, buildMembership, buildOrg, buildRegistration } from "../testing/factories.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { computeOrgSignals, computeSignals, listActiveMemberIds, type MemberSignalsRow } from "./signals.ts";

const AS_OF = new Date("2026-03-01T12:00:00.000Z");
const MINUTE = 60_000;
const DAY = 86_400_000;
/** `days` before asOf, then `minutes` later (so at(30, 1) is one minute inside the 30-day window). */
const at = (days: number, minutes = 0) => new Date(AS_OF.getTime() - days * DAY + minutes * MINUTE);

describe("computeSignals", () => {
  let t: TestDatabase;
  let orgId: string;
  let otherOrgId: string;
  const user: Record<"alice" | "bob" | "carol" | "dave" | "erin", string> = { alice: "", bob: "", carol: "", dave: "", erin: "" };
  const computedAt = new Date("2026-02-20T08:00:00.000Z");
  let rows: MemberSignalsRow[];
  const signalsOf = (name: keyof typeof user) => rows.find((r) => r.userId === user[name])?.signals;

  beforeAll(async () => {
    t = await createTestDatabase("signals");
    const db = t.db;
    orgId = (await buildOrg(db)).id;
    otherOrgId = (await buildOrg(db)).id;
    const event = (startsAt: Date, cancelled = false, org = orgId) =>
      buildEvent(db, { orgId: org, startsAt, cancelledAt: cancelled ? at(40) : null }).then((e) => e.id);

    // Countable events of the organisation: 3 in (asOf-30d, asOf], 6 in 90 days, 8 in 180 days.
    const e = {
      atAsOf: await event(AS_OF),
      recent: await event(at(5)),
      in30: await event(at(30, 1)),
      edge30: await event(at(30)),
      mid: await event(at(60)),
      in90: await event(at(90, 1)),
      edge90: await event(at(90)),
      in180: await event(at(180, 1)),
      edge180: await event(at(180)),
      cancelledPast: await event(at(10), true),
      soon: await event(new Date(AS_OF.getTime() + MINUTE)),
      future: await event(at(-7)),
      cancelledFuture: await event(at(-5), true),
      otherOrgRecent: await event(at(2), false, otherOrgId),
    };
    const reg = (userId: string, eventId: string, status: "registered" | "attended" | "no_show" | "cancelled") =>
      buildRegistration(db, { userId, eventId, status });

    // Alice: long-standing member with a bit of everything.
    user.alice = (await buildMember(db, orgId, { joinedAt: at(400, -5 * 60) })).user.id;
    await reg(user.alice, e.in30, "attended");
    await reg(user.alice, e.edge30, "attended");
    await reg(user.alice, e.edge90, "attended");
    await reg(user.alice, e.edge180, "attended");
    await reg(user.alice, e.cancelledPast, "attended");
    await reg(user.alice, e.recent, "no_show");
    await reg(user.alice, e.in90, "registered"); // ended long ago, never marked: a no-show
    await reg(user.alice, e.atAsOf, "registered"); // under way at asOf: not ended, so not a no-show
    await reg(user.alice, e.mid, "cancelled");
    await reg(user.alice, e.future, "registered");
    await reg(user.alice, e.soon, "cancelled");
    await reg(user.alice, e.cancelledFuture, "registered");
    // Alice also belongs to another organisation; what she does there must not leak into this one.
    await buildMembership(db, { orgId: otherOrgId, userId: user.alice, joinedAt: at(800) });
    await reg(user.alice, e.otherOrgRecent, "attended");
    await buildMemberEngagement(db, {
      orgId,
      userId: user.alice,
      level: "at_risk",
      source: "llm",
      inputsFingerprint: "v1 alice",
      computedAt,
    });
    await buildMemberEngagement(db, { orgId: otherOrgId, userId: user.alice, level: "highly_engaged" });

    // Bob: joined one minute short of 30 days ago, attended the event starting exactly at asOf.
    user.bob = (await buildMember(db, orgId, { joinedAt: at(30, 1) })).user.id;
    await reg(user.bob, e.atAsOf, "attended");
    await reg(user.bob, e.soon, "registered");

    // Carol: never attended anything that counts.
    user.carol = (await buildMember(db, orgId, { joinedAt: at(100) })).user.id;
    await reg(user.carol, e.recent, "no_show");
    await reg(user.carol, e.cancelledPast, "attended");

    // Dave left; Erin belongs only to the other organisation.
    user.dave = (await buildMember(db, orgId, { status: "left", joinedAt: at(300) })).user.id;
    await reg(user.dave, e.recent, "attended");
    user.erin = (await buildMember(db, otherOrgId, { joinedAt: at(300) })).user.id;
    await reg(user.erin, e.otherOrgRecent, "attended");

    // Deliberately unordered and including ids that must be excluded.
    rows = await computeSignals(db, orgId, AS_OF, [user.erin, user.carol, user.dave, user.alice, user.bob]);
  });
  afterAll(async () => t.drop());

  it("returns one row per active member of the organisation, in userId order, from a single call", () => {
    expect(rows.map((r) => r.userId)).toEqual([user.alice, user.bob, user.carol].sort());
  });

  it("excludes members who left and members of other organisations even when their ids are passed", () => {
    expect(signalsOf("dave")).toBeUndefined();
    expect(signalsOf("erin")).toBeUndefined();
  });

  it("counts organisation events in (asOf - N days, asOf]: the edge is out, one minute later is in, asOf itself is in", () => {
    // 30: atAsOf, recent, in30 · 90: + edge30, mid, in90 · 180: + edge90, in180. Cancelled and future never count.
    for (const row of rows) {
      expect(row.signals).toMatchObject({ orgEvents30: 3, orgEvents90: 6, orgEvents180: 8 });
    }
  });

  it("counts attendance per window with the same boundaries and ignores cancelled events and other organisations", () => {
    expect(signalsOf("alice")).toMatchObject({ attended30: 1, attended90: 2, attended180: 3 });
    expect(signalsOf("bob")).toMatchObject({ attended30: 1, attended90: 1, attended180: 1 });
    expect(signalsOf("carol")).toMatchObject({ attended30: 0, attended90: 0, attended180: 0 });
  });

  it("registered90 counts every non-cancelled registration for a 90-day event, including one under way at asOf", () => {
    // Alice: in30, edge30, recent, in90, atAsOf (mid is cancelled; edge90 lies outside 90 days).
    expect(signalsOf("alice")?.registered90).toBe(5);
    expect(signalsOf("bob")?.registered90).toBe(1);
    expect(signalsOf("carol")?.registered90).toBe(1);
  });

  it("noShows90 counts no_show plus registrations still 'registered' after the event ended, not before", () => {
    expect(signalsOf("alice")?.noShows90).toBe(2);
    expect(signalsOf("bob")?.noShows90).toBe(0);
    expect(signalsOf("carol")?.noShows90).toBe(1);
  });

  it("upcomingRegistrations counts only 'registered' for non-cancelled events after asOf", () => {
    expect(signalsOf("alice")?.upcomingRegistrations).toBe(1); // future; soon is cancelled, cancelledFuture is cancelled
    expect(signalsOf("bob")?.upcomingRegistrations).toBe(1); // one minute after asOf already counts
    expect(signalsOf("carol")?.upcomingRegistrations).toBe(0);
  });

  it("lastAttendedDaysAgo is whole days since the last counted attendance, null if none", () => {
    // in30 was 29 days 23 h 59 min ago; the cancelled event (10 days) and the other org's (2 days) do not count.
    expect(signalsOf("alice")?.lastAttendedDaysAgo).toBe(29);
    expect(signalsOf("bob")?.lastAttendedDaysAgo).toBe(0);
    expect(signalsOf("carol")?.lastAttendedDaysAgo).toBeNull();
  });

  it("tenureDays is whole days since joining", () => {
    expect(signalsOf("alice")?.tenureDays).toBe(400);
    expect(signalsOf("bob")?.tenureDays).toBe(29);
    expect(signalsOf("carol")?.tenureDays).toBe(100);
  });

  it("previousLevel, lastComputedAt, lastSource and lastFingerprint come from this organisation's member_engagements row, null without one", () => {
    const alice = rows.find((r) => r.userId === user.alice);
    expect(alice?.signals.previousLevel).toBe("at_risk");
    expect(alice?.lastComputedAt?.toISOString()).toBe(computedAt.toISOString());
    expect(alice).toMatchObject({ lastSource: "llm", lastFingerprint: "v1 alice" });
    const bob = rows.find((r) => r.userId === user.bob);
    expect(bob?.signals.previousLevel).toBeNull();
    expect(bob).toMatchObject({ lastComputedAt: null, lastSource: null, lastFingerprint: null });
  });

  it("computeOrgSignals gives the same rows for every active member of the organisation in one statement", async () => {
    await expect(computeOrgSignals(t.db, orgId, AS_OF)).resolves.toEqual(rows);
  });

  it("returns nothing for an empty chunk without querying", async () => {
    await expect(computeSignals(t.db, orgId, AS_OF, [])).resolves.toEqual([]);
  });

  it("listActiveMemberIds lists active members only, sorted", async () => {
    await expect(listActiveMemberIds(t.db, orgId)).resolves.toEqual([user.alice, user.bob, user.carol].sort());
  });
});
