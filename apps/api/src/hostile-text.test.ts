// Bodies too large, JSON nested too deep, and text that is hard to store or easy to mistake for something else:
// a body over the limit is a 413 saying which limit; deep JSON is a 4xx, never a crash; emoji, right-to-left text,
// combining marks, zero-width joiners and SQL or HTML look-alikes are stored and returned exactly as sent (an
// override note, a member's name through an import); NUL, which PostgreSQL cannot store, is refused naming the field.
import { buildMemberEngagement } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../test/harness.ts";

const TEXTS = {
  emoji: "Runs the 🏃‍♀️ club 👩‍👩‍👧‍👦 🇫🇷",
  rtl: "שלום עליכם — مرحبا بالعالم",
  bidiControls: "\u202eevil\u202c and \u2066isolated\u2069",
  combining: "Zoë Ångström e\u0301\u0301 Z\u0351\u0352\u0353",
  zeroWidth: "a\u200bb\u200dc\ufeffd",
  sql: "Robert'); DROP TABLE users;-- ' OR '1'='1 \\x00 $1 %s",
  html: '<script>alert("x")</script> &amp; &lt;',
  lineSeparators: "one\u2028two\u2029three\r\nfour\tfive",
  astral: "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠜎𠜱𠝹",
  jsonLike: '{"level":"highly_engaged"} [1,2] null',
};

describe("oversized, deep and hostile text", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("hostile");
    a = await seedOrg(api, "Alpha");
  });
  afterAll(async () => api.close());

  const overrideUrl = () => `/v1/orgs/${a.org.id}/members/${a.drifting.id}/engagement/override`;
  const putRaw = (url: string, payload: string) =>
    api.app.inject({ method: "PUT", url, headers: { ...bearer(a.adminToken), "content-type": "application/json" }, payload });
  const auditCount = () => api.db.engagementOverrideHistory.count({ where: { orgId: a.org.id } });

  it("a body over the 64 KB limit is a 413 naming the body and the limit, and sets nothing", async () => {
    const before = await auditCount();
    const res = await putRaw(overrideUrl(), JSON.stringify({ level: "moderate", note: "x", padding: "y".repeat(70_000) }));
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({
      error: "payload_too_large",
      message: "the body is larger than 65,536 bytes, the limit of this route",
      issues: [{ field: "body", message: "the body is larger than 65,536 bytes, the limit of this route" }],
    });
    expect(await auditCount()).toBe(before);
  });

  it("an import over its own 8 MB limit is a 413 naming that limit, and imports nothing", async () => {
    const row = { externalId: "x", name: "n".repeat(1000), email: "x@example.org", joinedAt: "2026-01-01T00:00:00Z" };
    const rows = Array.from({ length: 9000 }, (_, i) => ({ ...row, externalId: `x${i}` }));
    const res = await putRaw(`/v1/orgs/${a.org.id}/members`, JSON.stringify(rows));
    expect(res.statusCode).toBe(413);
    expect(res.json().message).toBe("the body is larger than 8,388,608 bytes, the limit of this route");
    expect(await api.db.membership.count({ where: { orgId: a.org.id } })).toBe(4);
  });

  it.each([1_000, 10_000, 30_000])(
    "JSON nested %i deep is a 400 naming where it got too deep (never a crash), and sets nothing",
    async (depth) => {
      const before = await auditCount();
      const deep = `${"[".repeat(depth)}${"]".repeat(depth)}`;
      for (const body of [`{"level":"moderate","note":"x","extra":${deep}}`, `{"level":"moderate","note":${deep}}`, deep]) {
        const res = await putRaw(overrideUrl(), body);
        expect(res.statusCode).toBe(400);
        expect(res.json().issues).toEqual([
          { field: expect.stringMatching(/^body(\.\w+)?(\.0)+$/), message: expect.stringMatching(/^nested more than \d+ levels deep$/) },
        ]);
      }
      expect(await auditCount()).toBe(before);
    },
  );

  it.each(Object.entries(TEXTS))("an override note of %s is stored and returned exactly as sent", async (_kind, text) => {
    const res = await putRaw(overrideUrl(), JSON.stringify({ level: "moderate", note: text }));
    expect(res.statusCode).toBe(200);
    const history = await api.app.inject({ url: `${overrideUrl()}s`, headers: bearer(a.adminToken) });
    expect(history.json().items[0].note).toBe(text.trim());
    const detail = await api.app.inject({ url: overrideUrl().replace(/\/override$/, ""), headers: bearer(a.adminToken) });
    expect(detail.json().override.note).toBe(text.trim());
  });

  it("members imported with such names are stored and listed exactly as sent", async () => {
    const entries = Object.entries(TEXTS);
    const rows = entries.map(([kind, text], i) => ({
      externalId: `hostile-${kind}`,
      name: text,
      email: `hostile${i}@example.org`,
      joinedAt: "2025-01-01T00:00:00Z",
    }));
    const res = await api.app.inject({ method: "PUT", url: `/v1/orgs/${a.org.id}/members`, headers: bearer(a.adminToken), payload: rows });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ applied: true, inserted: entries.length, errors: [] });
    const users = await api.db.user.findMany({ where: { email: { in: rows.map((r) => r.email) } } });
    for (const user of users) await buildMemberEngagement(api.db, { orgId: a.org.id, userId: user.id, level: "moderate" });
    const listed = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const page = (
        await api.app.inject({
          url: `/v1/orgs/${a.org.id}/engagement?limit=200${cursor ? `&cursor=${cursor}` : ""}`,
          headers: bearer(a.adminToken),
        })
      ).json() as { items: { userId: string; name: string }[]; nextCursor: string | null };
      for (const item of page.items) listed.set(item.userId, item.name);
      cursor = page.nextCursor;
    } while (cursor);
    const byEmail = new Map(users.map((u) => [u.email, u.id]));
    for (const row of rows)
      expect([row.externalId, listed.get(byEmail.get(row.email) as string)]).toEqual([row.externalId, row.name.trim()]);
    // The same rows again: every one unchanged (the stored text compares equal to what is sent).
    const again = await api.app.inject({
      method: "PUT",
      url: `/v1/orgs/${a.org.id}/members`,
      headers: bearer(a.adminToken),
      payload: rows,
    });
    expect(again.json()).toMatchObject({ inserted: 0, updated: 0, unchanged: entries.length });
  });

  it("a NUL in an imported name is a 400 naming the row and field, not a 500, and imports nothing", async () => {
    const before = await api.db.membership.count({ where: { orgId: a.org.id } });
    const res = await putRaw(
      `/v1/orgs/${a.org.id}/members`,
      String.raw`[{"externalId":"nul-1","name":"Ada\u0000Lovelace","email":"nul@example.org","joinedAt":"2025-01-01T00:00:00Z"}]`,
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([{ field: "body.0.name", message: expect.stringContaining("NUL") }]);
    expect(await api.db.membership.count({ where: { orgId: a.org.id } })).toBe(before);
  });
});
