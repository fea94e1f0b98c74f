import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, startTestApi, type TestApi } from "../test/harness.ts";
import { BOARD_COOKIE, BOARD_PATH } from "./board.ts";

describe("Bull Board behind operator authentication", () => {
  let api: TestApi;
  let operator: string;

  beforeAll(async () => {
    api = await startTestApi("board");
    operator = await api.token({ sub: "ops-oncall", role: "operator" }, 600);
  });
  afterAll(async () => api.close());

  const cookieHeader = (token: string) => ({ cookie: `${BOARD_COOKIE}=${token}` });

  it("answers 401 without a token, for the page, its assets and its API", async () => {
    for (const url of [BOARD_PATH, `${BOARD_PATH}/api/queues`, `${BOARD_PATH}/static/favicon-32x32.png`]) {
      const res = await api.app.inject({ url });
      expect(res.statusCode).toBe(401);
      expect(res.json().error).toBe("unauthorized");
    }
  });

  it("answers 403 to admin and member tokens, and sets no cookie", async () => {
    const admin = await api.token({ sub: randomUUID(), org: randomUUID(), role: "admin" });
    const viaQuery = await api.app.inject({ url: `${BOARD_PATH}?token=${admin}` });
    expect(viaQuery.statusCode).toBe(403);
    expect(viaQuery.headers["set-cookie"]).toBeUndefined();
    expect((await api.app.inject({ url: BOARD_PATH, headers: bearer(admin) })).statusCode).toBe(403);
  });

  it("logs an operator in from ?token= with an HttpOnly SameSite=Strict cookie scoped to the board, then drops the token from the URL", async () => {
    const res = await api.app.inject({ url: `${BOARD_PATH}/queue/engagement-org-run?status=completed&token=${operator}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe(`${BOARD_PATH}/queue/engagement-org-run?status=completed`);
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toContain(`${BOARD_COOKIE}=${operator}`);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain(`Path=${BOARD_PATH}`);
    expect(cookie).toMatch(/Max-Age=(59\d|600)\b/);
  });

  it("serves the board and its API to the cookie, listing every queue of the catalog", async () => {
    const page = await api.app.inject({ url: BOARD_PATH, headers: cookieHeader(operator) });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toMatch(/text\/html/);
    const queues = await api.app.inject({
      url: `${BOARD_PATH}/api/queues?activeQueue=&page=1&jobsPerPage=10`,
      headers: cookieHeader(operator),
    });
    expect(queues.statusCode).toBe(200);
    const names = (queues.json().queues as { name: string }[]).map((q) => q.name).sort();
    expect(names).toEqual(["engagement-classify", "engagement-org-run", "engagement-provider-batch", "engagement-scheduler"]);
  });

  it("refuses an expired or forged cookie with 401", async () => {
    const expired = await api.token({ sub: "ops", role: "operator" }, -5);
    expect((await api.app.inject({ url: BOARD_PATH, headers: cookieHeader(expired) })).statusCode).toBe(401);
    expect((await api.app.inject({ url: BOARD_PATH, headers: cookieHeader(`${operator}x`) })).statusCode).toBe(401);
  });
});
