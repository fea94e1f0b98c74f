// Secrets never reach the API's logs: every credential header (CREDENTIAL_HEADERS) and every query parameter that
// can carry a secret is sent, with a value unique to it, to answers of every kind (200, 303 board login, 400, 401,
// 403, 404, 429 and its warning), with the logger at trace; not one of the values may appear in what was logged,
// while the request lines themselves are there (with [redacted] in place of the values).
import { Writable } from "node:stream";
import { createApiKey } from "@engagement/db";
import { CREDENTIAL_HEADERS, createLogger } from "@engagement/runtime";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { seedOrg, startTestApi, type TestApi } from "../test/harness.ts";
import { BOARD_PATH } from "./board.ts";

const CREDENTIAL_PARAMS = [
  "token",
  "access_token",
  "refresh_token",
  "id_token",
  "api_key",
  "apikey",
  "api-key",
  "key",
  "secret",
  "client_secret",
  "password",
  "pwd",
  "auth",
  "authorization",
  "jwt",
  "bearer",
  "signature",
  "sig",
  "code",
  "session",
  "X-Amz-Credential",
  "cursor",
];

describe("secrets in logs", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  const logged: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged.push(String(chunk));
        done();
      },
    });
    api = await startTestApi("redaction", { logger: createLogger("api-test", "trace", sink), rateLimit: { max: 40 } });
    a = await seedOrg(api, "Alpha");
  });
  afterAll(async () => api.close());

  it("logs no credential header and no credential query parameter, on any kind of answer", async () => {
    const operator = await api.token({ sub: "ops-oncall", role: "operator" });
    const key = (await createApiKey(api.db, { orgId: a.org.id, name: "k", scopes: ["read"], actorId: a.admin.id })).key;
    const secrets: string[] = [key, operator, a.adminToken];
    const unique = (what: string) => {
      const value = `secret-${what.replace(/\W/g, "")}-${Math.random().toString(36).slice(2, 10)}`;
      secrets.push(value);
      return value;
    };
    const urls = [
      `/v1/orgs/${a.org.id}/engagement/summary`,
      `/v1/orgs/${a.org.id}/engagement`,
      `/v1/orgs/${a.org.id}/engagement?limit=nope`,
      `/v1/orgs/${a.org.id}/members/not-an-id/engagement`,
      "/v1/nowhere",
      "/health",
      BOARD_PATH,
    ];
    const statuses = new Set<number>();
    for (const url of urls) {
      const sep = url.includes("?") ? "&" : "?";
      for (const credential of [a.adminToken, key, operator, "forged.token.value"]) {
        const headers: Record<string, string> = {};
        for (const h of CREDENTIAL_HEADERS) headers[h] = h === "authorization" ? `Bearer ${credential}` : unique(h);
        const query = CREDENTIAL_PARAMS.map((p) => `${encodeURIComponent(p)}=${unique(p)}`).join("&");
        const res = await api.app.inject({ url: `${url}${sep}${query}`, headers });
        statuses.add(res.statusCode);
      }
    }
    // The board's login: the operator token in ?token=, logged (as a 303) without it.
    const login = await api.app.inject({ url: `${BOARD_PATH}?token=${operator}` });
    statuses.add(login.statusCode);
    // Past the limit: a 429 and its warning line.
    for (let i = 0; i < 45; i++)
      statuses.add((await api.app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary?token=${unique("t")}` })).statusCode);

    expect([...statuses].sort()).toEqual(expect.arrayContaining([200, 303, 400, 401, 403, 404, 429]));
    const text = logged.join("");
    const requestLines = logged.filter((l) => l.includes('"msg":"request"'));
    expect(requestLines.length).toBeGreaterThan(urls.length * 4);
    expect(text).toContain("[redacted]");
    expect(text).toContain('"msg":"rate limit exceeded');
    const leaked = secrets.filter((s) => text.includes(s));
    expect(leaked).toEqual([]);
  });
});
