// Token lifetime is enforced wherever a token is accepted: the /v1 routes and the queue board.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { SignJWT } from "jose";
import { bearer, seedOrg, startTestApi, TEST_JWT_SECRET, type TestApi } from "../../test/harness.ts";
import { BOARD_PATH } from "../board.ts";

describe("token lifetime", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("lifetime");
    a = await seedOrg(api, "Alpha");
  });
  afterAll(async () => api.close());

  const longLived = (claims: Record<string, unknown>, sub: string) => {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 10 * 365 * 86_400)
      .sign(new TextEncoder().encode(TEST_JWT_SECRET));
  };

  it("a correctly signed admin token with a ten-year exp is refused with 401 naming the reason", async () => {
    const token = await longLived({ org: a.org.id, role: "admin" }, a.admin.id);
    const res = await api.app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary`, headers: bearer(token) });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: "unauthorized", message: "token lifetime exceeds 30 days" });
    const ok = await api.app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary`, headers: bearer(a.adminToken) });
    expect(ok.statusCode).toBe(200);
  });

  it("a ten-year operator token cannot log into the queue board", async () => {
    const token = await longLived({ role: "operator" }, "ops");
    const res = await api.app.inject({ url: `${BOARD_PATH}?token=${token}` });
    expect(res.statusCode).toBe(401);
    expect(res.headers["set-cookie"]).toBeUndefined();
  });
});
