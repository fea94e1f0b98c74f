import { buildMember, buildMemberEngagement } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("override routes", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("override");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
  });
  afterAll(async () => api.close());

  const url = (orgId: string, userId: string, tail = "override") => `/v1/orgs/${orgId}/members/${userId}/engagement/${tail}`;
  const put = (orgId: string, userId: string, token: string, payload: unknown) =>
    api.app.inject({ method: "PUT", url: url(orgId, userId), headers: bearer(token), payload: payload as object });
  const del = (orgId: string, userId: string, token: string, payload?: unknown) =>
    api.app.inject({
      method: "DELETE",
      url: url(orgId, userId),
      headers: bearer(token),
      ...(payload ? { payload: payload as object } : {}),
    });
  const history = async (orgId: string, userId: string, token = a.adminToken) =>
    (await api.app.inject({ url: url(orgId, userId, "overrides"), headers: bearer(token) })).json().items as {
      action: string;
      note: string;
      previousLevel: string;
      newLevel: string;
    }[];
  const newClassifiedMember = async (level: "at_risk" | "moderate" = "at_risk") => {
    const { user } = await buildMember(api.db, a.org.id);
    await buildMemberEngagement(api.db, { orgId: a.org.id, userId: user.id, level });
    return user.id;
  };

  it("PUT sets the level at once: the list, the detail and the member's own view all show it, and it is audited", async () => {
    const userId = a.drifting.id;
    const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const res = await put(a.org.id, userId, a.adminToken, {
      level: "highly_engaged",
      note: "  Runs the choir; attendance data is wrong  ",
      expiresAt,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      userId,
      action: "set",
      previousLevel: "at_risk",
      level: "highly_engaged",
      expiresAt,
      auditId: expect.any(String),
    });

    const list = (await api.app.inject({ url: `/v1/orgs/${a.org.id}/engagement?overridden=true`, headers: bearer(a.adminToken) })).json();
    expect(list.items).toEqual([
      expect.objectContaining({
        userId,
        level: "highly_engaged",
        computedLevel: "at_risk",
        override: expect.objectContaining({
          level: "highly_engaged",
          note: "Runs the choir; attendance data is wrong",
          setBy: a.admin.id,
          expiresAt,
        }),
      }),
    ]);
    const me = (await api.app.inject({ url: `/v1/me/engagement?orgId=${a.org.id}`, headers: bearer(await a.memberToken(userId)) })).json();
    expect(me.label).toBe("Regular");

    expect(await history(a.org.id, userId)).toEqual([
      expect.objectContaining({
        action: "set",
        previousLevel: "at_risk",
        newLevel: "highly_engaged",
        note: "Runs the choir; attendance data is wrong",
        actorId: a.admin.id,
      }),
    ]);
  });

  it("DELETE clears it (the computed level applies again), audits it, and answers 404 when none is active", async () => {
    const userId = await newClassifiedMember("at_risk");
    await put(a.org.id, userId, a.adminToken, { level: "moderate", note: "on leave" });
    const cleared = await del(a.org.id, userId, a.adminToken, { note: "back" });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ action: "cleared", previousLevel: "moderate", level: "at_risk", expiresAt: null });
    const again = await del(a.org.id, userId, a.adminToken);
    expect(again.statusCode).toBe(404);
    expect(again.json().error).toBe("no_active_override");
    expect((await history(a.org.id, userId)).map((h) => [h.action, h.note])).toEqual([
      ["cleared", "back"],
      ["set", "on leave"],
    ]);
  });

  it("DELETE works without a body", async () => {
    const userId = await newClassifiedMember();
    await put(a.org.id, userId, a.adminToken, { level: "moderate", note: "x" });
    expect((await del(a.org.id, userId, a.adminToken)).statusCode).toBe(200);
  });

  it.each([
    ["note missing", { level: "moderate" }, ["body.note"]],
    ["note blank after trimming", { level: "moderate", note: "   " }, ["body.note"]],
    ["note over 1000 characters", { level: "moderate", note: "x".repeat(1001) }, ["body.note"]],
    ["unknown level", { level: "gold", note: "ok" }, ["body.level"]],
    ["expiresAt in the past", { level: "moderate", note: "ok", expiresAt: "2020-01-01T00:00:00Z" }, ["body.expiresAt"]],
    [
      "expiresAt over a year ahead",
      { level: "moderate", note: "ok", expiresAt: new Date(Date.now() + 400 * 86_400_000).toISOString() },
      ["body.expiresAt"],
    ],
    ["expiresAt not a date-time", { level: "moderate", note: "ok", expiresAt: "next tuesday" }, ["body.expiresAt"]],
    ["three bad fields", { note: "", expiresAt: "yesterday" }, ["body.expiresAt", "body.level", "body.note"]],
  ])("PUT with %s → 400 listing the fields, and changes nothing", async (_case, payload, fields) => {
    const userId = await newClassifiedMember();
    const res = await put(a.org.id, userId, a.adminToken, payload);
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .issues.map((i: { field: string }) => i.field)
        .sort(),
    ).toEqual(fields);
    expect(await history(a.org.id, userId)).toEqual([]);
    const row = await api.db.memberEngagement.findFirstOrThrow({ where: { orgId: a.org.id, userId } });
    expect(row.overrideLevel).toBeNull();
  });

  it("accepts a note of exactly 1000 characters after trimming", async () => {
    const userId = await newClassifiedMember();
    expect((await put(a.org.id, userId, a.adminToken, { level: "moderate", note: ` ${"x".repeat(1000)} ` })).statusCode).toBe(200);
  });

  it("answers 404 for a member never classified and for a non-member, changing nothing", async () => {
    const fresh = await put(a.org.id, a.fresh.id, a.adminToken, { level: "moderate", note: "x" });
    expect(fresh.statusCode).toBe(404);
    expect(fresh.json().error).toBe("not_classified");
    const stranger = await put(a.org.id, b.steady.id, a.adminToken, { level: "moderate", note: "x" });
    expect(stranger.statusCode).toBe(404);
    expect(await api.db.engagementOverrideHistory.count({ where: { userId: { in: [a.fresh.id, b.steady.id] } } })).toBe(0);
  });

  it("refuses another organisation's admin, members and operators (403) and missing tokens (401), changing nothing", async () => {
    const target = b.steady.id;
    const attempts = [
      await put(b.org.id, target, a.adminToken, { level: "at_risk", note: "cross-org" }),
      await put(b.org.id, target, await b.memberToken(target), { level: "highly_engaged", note: "self-promotion" }),
      await put(b.org.id, target, await api.token({ sub: "ops", role: "operator" }), { level: "at_risk", note: "ops" }),
      await del(b.org.id, target, a.adminToken),
      await api.app.inject({ method: "PUT", url: url(b.org.id, target), payload: { level: "at_risk", note: "anon" } }),
    ];
    expect(attempts.map((r) => r.statusCode)).toEqual([403, 403, 403, 403, 401]);
    const row = await api.db.memberEngagement.findFirstOrThrow({ where: { orgId: b.org.id, userId: target } });
    expect(row.overrideLevel).toBeNull();
    expect(await api.db.engagementOverrideHistory.count({ where: { userId: target } })).toBe(0);
    expect((await api.app.inject({ url: url(b.org.id, target, "overrides"), headers: bearer(a.adminToken) })).statusCode).toBe(403);
  });

  it("two concurrent overrides of one member are both audited and leave one consistent state", async () => {
    const userId = await newClassifiedMember("at_risk");
    const [one, two] = await Promise.all([
      put(a.org.id, userId, a.adminToken, { level: "moderate", note: "first admin" }),
      put(a.org.id, userId, a.adminToken, { level: "highly_engaged", note: "second admin" }),
    ]);
    expect([one.statusCode, two.statusCode]).toEqual([200, 200]);
    const trail = await history(a.org.id, userId);
    expect(trail).toHaveLength(2);
    const [newest, oldest] = trail;
    expect(oldest?.previousLevel).toBe("at_risk");
    expect(newest?.previousLevel).toBe(oldest?.newLevel);
    const detail = (await api.app.inject({ url: url(a.org.id, userId, "").replace(/\/$/, ""), headers: bearer(a.adminToken) })).json();
    expect(detail.level).toBe(newest?.newLevel);
    expect(detail.override.note).toBe(newest?.note);
  });

  it("GET overrides lists the audit trail newest first and 404s for a non-member", async () => {
    const userId = await newClassifiedMember();
    for (const note of ["one", "two", "three"]) await put(a.org.id, userId, a.adminToken, { level: "moderate", note });
    expect((await history(a.org.id, userId)).map((h) => h.note)).toEqual(["three", "two", "one"]);
    const res = await api.app.inject({ url: url(a.org.id, b.steady.id, "overrides"), headers: bearer(a.adminToken) });
    expect(res.statusCode).toBe(404);
  });
});
