// Members in from the organisation's own system: idempotent upserts by external id, every bad row reported with
// its index and field, all or nothing unless partial, admins and import keys only.
import { computeSignals } from "@engagement/db";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("member import", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("import");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
  });
  afterAll(async () => api.close());

  const put = (orgId: string, credential: string, rows: unknown, query = "") =>
    api.app.inject({ method: "PUT", url: `/v1/orgs/${orgId}/members${query}`, headers: bearer(credential), payload: rows as object });
  const row = (n: number, fields: Record<string, unknown> = {}) => ({
    externalId: `M-${n}`,
    name: `Member ${n}`,
    email: `member${n}@example.org`,
    joinedAt: "2026-01-15T18:00:00+01:00",
    ...fields,
  });
  const members = (orgId: string) => api.db.membership.findMany({ where: { orgId, externalId: { not: null } }, include: { user: true } });

  it("inserts new members, and the same rows sent again change nothing", async () => {
    const rows = [row(1), row(2, { role: "admin" }), row(3, { email: "  Member3@Example.ORG " })];
    const first = await put(a.org.id, a.adminToken, rows);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ applied: true, inserted: 3, updated: 0, unchanged: 0, errors: [] });
    const stored = await members(a.org.id);
    expect(stored.map((m) => [m.externalId, m.role, m.status, m.user.email]).sort()).toEqual([
      ["M-1", "member", "active", "member1@example.org"],
      ["M-2", "admin", "active", "member2@example.org"],
      ["M-3", "member", "active", "member3@example.org"],
    ]);
    expect(stored[0]?.joinedAt.toISOString()).toBe("2026-01-15T17:00:00.000Z");
    const again = await put(a.org.id, a.adminToken, rows);
    expect(again.json()).toEqual({ applied: true, inserted: 0, updated: 0, unchanged: 3, errors: [] });
  });

  it("updates what changed; a member who left stops being active, their history stays", async () => {
    const res = await put(a.org.id, a.adminToken, [
      row(1, { name: "Member One" }),
      row(2, { role: "admin", status: "left", leftAt: "2026-11-30T10:00:00Z" }),
    ]);
    expect(res.json()).toMatchObject({ applied: true, inserted: 0, updated: 2, unchanged: 0 });
    const left = (await members(a.org.id)).find((m) => m.externalId === "M-2");
    expect(left).toMatchObject({ status: "left", leftAt: new Date("2026-11-30T10:00:00Z") });
    expect((await members(a.org.id)).find((m) => m.externalId === "M-1")?.user.name).toBe("Member One");
  });

  it("reports every bad row with its index and field and writes nothing, unless partial applies the good ones", async () => {
    const before = await api.db.membership.count({ where: { orgId: a.org.id } });
    const rows = [
      row(10),
      row(11, { email: "not-an-email" }),
      row(12, { joinedAt: "2026-01-15" }),
      row(13, { status: "left" }),
      row(14, { name: "a\u0000b" }),
      row(10, { email: "other@example.org" }),
      row(15, { email: "member1@example.org" }),
      { ...row(16), unknown: 1 },
    ];
    const res = await put(a.org.id, a.adminToken, rows);
    expect(res.statusCode).toBe(400);
    // A NUL anywhere is refused by the API's storable-text check before anything else, naming the field.
    expect(res.json().issues).toEqual([{ field: "body.4.name", message: expect.stringContaining("NUL") }]);

    const withoutNul = rows.filter((_, i) => i !== 4);
    const strict = await put(a.org.id, a.adminToken, withoutNul);
    expect(strict.statusCode).toBe(422);
    expect(strict.json()).toMatchObject({ applied: false, inserted: 0 });
    // Every bad row, the database's reasons (a repeated external id, another member's email) as well as the format's.
    expect(strict.json().errors.map((e: { index: number; field: string }) => [e.index, e.field])).toEqual([
      [1, "email"],
      [2, "joinedAt"],
      [3, "leftAt"],
      [4, "externalId"],
      [5, "email"],
      [6, "row"],
    ]);
    expect(await api.db.membership.count({ where: { orgId: a.org.id } })).toBe(before);

    const partial = await put(a.org.id, a.adminToken, withoutNul, "?partial=true");
    expect(partial.statusCode).toBe(200);
    const report = partial.json();
    expect(report).toMatchObject({ applied: true, inserted: 1 });
    expect(report.errors).toEqual(strict.json().errors);
    expect(report.errors.map((e: { index: number; field: string }) => [e.index, e.field])).toEqual([
      [1, "email"],
      [2, "joinedAt"],
      [3, "leftAt"],
      [4, "externalId"],
      [5, "email"],
      [6, "row"],
    ]);
    expect(await api.db.membership.count({ where: { orgId: a.org.id } })).toBe(before + 1);
  });

  it("a person in two organisations is one user with two memberships", async () => {
    const res = await put(b.org.id, b.adminToken, [row(1, { externalId: "B-1", name: "Someone" })]);
    expect(res.json()).toMatchObject({ inserted: 1 });
    const user = await api.db.user.findUniqueOrThrow({ where: { email: "member1@example.org" }, include: { memberships: true } });
    expect(user.memberships.map((m) => m.orgId).sort()).toEqual([a.org.id, b.org.id].sort());
    expect(user.name).toBe("Member One");
  });

  it("accepts the organisation's import key, refuses a read-only key, another organisation's admin and members", async () => {
    const key = (scopes: string[]) =>
      api.app
        .inject({ method: "POST", url: `/v1/orgs/${a.org.id}/api-keys`, headers: bearer(a.adminToken), payload: { name: "sync", scopes } })
        .then((r) => r.json().key as string);
    expect((await put(a.org.id, await key(["import"]), [row(20)])).statusCode).toBe(200);
    expect((await put(a.org.id, await key(["read"]), [row(21)])).statusCode).toBe(403);
    expect((await put(a.org.id, b.adminToken, [row(22)])).statusCode).toBe(403);
    expect((await put(a.org.id, await a.memberToken(a.steady.id), [row(23)])).statusCode).toBe(403);
  });

  it("refuses a body that is not an array of 1 to 10,000 rows with 400", async () => {
    expect((await put(a.org.id, a.adminToken, [])).statusCode).toBe(400);
    expect((await put(a.org.id, a.adminToken, { rows: [] })).statusCode).toBe(400);
  });

  describe("events and attendance", () => {
    const putKind = (path: string, rows: unknown, query = "") =>
      api.app.inject({
        method: "PUT",
        url: `/v1/orgs/${b.org.id}/${path}${query}`,
        headers: bearer(b.adminToken),
        payload: rows as object,
      });
    const event = (n: number, fields: Record<string, unknown> = {}) => ({
      externalId: `E-${n}`,
      title: `Session ${n}`,
      startsAt: `2026-11-${String(n).padStart(2, "0")}T18:00:00Z`,
      endsAt: `2026-11-${String(n).padStart(2, "0")}T20:00:00Z`,
      ...fields,
    });

    it("imports events idempotently and refuses endsAt before startsAt and repeated ids", async () => {
      const first = await putKind("events", [event(3), event(10), event(17)]);
      expect(first.json()).toEqual({ applied: true, inserted: 3, updated: 0, unchanged: 0, errors: [] });
      expect((await putKind("events", [event(3), event(10, { title: "Session ten" }), event(17)])).json()).toMatchObject({
        inserted: 0,
        updated: 1,
        unchanged: 2,
      });
      const bad = await putKind("events", [event(20, { endsAt: "2026-11-20T17:00:00Z" }), event(21), event(21)]);
      expect(bad.statusCode).toBe(422);
      expect(bad.json().errors.map((e: { index: number; field: string }) => [e.index, e.field])).toEqual([
        [0, "endsAt"],
        [2, "externalId"],
      ]);
      const partial = await putKind("events", [event(21), event(21)], "?partial=true");
      expect(partial.json()).toMatchObject({ applied: true, inserted: 1, errors: [{ index: 1, field: "externalId" }] });
    });

    it("imports attendance by external ids; an unknown event or member is a row error; the same rows again change nothing", async () => {
      const rows = [
        { eventExternalId: "E-3", memberExternalId: "B-1", status: "attended", registeredAt: "2026-10-30T09:00:00Z" },
        { eventExternalId: "E-10", memberExternalId: "B-1", status: "no_show", registeredAt: "2026-11-01T09:00:00Z" },
        { eventExternalId: "E-99", memberExternalId: "B-1", status: "attended", registeredAt: "2026-11-01T09:00:00Z" },
        { eventExternalId: "E-17", memberExternalId: "NOPE", status: "attended", registeredAt: "2026-11-01T09:00:00Z" },
        { eventExternalId: "E-17", memberExternalId: "B-1", status: "maybe", registeredAt: "2026-11-01T09:00:00Z" },
      ];
      const strict = await putKind("attendance", rows);
      expect(strict.statusCode).toBe(422);
      expect(strict.json().errors.map((e: { index: number; field: string }) => [e.index, e.field])).toEqual([
        [2, "eventExternalId"],
        [3, "memberExternalId"],
        [4, "status"],
      ]);
      expect(await api.db.registration.count({ where: { event: { orgId: b.org.id } } })).toBe(0);
      const partial = await putKind("attendance", rows, "?partial=true");
      expect(partial.json()).toMatchObject({ applied: true, inserted: 2 });
      expect(partial.json().errors.map((e: { index: number; field: string }) => [e.index, e.field])).toEqual([
        [2, "eventExternalId"],
        [3, "memberExternalId"],
        [4, "status"],
      ]);
      const again = await putKind("attendance", rows.slice(0, 2));
      expect(again.json()).toEqual({ applied: true, inserted: 0, updated: 0, unchanged: 2, errors: [] });
      const changed = await putKind("attendance", [{ ...rows[1], status: "attended", checkedInAt: "2026-11-10T18:05:00Z" }]);
      expect(changed.json()).toMatchObject({ updated: 1 });
    });

    // Hand-computed: the organisation has E-3, E-10, E-17 and E-21 in November; B-1 attended E-3 and (after the
    // update) E-10, whose 18:00 start on the 10th is 19 days and 6 hours before asOf.
    it("the imported attendance is what the signals count: 2 of the organisation's 4 events attended", async () => {
      const member = await api.db.membership.findFirstOrThrow({ where: { orgId: b.org.id, externalId: "B-1" } });
      const [signals] = await computeSignals(api.db, b.org.id, new Date("2026-11-30T00:00:00Z"), [member.userId]);
      expect(signals?.signals).toMatchObject({ orgEvents30: 4, attended30: 2, noShows90: 0, lastAttendedDaysAgo: 19 });
    });
  });

  it("?recompute=true starts a run of the organisation once the rows are in, and says which", async () => {
    const res = await put(a.org.id, a.adminToken, [row(30)], "?recompute=true");
    expect(res.statusCode).toBe(200);
    const { run } = res.json();
    expect(run).toEqual({ runId: expect.any(String), alreadyActive: false });
    expect(await api.db.engagementRun.findUniqueOrThrow({ where: { id: run.runId } })).toMatchObject({
      orgId: a.org.id,
      trigger: "manual",
    });
    const again = await put(a.org.id, a.adminToken, [row(31)], "?recompute=true");
    expect(again.json().run).toEqual({ runId: run.runId, alreadyActive: true });
    // Without the flag, or when nothing was applied, no run is started.
    expect((await put(a.org.id, a.adminToken, [row(32)])).json().run).toBeUndefined();
    const refused = await put(a.org.id, a.adminToken, [row(33, { email: "bad" })], "?recompute=true");
    expect(refused.statusCode).toBe(422);
    expect(refused.json().run).toBeUndefined();
  });

  describe("what one organisation imports stays its own", () => {
    it("a sync that names the first admin keeps their role, and no sync leaves the organisation without an active admin", async () => {
      const admin = await api.db.user.findUniqueOrThrow({ where: { id: a.admin.id } });
      const sync = await put(a.org.id, a.adminToken, [row(40, { externalId: "ADMIN-1", name: "The Admin", email: admin.email })]);
      expect(sync.json()).toMatchObject({ applied: true, updated: 1 });
      const membership = await api.db.membership.findFirstOrThrow({ where: { orgId: a.org.id, userId: a.admin.id } });
      expect(membership).toMatchObject({ role: "admin", externalId: "ADMIN-1" });
      expect((await api.app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary`, headers: bearer(a.adminToken) })).statusCode).toBe(
        200,
      );

      const c = await seedOrg(api, "Gamma");
      const soleAdmin = await api.db.user.findUniqueOrThrow({ where: { id: c.admin.id } });
      const demote = await put(c.org.id, c.adminToken, [row(41, { externalId: "G-ADMIN", email: soleAdmin.email, role: "member" })]);
      expect(demote.statusCode).toBe(422);
      expect(demote.json().errors).toEqual([{ index: 0, field: "role", message: "would leave the organisation without an active admin" }]);
    });

    it("an import key can neither grant nor remove the admin role", async () => {
      const { key } = (
        await api.app.inject({
          method: "POST",
          url: `/v1/orgs/${a.org.id}/api-keys`,
          headers: bearer(a.adminToken),
          payload: { name: "sync", scopes: ["import"] },
        })
      ).json();
      const res = await put(a.org.id, key, [row(42, { role: "admin" })]);
      expect(res.statusCode).toBe(422);
      expect(res.json().errors[0]).toMatchObject({ index: 0, field: "role" });
    });

    it("two organisations naming one person differently each see their own name, and re-imports stay unchanged", async () => {
      const c = await seedOrg(api, "Delta");
      const d = await seedOrg(api, "Epsilon");
      const person = { joinedAt: "2026-02-01T10:00:00Z", email: "shared.person@example.org" };
      expect((await put(c.org.id, c.adminToken, [{ ...person, externalId: "C-9", name: "Ann A" }])).json()).toMatchObject({ inserted: 1 });
      expect((await put(d.org.id, d.adminToken, [{ ...person, externalId: "D-9", name: "Ann B" }])).json()).toMatchObject({ inserted: 1 });
      for (let i = 0; i < 2; i++) {
        expect((await put(c.org.id, c.adminToken, [{ ...person, externalId: "C-9", name: "Ann A" }])).json()).toMatchObject({
          unchanged: 1,
          updated: 0,
        });
        expect((await put(d.org.id, d.adminToken, [{ ...person, externalId: "D-9", name: "Ann B" }])).json()).toMatchObject({
          unchanged: 1,
          updated: 0,
        });
      }
      const names = await api.db.membership.findMany({
        where: { externalId: { in: ["C-9", "D-9"] } },
        select: { externalId: true, displayName: true, userId: true },
      });
      expect(new Set(names.map((n) => n.userId)).size).toBe(1);
      expect(Object.fromEntries(names.map((n) => [n.externalId, n.displayName]))).toEqual({ "C-9": "Ann A", "D-9": "Ann B" });
      // One organisation cannot move the shared person to another address.
      const moved = await put(c.org.id, c.adminToken, [{ ...person, externalId: "C-9", name: "Ann A", email: "elsewhere@example.org" }]);
      expect(moved.json().errors).toEqual([{ index: 0, field: "email", message: "cannot be changed to this address by an import" }]);
    });

    it("concurrent imports of the same rows do not fail: one inserts, the other finds them unchanged", async () => {
      const rows = [row(50), row(51), row(52)];
      const [x, y] = await Promise.all([put(b.org.id, b.adminToken, rows), put(b.org.id, b.adminToken, rows)]);
      expect([x.statusCode, y.statusCode]).toEqual([200, 200]);
      expect([x.json().inserted, y.json().inserted].sort()).toEqual([0, 3]);
    });

    it("a date PostgreSQL cannot store is a row error, not a 500", async () => {
      const res = await put(a.org.id, a.adminToken, [row(60, { joinedAt: "0000-01-01T00:00:00Z" })]);
      expect(res.statusCode).toBe(422);
      expect(res.json().errors).toEqual([{ index: 0, field: "joinedAt", message: expect.stringContaining("1900") }]);
    });
  });
});
