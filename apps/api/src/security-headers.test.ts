// Security headers on every kind of answer (data, error, the queue board's page, the docs), and CORS: closed
// unless API_CORS_ORIGINS names the origin, and then for that origin only.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { LightMyRequestResponse } from "fastify";
import { bearer, seedOrg, startTestApi, type TestApi } from "../test/harness.ts";
import { BOARD_COOKIE, BOARD_PATH } from "./board.ts";

const DASHBOARD = "https://dashboard.example.org";

function expectSecurityHeaders(res: LightMyRequestResponse) {
  const csp = String(res.headers["content-security-policy"]);
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("object-src 'none'");
  expect(csp).toContain("frame-ancestors 'self'");
  // It would send a browser on plain http://127.0.0.1 to https for every asset of the board.
  expect(csp).not.toContain("upgrade-insecure-requests");
  expect(res.headers["x-content-type-options"]).toBe("nosniff");
  expect(res.headers["x-frame-options"]).toBe("SAMEORIGIN");
  expect(res.headers["strict-transport-security"]).toMatch(/max-age=\d+/);
  expect(res.headers["referrer-policy"]).toBe("no-referrer");
  expect(res.headers["cross-origin-opener-policy"]).toBe("same-origin");
  expect(res.headers["x-powered-by"]).toBeUndefined();
}

describe("security headers and CORS", () => {
  let closed: TestApi;
  let open: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let operator: string;

  beforeAll(async () => {
    [closed, open] = await Promise.all([startTestApi("headers"), startTestApi("cors", { corsOrigins: [DASHBOARD] })]);
    a = await seedOrg(closed, "Alpha");
    operator = await closed.token({ sub: "ops-oncall", role: "operator" });
  });
  afterAll(async () => Promise.all([closed?.close(), open?.close()]));

  it("sets them on data, on errors, on the board's page and assets, and on health", async () => {
    const answers = [
      await closed.app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary`, headers: bearer(a.adminToken) }),
      await closed.app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary` }),
      await closed.app.inject({ url: "/v1/nowhere" }),
      await closed.app.inject({ url: BOARD_PATH, headers: { cookie: `${BOARD_COOKIE}=${operator}` } }),
      await closed.app.inject({
        url: `${BOARD_PATH}/api/queues?activeQueue=&page=1&jobsPerPage=10`,
        headers: { cookie: `${BOARD_COOKIE}=${operator}` },
      }),
      await closed.app.inject({ url: "/health" }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([200, 401, 404, 200, 200, 200]);
    for (const res of answers) expectSecurityHeaders(res);
  });

  it("sets them on the docs page too, whose scripts are all files of its own (no inline script the policy would block)", async () => {
    const res = await closed.app.inject({ url: "/docs" });
    expect(res.statusCode).toBe(200);
    expectSecurityHeaders(res);
    const scripts = res.body.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toMatch(/\bsrc="/);
  });

  it("answers no cross-origin request by default: no allow-origin header, and a preflight is 404", async () => {
    const get = await closed.app.inject({
      url: `/v1/orgs/${a.org.id}/engagement/summary`,
      headers: { ...bearer(a.adminToken), origin: DASHBOARD },
    });
    expect(get.statusCode).toBe(200);
    expect(get.headers["access-control-allow-origin"]).toBeUndefined();
    const preflight = await closed.app.inject({
      method: "OPTIONS",
      url: `/v1/orgs/${a.org.id}/engagement/summary`,
      headers: { origin: DASHBOARD, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    expect(preflight.headers["access-control-allow-methods"]).toBeUndefined();
  });

  it("with API_CORS_ORIGINS, allows exactly those origins, the API's methods and the authorization header", async () => {
    const preflight = (origin: string) =>
      open.app.inject({
        method: "OPTIONS",
        url: `/v1/orgs/${a.org.id}/members/${a.steady.id}/engagement/override`,
        headers: { origin, "access-control-request-method": "PUT", "access-control-request-headers": "authorization, content-type" },
      });
    const allowed = await preflight(DASHBOARD);
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers["access-control-allow-origin"]).toBe(DASHBOARD);
    expect(String(allowed.headers["access-control-allow-methods"]).split(/,\s*/)).toEqual(["GET", "HEAD", "POST", "PUT", "DELETE"]);
    expect(String(allowed.headers["access-control-allow-headers"])).toBe("authorization, content-type");
    expect(allowed.headers["access-control-allow-credentials"]).toBeUndefined();

    for (const other of ["https://evil.example", "https://dashboard.example.org.evil.example", "http://dashboard.example.org"]) {
      expect((await preflight(other)).headers["access-control-allow-origin"]).toBeUndefined();
    }

    const get = await open.app.inject({ url: "/health", headers: { origin: DASHBOARD } });
    expect(get.headers["access-control-allow-origin"]).toBe(DASHBOARD);
    expect(String(get.headers["access-control-expose-headers"])).toContain("retry-after");
    expect(String(get.headers.vary)).toMatch(/origin/i);
  });
});
