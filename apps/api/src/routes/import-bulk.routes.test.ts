// Streamed imports: NDJSON and CSV bodies of any length, read row by row into the staging table; errors by line,
// all or nothing unless partial, the same checks as the JSON route.
import { PassThrough, Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("streamed import", () => {
  let api: TestApi;
  let org: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("import_bulk");
    org = await seedOrg(api, "Streamed");
  });
  afterAll(async () => api.close());

  const send = (kind: string, type: string, payload: string | Readable, query = "") =>
    api.app.inject({
      method: "PUT",
      url: `/v1/orgs/${org.org.id}/${kind}/bulk${query}`,
      headers: { ...bearer(org.adminToken), "content-type": type },
      payload,
    });
  const member = (n: number) => ({
    externalId: `S-${n}`,
    name: `Streamed ${n}`,
    email: `s${n}@example.org`,
    joinedAt: "2026-01-15T18:00:00Z",
  });
  /** A body produced as it is sent, never built as one string. */
  const ndjson = (n: number, line: (i: number) => unknown) =>
    Readable.from(
      (function* () {
        for (let i = 0; i < n; i++) yield `${JSON.stringify(line(i))}\n`;
      })(),
    );
  const stored = () => api.db.membership.count({ where: { orgId: org.org.id, externalId: { startsWith: "S-" } } });

  it("imports 25,000 NDJSON members (more than a JSON request may hold), and the same body again changes nothing", async () => {
    const first = await send("members", "application/x-ndjson", ndjson(25_000, member));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      applied: true,
      rows: 25_000,
      inserted: 25_000,
      updated: 0,
      unchanged: 0,
      refused: 0,
      errors: [],
      errorsTruncated: false,
    });
    const again = await send("members", "application/x-ndjson", ndjson(25_000, member));
    expect(again.json()).toMatchObject({ inserted: 0, updated: 0, unchanged: 25_000 });
    expect(await stored()).toBe(25_000);
  }, 120_000);

  it("names bad rows by line, writes nothing without partial, and applies the good ones with it", async () => {
    const body = [
      JSON.stringify(member(30_001)),
      "",
      "{not json",
      JSON.stringify({ ...member(30_002), email: "nope" }),
      JSON.stringify(member(1)),
    ].join("\n");
    const strict = await send("members", "application/x-ndjson", body);
    expect(strict.statusCode).toBe(422);
    // Line 2 is blank (skipped); line 5 repeats nothing but changes nothing either: S-1 is already stored as it is.
    expect(strict.json()).toMatchObject({ applied: false, rows: 4, refused: 2, inserted: 0 });
    expect(strict.json().errors).toEqual([
      { line: 3, field: "row", message: "not a JSON value" },
      { line: 4, field: "email", message: expect.any(String) },
    ]);
    expect(await stored()).toBe(25_000);
    const partial = await send("members", "application/x-ndjson", body, "?partial=true");
    expect(partial.json()).toMatchObject({ applied: true, inserted: 1, unchanged: 1, refused: 2 });
  });

  it("reads CSV bodies as spreadsheets write them: BOM, CRLF, quoted commas, quotes and newlines; a NUL is a row error", async () => {
    const csv =
      "\uFEFFexternal_id,name,email,joined_at\r\n" +
      'C-1,"Ng, ""Kim""",c1@example.org,2026-02-01T10:00:00+02:00\r\n' +
      'C-2,"Two\r\nLines",c2@example.org,2026-02-01T10:00:00Z\r\n' +
      "C-3,Bad\u0000Name,c3@example.org,2026-02-01T10:00:00Z\r\n" +
      "C-4,Short row\r\n";
    const res = await send("members", "text/csv", csv, "?partial=true");
    expect(res.statusCode).toBe(200);
    // C-2's quoted line break moves C-3 to line 5 and C-4 to line 6.
    expect(res.json()).toMatchObject({ applied: true, rows: 4, inserted: 2, refused: 2 });
    expect(res.json().errors).toEqual([
      { line: 5, field: "name", message: expect.stringContaining("NUL") },
      { line: 6, field: "row", message: "has 2 fields, the header 4" },
    ]);
    const names = await api.db.membership.findMany({
      where: { orgId: org.org.id, externalId: { in: ["C-1", "C-2"] } },
      orderBy: { externalId: "asc" },
    });
    expect(names.map((m) => m.displayName)).toEqual(['Ng, "Kim"', "Two\r\nLines"]);
  });

  it("lists the first 10,000 refused rows and counts them all", async () => {
    const res = await send(
      "members",
      "application/x-ndjson",
      ndjson(10_050, (i) => ({ ...member(40_000 + i), joinedAt: "yesterday" })),
    );
    expect(res.statusCode).toBe(422);
    const report = res.json();
    expect(report).toMatchObject({ rows: 10_050, refused: 10_050, errorsTruncated: true });
    // Each row has two errors (not ISO, so not a date in range either): 10,000 rows' worth are listed.
    const lines = new Set<number>(report.errors.map((e: { line: number }) => e.line));
    expect(lines.size).toBe(10_000);
    expect(Math.max(...lines)).toBe(10_000);
  });

  it("a line longer than 1 MB is a 413; a third streamed import at once is a 503 with Retry-After, and the two go on", async () => {
    const long = await send("members", "application/x-ndjson", `{"name":"${"x".repeat(1024 * 1024 + 10)}"}\n`);
    expect(long.statusCode).toBe(413);
    expect(long.json().message).toContain("a line is longer than 1 MB");

    const bodies = [new PassThrough(), new PassThrough()];
    const running = bodies.map((b) => send("members", "application/x-ndjson", b));
    // Both have started (each holds its staging connection) once their first row is read.
    for (const b of bodies) b.write(`${JSON.stringify(member(50_000))}\n`);
    await new Promise((r) => setTimeout(r, 300));
    const third = await send("members", "application/x-ndjson", `${JSON.stringify(member(50_001))}\n`);
    expect(third.statusCode).toBe(503);
    expect(third.headers["retry-after"]).toBe("30");
    for (const b of bodies) b.end();
    const done = await Promise.all(running);
    expect(done.map((r) => r.statusCode)).toEqual([200, 200]);
    expect((await send("members", "application/x-ndjson", `${JSON.stringify(member(50_001))}\n`)).statusCode).toBe(200);
  });

  it("refuses a CSV without the kind's columns (400), another content type (415), and a read-only key", async () => {
    const columns = await send("events", "text/csv", "id,title\nE-1,Talk\n");
    expect(columns.statusCode).toBe(400);
    expect(columns.json().issues[0].message).toContain("missing column(s) external_id, starts_at, ends_at");
    expect((await send("events", "application/xml", "<rows/>")).statusCode).toBe(415);
    const attendance = await send(
      "attendance",
      "text/csv",
      "event_external_id,member_external_id,status,registered_at\nE-404,S-1,attended,2026-02-01T10:00:00Z\n",
    );
    expect(attendance.json()).toMatchObject({ applied: false, errors: [{ line: 2, field: "eventExternalId" }] });
  });
});
