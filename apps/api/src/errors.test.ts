// Regressions of the defects the fuzz test (test/fuzz.test.ts) found, one each: refusals made by Fastify itself
// answered in its own shape or without naming the field, and an operator's name reached a uuid column (500).
import { buildMember } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../test/harness.ts";

describe("error answers found by fuzzing", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("errors");
    a = await seedOrg(api, "Alpha");
  });
  afterAll(async () => api.close());

  const overrideUrl = () => `/v1/orgs/${a.org.id}/members/${a.drifting.id}/engagement/override`;

  it("a path with a broken percent-escape is a 400 in the API's shape naming params, without echoing the URL", async () => {
    const res = await api.app.inject({ url: `/v1/orgs/%C0%AF/engagement?token=${a.adminToken}`, headers: bearer(a.adminToken) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: "bad_request",
      message: "the path has a malformed percent-escape (not UTF-8)",
      issues: [{ field: "params", message: "the path has a malformed percent-escape (not UTF-8)" }],
    });
    expect(res.body).not.toContain(a.adminToken);
  });

  it("a path parameter over the router's length limit is a 414 naming params", async () => {
    const res = await api.app.inject({ url: `/v1/orgs/${"x".repeat(5000)}/engagement`, headers: bearer(a.adminToken) });
    expect(res.statusCode).toBe(414);
    expect(res.json()).toMatchObject({ error: "uri_too_long", issues: [{ field: "params" }] });
  });

  it.each([
    ["not JSON", "application/json", "{", "body"],
    ["an empty JSON body", "application/json", "", "body"],
    // Fastify reads text/plain as a string, which the schema refuses as the body.
    ["text", "text/plain", '{"level":"moderate","note":"x"}', "body"],
    ["a made-up content type", "garbage", '{"level":"moderate","note":"x"}', "headers.content-type"],
  ])("a body that is %s (content-type %s) is refused naming the field", async (_what, type, payload, field) => {
    const before = await api.db.engagementOverrideHistory.count();
    const res = await api.app.inject({
      method: "PUT",
      url: overrideUrl(),
      headers: { ...bearer(a.adminToken), "content-type": type },
      payload,
    });
    expect([400, 415]).toContain(res.statusCode);
    expect(res.json()).toEqual({
      error: expect.any(String),
      message: expect.any(String),
      issues: [{ field, message: expect.any(String) }],
    });
    expect(await api.db.engagementOverrideHistory.count()).toBe(before);
  });

  it("a streamed import of another content type is a 415 naming headers.content-type", async () => {
    const res = await api.app.inject({
      method: "PUT",
      url: `/v1/orgs/${a.org.id}/events/bulk`,
      headers: { ...bearer(a.adminToken), "content-type": "application/json" },
      payload: "[]",
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().issues).toEqual([{ field: "headers.content-type", message: expect.stringContaining("text/csv") }]);
  });

  it.each(["%", "%25", "a%zz"])(
    "a board query value Bull Board would decode again (activeQueue=%s) is a 400 naming it, not a 500",
    async (raw) => {
      const ops = await api.token({ sub: "ops-oncall", role: "operator" });
      const res = await api.app.inject({ url: `/admin/queues/api/queues?activeQueue=${raw}&page=1`, headers: bearer(ops) });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: "bad_request", issues: [{ field: "query.activeQueue" }] });
      // Still the login first: without a token it is 401, whatever the query.
      expect((await api.app.inject({ url: `/admin/queues/api/queues?activeQueue=${raw}` })).statusCode).toBe(401);
    },
  );

  it("an operator whose token names them rather than a user id can erase and lift (it was a 500: the name reached a uuid column)", async () => {
    const ops = await api.token({ sub: "ops-oncall", role: "operator" });
    const { user } = await buildMember(api.db, a.org.id);
    const erased = await api.app.inject({ method: "POST", url: "/v1/erasures", headers: bearer(ops), payload: { userId: user.id } });
    expect(erased.statusCode).toBe(200);
    const erasureId = erased.json().erasureId as string;
    const lifted = await api.app.inject({ method: "POST", url: `/v1/erasures/${erasureId}/lift`, headers: bearer(ops) });
    expect(lifted.statusCode).toBe(200);
    // Recorded as no user (like the CLI's), since the actor columns hold user ids.
    expect(lifted.json()).toMatchObject({ id: erasureId, actorId: null, liftedBy: null, liftedAt: expect.any(String) });
  });
});
