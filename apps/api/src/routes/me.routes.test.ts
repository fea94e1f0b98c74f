import { randomUUID } from "node:crypto";
import { setOverride } from "@engagement/db";
import { buildMember, buildMemberEngagement } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("GET /v1/me/engagement", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("me");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
  });
  afterAll(async () => api.close());

  const me = async (orgId: string | undefined, token?: string) =>
    api.app.inject({ url: `/v1/me/engagement${orgId ? `?orgId=${orgId}` : ""}`, headers: token ? bearer(token) : {} });

  it("gives the member their label, member text and computedAt, and nothing else", async () => {
    const res = await me(a.org.id, await a.memberToken(a.steady.id));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      orgId: a.org.id,
      label: "Regular",
      memberExplanation: "Thank you for being such a regular!",
      computedAt: expect.stringMatching(/^\d{4}-/),
    });
  });

  it("never shows an at_risk member admin text or at_risk wording", async () => {
    const res = await me(a.org.id, await a.memberToken(a.drifting.id));
    expect(res.statusCode).toBe(200);
    expect(res.json().label).toBe("We miss you");
    expect(res.body).not.toMatch(/ADMIN-ONLY|at.?risk|adminExplanation|keyFactors|signals/i);
  });

  it("reflects an active override in the label and text", async () => {
    const { user } = await buildMember(api.db, a.org.id);
    await buildMemberEngagement(api.db, { orgId: a.org.id, userId: user.id, level: "at_risk", memberExplanation: "We've missed you!" });
    await setOverride(api.db, a.org.id, user.id, { level: "highly_engaged", note: "Volunteer lead", actorId: a.admin.id });
    const body = (await me(a.org.id, await a.memberToken(user.id))).json();
    expect(body.label).toBe("Regular");
    expect(body.memberExplanation).not.toMatch(/missed/);
  });

  it("answers 403 for another organisation and for operators, 401 without a token", async () => {
    expect((await me(b.org.id, await a.memberToken(a.steady.id))).statusCode).toBe(403);
    expect((await me(a.org.id, await api.token({ sub: "ops", role: "operator" }))).statusCode).toBe(403);
    expect((await me(a.org.id)).statusCode).toBe(401);
  });

  it("answers 400 without an orgId, and 403 for an orgId that is not the token's (malformed or not)", async () => {
    const token = await a.memberToken(a.steady.id);
    const missing = await me(undefined, token);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().issues).toEqual([expect.objectContaining({ field: "query.orgId" })]);
    expect((await me("abc", await api.token({ sub: a.steady.id, org: a.org.id, role: "member" }))).statusCode).toBe(403);
  });

  it("answers 404 for a member never classified, a non-member and an unknown organisation", async () => {
    const fresh = await me(a.org.id, await a.memberToken(a.fresh.id));
    expect(fresh.statusCode).toBe(404);
    expect(fresh.json().error).toBe("not_classified");
    const outsider = await me(a.org.id, await a.memberToken(b.steady.id));
    expect(outsider.statusCode).toBe(404);
    const ghost = randomUUID();
    expect((await me(ghost, await api.token({ sub: a.steady.id, org: ghost, role: "member" }))).statusCode).toBe(404);
  });

  it("lets an admin read their own member view", async () => {
    const { user } = await buildMember(api.db, a.org.id, { role: "admin" });
    await buildMemberEngagement(api.db, { orgId: a.org.id, userId: user.id, level: "moderate" });
    const token = await api.token({ sub: user.id, org: a.org.id, role: "admin" });
    expect((await me(a.org.id, token)).json().label).toBe("Taking part");
  });
});
