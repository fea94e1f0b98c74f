// Hostile input found by trying the API from outside: text PostgreSQL cannot store (NUL, unpaired surrogates)
// anywhere in a request, cursors smuggling it, and a malformed board cookie. Each answers 4xx in the API's
// error shape, names what is wrong, and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../test/harness.ts";
import { BOARD_COOKIE, BOARD_PATH } from "./board.ts";

describe("input PostgreSQL cannot store, and malformed credentials", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let operator: string;

  beforeAll(async () => {
    api = await startTestApi("storable");
    a = await seedOrg(api, "Alpha");
    operator = await api.token({ sub: "ops-oncall", role: "operator" });
  });
  afterAll(async () => api.close());

  const overrideUrl = () => `/v1/orgs/${a.org.id}/members/${a.drifting.id}/engagement/override`;
  // Raw JSON text: a JSON escape is how a client sends these characters (inject would re-encode an object).
  const send = (method: "PUT" | "DELETE", json: string) =>
    api.app.inject({
      method,
      url: overrideUrl(),
      headers: { ...bearer(a.adminToken), "content-type": "application/json" },
      payload: json,
    });
  const auditCount = () => api.db.engagementOverrideHistory.count({ where: { orgId: a.org.id } });

  it.each([
    ["a NUL", String.raw`a\u0000b`, "NUL"],
    ["an unpaired high surrogate", String.raw`a\ud800b`, "surrogate"],
    ["an unpaired low surrogate", String.raw`\udc00`, "surrogate"],
  ])("PUT with %s in the note answers 400 naming body.note, and sets nothing", async (_what, escaped, word) => {
    const before = await auditCount();
    const res = await send("PUT", `{"level":"moderate","note":"${escaped}"}`);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: "bad_request", issues: [{ field: "body.note", message: expect.stringContaining(word) }] });
    expect(await auditCount()).toBe(before);
    const row = await api.db.memberEngagement.findUniqueOrThrow({ where: { userId_orgId: { userId: a.drifting.id, orgId: a.org.id } } });
    expect(row.overrideLevel).toBeNull();
  });

  it("DELETE with a NUL in the note answers 400 naming body.note, and clears nothing", async () => {
    expect((await send("PUT", '{"level":"moderate","note":"kept"}')).statusCode).toBe(200);
    const before = await auditCount();
    const res = await send("DELETE", String.raw`{"note":"x\u0000"}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([{ field: "body.note", message: expect.stringContaining("NUL") }]);
    expect(await auditCount()).toBe(before);
    const row = await api.db.memberEngagement.findUniqueOrThrow({ where: { userId_orgId: { userId: a.drifting.id, orgId: a.org.id } } });
    expect(row.overrideLevel).toBe("moderate");
  });

  it("a well-formed surrogate pair (an emoji) is ordinary text and is stored", async () => {
    const res = await send("PUT", String.raw`{"level":"moderate","note":"choir lead \ud83c\udfb6"}`);
    expect(res.statusCode).toBe(200);
    const row = await api.db.memberEngagement.findUniqueOrThrow({ where: { userId_orgId: { userId: a.drifting.id, orgId: a.org.id } } });
    expect(row.overrideNote).toBe("choir lead 🎶");
  });

  it("a NUL in a query string value answers 400 naming the parameter", async () => {
    const res = await api.app.inject({ url: `/v1/orgs/${a.org.id}/engagement?level=moderate%00`, headers: bearer(a.adminToken) });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([{ field: "query.level", message: expect.stringContaining("NUL") }]);
  });

  it("a list cursor whose decoded position holds a NUL answers 400 naming query.cursor", async () => {
    const cursor = Buffer.from(JSON.stringify(["A\u0000", a.steady.id])).toString("base64url");
    const res = await api.app.inject({ url: `/v1/orgs/${a.org.id}/engagement?cursor=${cursor}`, headers: bearer(a.adminToken) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: "bad_request", issues: [{ field: "query.cursor" }] });
  });

  it.each([[BOARD_PATH], [`${BOARD_PATH}/api/queues`]])(
    "a malformed board cookie on %s answers 401 in the API's error shape",
    async (url) => {
      const res = await api.app.inject({ url, headers: { cookie: `${BOARD_COOKIE}=%` } });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: "unauthorized", message: expect.stringContaining("invalid token") });
    },
  );

  it("an error thrown inside Bull Board's routes answers in the API's error shape, not the board's", async () => {
    const res = await api.app.inject({ url: `${BOARD_PATH}/api/queues?activeQueue=%00`, headers: bearer(operator) });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({
      error: "bad_request",
      message: "invalid query.activeQueue",
      issues: [{ field: "query.activeQueue", message: expect.stringContaining("NUL") }],
    });
  });
});
