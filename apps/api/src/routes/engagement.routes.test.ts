import { randomUUID } from "node:crypto";
import { buildMember, buildMemberEngagement, buildOverrideHistory, buildRun, buildSnapshot, daysAgo } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("admin engagement routes", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("engagement");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
  });
  afterAll(async () => api.close());

  const get = (url: string, token?: string) => api.app.inject({ method: "GET", url, headers: token ? bearer(token) : {} });

  describe("GET /v1/orgs/:orgId/engagement", () => {
    it("lists the organisation's classified members with effective and computed level, admin text and override info", async () => {
      const res = await get(`/v1/orgs/${a.org.id}/engagement`, a.adminToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.nextCursor).toBeNull();
      expect(body.items.map((r: { name: string }) => r.name)).toEqual(["Alpha Drifting", "Alpha Steady"]);
      expect(body.items[0]).toEqual({
        userId: a.drifting.id,
        name: "Alpha Drifting",
        level: "at_risk",
        computedLevel: "at_risk",
        source: "rules",
        adminExplanation: expect.stringContaining("ADMIN-ONLY"),
        keyFactors: expect.any(Array),
        computedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        override: null,
      });
    });

    it("filters by effective level, source and overridden, and pages with a cursor", async () => {
      const extra = await Promise.all(["Alpha P1", "Alpha P2", "Alpha P3"].map((name) => buildMember(api.db, a.org.id, { name })));
      for (const { user } of extra)
        await buildMemberEngagement(api.db, { orgId: a.org.id, userId: user.id, level: "moderate", source: "fallback" });
      const names = async (query: string) =>
        (await get(`/v1/orgs/${a.org.id}/engagement?${query}`, a.adminToken)).json().items.map((r: { name: string }) => r.name);
      expect(await names("level=at_risk")).toEqual(["Alpha Drifting"]);
      expect(await names("source=fallback")).toEqual(["Alpha P1", "Alpha P2", "Alpha P3"]);
      expect(await names("overridden=true")).toEqual([]);
      expect(await names("overridden=false&level=highly_engaged")).toEqual(["Alpha Steady"]);

      const first = (await get(`/v1/orgs/${a.org.id}/engagement?limit=2`, a.adminToken)).json();
      expect(first.items).toHaveLength(2);
      const second = (await get(`/v1/orgs/${a.org.id}/engagement?limit=2&cursor=${first.nextCursor}`, a.adminToken)).json();
      const third = (await get(`/v1/orgs/${a.org.id}/engagement?limit=2&cursor=${second.nextCursor}`, a.adminToken)).json();
      expect(third.nextCursor).toBeNull();
      expect([...first.items, ...second.items, ...third.items].map((r: { name: string }) => r.name)).toEqual([
        "Alpha Drifting",
        "Alpha P1",
        "Alpha P2",
        "Alpha P3",
        "Alpha Steady",
      ]);
    });

    it("answers 400 listing every offending query field", async () => {
      const res = await get(`/v1/orgs/${a.org.id}/engagement?level=gold&limit=0&overridden=maybe&cursor=nope`, a.adminToken);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.error).toBe("bad_request");
      expect(body.issues.map((i: { field: string }) => i.field).sort()).toEqual([
        "query.cursor",
        "query.level",
        "query.limit",
        "query.overridden",
      ]);
    });

    it("answers 400 for a malformed organisation id in the path", async () => {
      const operator = await api.token({ sub: "ops", role: "operator" });
      const res = await get(`/v1/orgs/not-a-uuid/engagement/runs/${randomUUID()}`, operator);
      expect(res.statusCode).toBe(400);
      expect(res.json().issues).toEqual([expect.objectContaining({ field: "params.orgId" })]);
    });

    it("answers 401 without a token, with a malformed header and with a bad or expired token", async () => {
      const url = `/v1/orgs/${a.org.id}/engagement`;
      expect((await get(url)).statusCode).toBe(401);
      expect((await api.app.inject({ url, headers: { authorization: "Basic abc" } })).statusCode).toBe(401);
      expect((await get(url, "not.a.jwt")).json()).toEqual({ error: "unauthorized", message: "invalid token" });
      const expired = await api.token({ sub: a.admin.id, org: a.org.id, role: "admin" }, -10);
      expect((await get(url, expired)).json()).toEqual({ error: "unauthorized", message: "token expired" });
    });

    it("answers 403 to another organisation's admin, to members and to operators", async () => {
      const url = `/v1/orgs/${a.org.id}/engagement`;
      const crossOrg = await get(url, b.adminToken);
      expect(crossOrg.statusCode).toBe(403);
      expect(crossOrg.json().error).toBe("forbidden");
      expect((await get(url, await a.memberToken(a.steady.id))).statusCode).toBe(403);
      expect((await get(url, await api.token({ sub: "ops", role: "operator" }))).statusCode).toBe(403);
    });

    it("answers 403 to an admin token whose holder is no longer an admin there", async () => {
      const formerAdmin = await api.token({ sub: a.steady.id, org: a.org.id, role: "admin" });
      expect((await get(`/v1/orgs/${a.org.id}/engagement`, formerAdmin)).statusCode).toBe(403);
    });

    it("answers 404 for an organisation that does not exist", async () => {
      const ghost = randomUUID();
      const token = await api.token({ sub: randomUUID(), org: ghost, role: "admin" });
      const res = await get(`/v1/orgs/${ghost}/engagement`, token);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: "not_found", message: "unknown organisation" });
    });
  });

  describe("GET /v1/orgs/:orgId/engagement/summary", () => {
    it("counts members per effective level and shows the latest run", async () => {
      const run = await buildRun(api.db, { orgId: b.org.id, status: "completed", membersTotal: 3 });
      const res = await get(`/v1/orgs/${b.org.id}/engagement/summary`, b.adminToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        orgId: b.org.id,
        counts: { highly_engaged: 1, moderate: 0, at_risk: 1, new: 0, inactive: 0 },
        total: 2,
        overridden: 0,
        lastRun: expect.objectContaining({ runId: run.id, status: "completed", trigger: "manual", membersTotal: 3 }),
      });
    });

    it("refuses another organisation's admin", async () => {
      expect((await get(`/v1/orgs/${b.org.id}/engagement/summary`, a.adminToken)).statusCode).toBe(403);
    });
  });

  describe("GET /v1/orgs/:orgId/members/:userId/engagement", () => {
    it("shows signals, computed vs effective level, level changes and override history", async () => {
      const userId = b.drifting.id;
      for (const [i, level] of (["moderate", "moderate", "at_risk"] as const).entries()) {
        const run = await buildRun(api.db, { orgId: b.org.id, createdAt: daysAgo(5 - i) });
        await buildSnapshot(api.db, { orgId: b.org.id, userId, runId: run.id, level, createdAt: daysAgo(5 - i) });
      }
      await buildOverrideHistory(api.db, {
        orgId: b.org.id,
        userId,
        action: "set",
        previousLevel: "at_risk",
        newLevel: "moderate",
        actorId: b.admin.id,
        createdAt: daysAgo(2),
      });
      await buildOverrideHistory(api.db, {
        orgId: b.org.id,
        userId,
        action: "cleared",
        previousLevel: "moderate",
        newLevel: "at_risk",
        actorId: b.admin.id,
        createdAt: daysAgo(1),
      });

      const res = await get(`/v1/orgs/${b.org.id}/members/${userId}/engagement`, b.adminToken);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ userId, level: "at_risk", computedLevel: "at_risk", source: "rules", override: null });
      expect(body.signals).toMatchObject({ attended90: 6, orgEvents90: 12 });
      expect(body.levelHistory.map((c: { level: string }) => c.level)).toEqual(["at_risk", "moderate"]);
      expect(body.overrideHistory.map((h: { action: string }) => h.action)).toEqual(["cleared", "set"]);
      expect(body.overrideHistory[0]).toMatchObject({ actorId: b.admin.id, actorName: "Beta Admin" });
    });

    it("answers 404 not_classified for a member no run has covered, 404 not_found for a non-member", async () => {
      const fresh = await get(`/v1/orgs/${b.org.id}/members/${b.fresh.id}/engagement`, b.adminToken);
      expect(fresh.statusCode).toBe(404);
      expect(fresh.json().error).toBe("not_classified");
      const stranger = await get(`/v1/orgs/${b.org.id}/members/${a.steady.id}/engagement`, b.adminToken);
      expect(stranger.statusCode).toBe(404);
      expect(stranger.json().error).toBe("not_found");
    });

    it("answers 400 for a malformed user id and 403 across organisations", async () => {
      const bad = await get(`/v1/orgs/${b.org.id}/members/123/engagement`, b.adminToken);
      expect(bad.statusCode).toBe(400);
      expect(bad.json().issues).toEqual([expect.objectContaining({ field: "params.userId" })]);
      expect((await get(`/v1/orgs/${b.org.id}/members/${b.steady.id}/engagement`, a.adminToken)).statusCode).toBe(403);
    });
  });
});
