// The import path's edges found in review: timestamps checked as stored, a dry run of several files that predicts
// the real run, and input formats that are the sender's mistake (a 4xx, never a crash).
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { driverConnection } from "./client.ts";
import { csvImportRows, ImportFormatError, ndjsonImportRows } from "./import-formats.ts";
import { applyStaged, stageImport, validateAndImport } from "./import-rows.ts";
import { erasureKey, tombstoneHash } from "./repositories/erasures.ts";
import { importTransaction } from "./repositories/import-stage.ts";
import { buildOrg, createTestDatabase, type TestDatabase } from "./testing/index.ts";

describe("import rows", () => {
  let t: TestDatabase;
  let orgId: string;
  beforeAll(async () => {
    t = await createTestDatabase("import_rows");
    orgId = (await buildOrg(t.db)).id;
  });
  afterAll(async () => t.drop());

  const event = (id: string, startsAt: string, endsAt: string) => ({
    position: 0,
    value: { externalId: id, title: "T", startsAt, endsAt },
  });

  it("stores an offset PostgreSQL would refuse (+16:00) as the same instant, and checks endsAt in what is stored", async () => {
    const report = await validateAndImport(
      t.db,
      "events",
      orgId,
      [event("E-16", "2024-01-01T10:00:00+16:00", "2024-01-01T11:00:00+16:00")],
      {
        partial: false,
      },
    );
    expect(report).toMatchObject({ applied: true, inserted: 1 });
    const stored = await t.db.event.findFirstOrThrow({ where: { orgId, externalId: "E-16" } });
    expect(stored.startsAt.toISOString()).toBe("2023-12-31T18:00:00.000Z");
    // 0.6 ms after 0.4 ms: equal in milliseconds, so not "before", and stored equal rather than rounded apart.
    const close = await validateAndImport(
      t.db,
      "events",
      orgId,
      [event("E-ms", "2024-01-01T10:00:00.0006Z", "2024-01-01T10:00:00.0004Z")],
      {
        partial: false,
      },
    );
    expect(close).toMatchObject({ applied: true, inserted: 1 });
    const ms = await t.db.event.findFirstOrThrow({ where: { orgId, externalId: "E-ms" } });
    expect(ms.endsAt.getTime()).toBe(ms.startsAt.getTime());
  });

  it("a dry run of members, events and attendance refuses the attendance of a member the real import would not write", async () => {
    const members = [
      { position: 2, value: { externalId: "DRY-1", name: "A", email: "dry1@example.org", joinedAt: "2026-01-01T00:00:00Z" } },
      { position: 3, value: { externalId: "DRY-1", name: "B", email: "dry2@example.org", joinedAt: "2026-01-01T00:00:00Z" } },
    ];
    const events = [event("DRY-E", "2026-01-02T10:00:00Z", "2026-01-02T11:00:00Z")];
    const attendance = [
      {
        position: 2,
        value: { eventExternalId: "DRY-E", memberExternalId: "DRY-1", status: "attended", registeredAt: "2026-01-01T00:00:00Z" },
      },
    ];
    const staged = [
      await stageImport(t.db, "members", members),
      await stageImport(t.db, "events", events),
      await stageImport(t.db, "attendance", attendance),
    ];
    try {
      const reports = await importTransaction(
        t.db,
        () => true,
        async (tx) => {
          const out = [];
          for (const s of staged) out.push(await applyStaged(tx, orgId, s, { partial: false }));
          return out;
        },
      );
      expect(reports.map((r) => r.refused)).toEqual([1, 0, 1]);
      expect(reports[2]?.errors).toEqual([{ position: 2, field: "memberExternalId", message: expect.stringContaining("no member") }]);
    } finally {
      for (const s of staged) await s.stage.drop();
    }
    expect(await t.db.membership.count({ where: { orgId, externalId: "DRY-1" } })).toBe(0);
  });

  it("a stray quote or a repeated column is the file's mistake; an NDJSON BOM is not a bad row", async () => {
    const read = async (text: string) => {
      for await (const _ of csvImportRows("events", Readable.from([text]), "f.csv"));
    };
    await expect(read('external_id,title,starts_at,ends_at\nA,t"x,x,y\n')).rejects.toBeInstanceOf(ImportFormatError);
    // The message names the file and the line, without csv-parse's quote of the value (noise in a binary file).
    await expect(read('external_id,title,starts_at,ends_at\nA,t"x,x,y\n')).rejects.toThrow(
      /^f\.csv: Invalid Opening Quote: a quote is found on field 1 at line 2$/,
    );
    await expect(read("external_id,title,title,starts_at,ends_at\n")).rejects.toThrow("title appear more than once");
    const rows = [];
    for await (const r of ndjsonImportRows(Readable.from(['\uFEFF{"a":1}\n']))) rows.push(r);
    expect(rows).toEqual([{ position: 1, value: { a: 1 } }]);
  });
});

describe("an erasure racing an import", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("import_race");
  });
  afterAll(async () => t.drop());

  it("an import that plans around a person being erased elsewhere waits, then refuses them instead of failing", async () => {
    const [a, b] = [await buildOrg(t.db), await buildOrg(t.db)];
    const email = "racing.person@example.org";
    const person = { externalId: "R-1", name: "Racing Person", email, joinedAt: "2026-01-01T00:00:00Z" };
    expect(await validateAndImport(t.db, "members", a.id, [{ position: 0, value: person }], { partial: false })).toMatchObject({
      inserted: 1,
    });
    const user = await t.db.user.findUniqueOrThrow({ where: { email } });
    const key = await erasureKey(t.db);
    // The erasure's effect, held open in its own transaction: the person deleted, the tombstone written, not yet committed.
    const eraser = await driverConnection(t.db);
    await eraser.query("BEGIN");
    await eraser.query("DELETE FROM users WHERE id = $1", [user.id]);
    const erasure = await eraser.query<{ id: string }>("INSERT INTO erasures (org_id, actor_id) VALUES (NULL, NULL) RETURNING id");
    await eraser.query("INSERT INTO erasure_tombstones (erasure_id, org_id, kind, hash) VALUES ($1, NULL, 'email', $2)", [
      erasure.rows[0]?.id,
      tombstoneHash(key, "email", null, email),
    ]);
    // Organisation B imports the same person meanwhile; it must wait for the erasure, not plan with the old user.
    const importing = validateAndImport(t.db, "members", b.id, [{ position: 0, value: { ...person, externalId: "B-1" } }], {
      partial: true,
    });
    await new Promise((r) => setTimeout(r, 500));
    await eraser.query("COMMIT");
    eraser.release();
    const report = await importing;
    expect(report).toMatchObject({ applied: true, inserted: 0, refused: 1, errors: [{ position: 0, field: "email" }] });
    expect(await t.db.user.count({ where: { email } })).toBe(0);
  });
});
