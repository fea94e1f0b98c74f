// Every way a credential can be wrong, each against a route that would otherwise accept it: forged, unsigned and
// broken tokens are 401 (on the /v1 routes and at the board's login), a valid token of the wrong organisation or
// role is 403, a revoked key and a key whose organisation is gone are 401. None of them changes anything.
import { createApiKey, revokeApiKey } from "@engagement/db";
import { buildOrg } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { forgedTokens } from "../../test/forged-tokens.ts";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";
import { BOARD_PATH } from "../board.ts";

describe("tokens and keys", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;
  let forged: Awaited<ReturnType<typeof forgedTokens>>;

  beforeAll(async () => {
    api = await startTestApi("credentials");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
    forged = await forgedTokens({ sub: a.admin.id, org: a.org.id });
  });
  afterAll(async () => api.close());

  const summary = (orgId: string, token: string) => api.app.inject({ url: `/v1/orgs/${orgId}/engagement/summary`, headers: bearer(token) });
  const setOverride = (token: string) =>
    api.app.inject({
      method: "PUT",
      url: `/v1/orgs/${a.org.id}/members/${a.drifting.id}/engagement/override`,
      headers: bearer(token),
      payload: { level: "moderate", note: "forged" },
    });
  const overrideCount = () => api.db.engagementOverrideHistory.count();

  it("the valid admin token these are forged from is accepted (so each refusal below is the defect's)", async () => {
    expect((await summary(a.org.id, a.adminToken)).statusCode).toBe(200);
  });

  const forgedNames = [
    "alg none",
    "alg none, signature kept",
    "HS384",
    "HS512",
    "RS256 header",
    "wrong secret",
    "tampered payload",
    "expired",
    "not yet valid (nbf in an hour)",
    "issued in the future",
    "lifetime over 30 days",
    "no sub",
    "no org",
    "no role",
    "no iat",
    "no exp",
    "unknown role",
    "sub not a user id",
    "exp a string",
    "not a JWT",
    "three dots",
    "empty segments",
  ] as const;

  it.each(forgedNames)("a token with %s is 401 in the error shape, on reads, on writes and at the board login", async (name) => {
    const token = forged[name];
    const before = await overrideCount();
    for (const res of [await summary(a.org.id, token), await setOverride(token)]) {
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: "unauthorized", message: expect.any(String) });
    }
    const board = await api.app.inject({ url: `${BOARD_PATH}?token=${encodeURIComponent(token)}` });
    expect(board.statusCode).toBe(401);
    expect(board.headers["set-cookie"]).toBeUndefined();
    expect(await overrideCount()).toBe(before);
  });

  it("names the reason for the ones a client can act on", async () => {
    expect((await summary(a.org.id, forged.expired)).json().message).toBe("token expired");
    expect((await summary(a.org.id, forged["lifetime over 30 days"])).json().message).toBe("token lifetime exceeds 30 days");
    expect((await summary(a.org.id, forged["issued in the future"])).json().message).toBe("token issued in the future");
    expect((await summary(a.org.id, forged["no org"])).json().message).toBe("token claims are incomplete");
  });

  it("a valid admin token of another organisation is 403 on every admin route, and changes nothing", async () => {
    const before = await overrideCount();
    const urls = [
      ["GET", `/v1/orgs/${a.org.id}/engagement`],
      ["GET", `/v1/orgs/${a.org.id}/engagement/summary`],
      ["GET", `/v1/orgs/${a.org.id}/members/${a.steady.id}/engagement`],
      ["PUT", `/v1/orgs/${a.org.id}/members/${a.steady.id}/engagement/override`],
      ["POST", `/v1/orgs/${a.org.id}/engagement/runs`],
      ["POST", `/v1/orgs/${a.org.id}/api-keys`],
      ["PUT", `/v1/orgs/${a.org.id}/members`],
      ["POST", `/v1/orgs/${a.org.id}/members/${a.steady.id}/erasure`],
    ] as const;
    for (const [method, url] of urls) {
      const res = await api.app.inject({ method, url, headers: bearer(b.adminToken), payload: method === "GET" ? undefined : {} });
      expect([url, res.statusCode, res.json().message]).toEqual([url, 403, "the token is for another organisation"]);
    }
    expect(await overrideCount()).toBe(before);
    expect(await api.db.engagementRun.count({ where: { orgId: a.org.id } })).toBe(0);
  });

  it("another role is 403: a member on admin routes, an admin on operator routes, an operator on the member view", async () => {
    const member = await a.memberToken(a.steady.id);
    const operator = await api.token({ sub: "ops-oncall", role: "operator" });
    expect((await summary(a.org.id, member)).statusCode).toBe(403);
    expect((await setOverride(member)).statusCode).toBe(403);
    expect((await api.app.inject({ url: "/v1/orgs", headers: bearer(a.adminToken) })).statusCode).toBe(403);
    expect((await api.app.inject({ method: "POST", url: "/v1/erasures", headers: bearer(a.adminToken), payload: {} })).statusCode).toBe(
      403,
    );
    expect((await api.app.inject({ url: `/v1/me/engagement?orgId=${a.org.id}`, headers: bearer(operator) })).statusCode).toBe(403);
    expect((await summary(a.org.id, operator)).statusCode).toBe(403);
    const board = await api.app.inject({ url: `${BOARD_PATH}?token=${a.adminToken}` });
    expect(board.statusCode).toBe(403);
  });

  it("an admin token outlives no demotion: the same token is 403 once the membership is no longer an active admin", async () => {
    const { admin, adminToken, org } = await seedOrg(api, "Gamma");
    expect((await summary(org.id, adminToken)).statusCode).toBe(200);
    await api.db.membership.update({ where: { userId_orgId: { userId: admin.id, orgId: org.id } }, data: { role: "member" } });
    expect((await summary(org.id, adminToken)).statusCode).toBe(403);
  });

  it("API keys: revoked → 401, another organisation's → 403, without the scope → 403, on a person's route → 403", async () => {
    const read = await createApiKey(api.db, { orgId: a.org.id, name: "read", scopes: ["read"], actorId: a.admin.id });
    const imp = await createApiKey(api.db, { orgId: a.org.id, name: "import", scopes: ["import"], actorId: a.admin.id });
    expect((await summary(a.org.id, read.key)).statusCode).toBe(200);
    expect((await summary(b.org.id, read.key)).json()).toEqual({ error: "forbidden", message: "the API key is for another organisation" });
    expect((await summary(a.org.id, imp.key)).json()).toEqual({ error: "forbidden", message: "the API key lacks the read scope" });
    const before = await overrideCount();
    expect((await setOverride(read.key)).json()).toEqual({
      error: "forbidden",
      message: "this route needs a person's token, not an API key",
    });
    expect(await overrideCount()).toBe(before);

    await revokeApiKey(api.db, { orgId: a.org.id, keyId: read.id, actorId: a.admin.id });
    expect((await summary(a.org.id, read.key)).json()).toEqual({ error: "unauthorized", message: "unknown or revoked API key" });
    // A key that differs from a real one only after its prefix is not that key.
    expect((await summary(a.org.id, `${imp.key.slice(0, -2)}xx`)).statusCode).toBe(401);
  });

  it("a key whose organisation was removed is 401 (the key went with it) and imports nothing", async () => {
    const doomed = await buildOrg(api.db, { name: "Doomed" });
    const key = await createApiKey(api.db, { orgId: doomed.id, name: "k", scopes: ["read", "import"], actorId: null });
    expect((await summary(doomed.id, key.key)).statusCode).toBe(200);
    await api.db.organization.delete({ where: { id: doomed.id } });
    const res = await summary(doomed.id, key.key);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: "unauthorized", message: "unknown or revoked API key" });
    const put = await api.app.inject({
      method: "PUT",
      url: `/v1/orgs/${doomed.id}/members`,
      headers: bearer(key.key),
      payload: [{ externalId: "x", name: "X", email: "x@example.org", joinedAt: "2026-01-01T00:00:00Z" }],
    });
    expect(put.statusCode).toBe(401);
    expect(await api.db.membership.count({ where: { orgId: doomed.id } })).toBe(0);
  });
});
