import { createReadStream, writeFileSync } from "node:fs";
import {
  applyMigrations,
  applyStaged,
  createDb,
  createOrganizationWithAdmin,
  csvImportRows,
  dropDatabase,
  ensureDatabase,
  importTransaction,
  stageImport,
  withDatabase,
} from "./src/index.ts";
import { TEST_SERVER_URL } from "./src/testing/env.ts";

const url = withDatabase(TEST_SERVER_URL, "engagement_dbg_imp");
await dropDatabase(url);
await ensureDatabase(url);
await applyMigrations(url);
const db = createDb(url, { maxConnections: 3 });
const c = (await createOrganizationWithAdmin(db, { name: "B", slug: "b", admin: { email: "a@b.c", name: "A" } })) as any;
const M = 5000,
  E = 200,
  N = 100000;
let m = "external_id,name,email,joined_at\n";
for (let i = 0; i < M; i++) m += `M-${i},Member ${i},m${i}@x.org,2025-01-01T00:00:00Z\n`;
let e = "external_id,title,starts_at,ends_at\n";
for (let i = 0; i < E; i++) e += `E-${i},T ${i},2026-01-01T10:00:00Z,2026-01-01T11:00:00Z\n`;
let a = "event_external_id,member_external_id,status,registered_at,checked_in_at\n";
for (let i = 0; i < N; i++) a += `E-${i % E},M-${Math.floor(i / E)},attended,2026-01-01T10:00:00.000Z,2026-01-04T10:05:00.000Z\n`;
writeFileSync("/tmp/m.csv", m);
writeFileSync("/tmp/e.csv", e);
writeFileSync("/tmp/a.csv", a);
for (const round of [1, 2])
  for (const [kind, f] of [
    ["members", "/tmp/m.csv"],
    ["events", "/tmp/e.csv"],
    ["attendance", "/tmp/a.csv"],
  ] as const) {
    let t = performance.now();
    const st = await stageImport(db, kind, csvImportRows(kind, createReadStream(f)));
    const ts = performance.now() - t;
    t = performance.now();
    const r = await importTransaction(
      db,
      (x) => !x.applied,
      (tx) => applyStaged(tx, c.orgId, st, { partial: false }),
    );
    console.log(round, kind, "stage", Math.round(ts), "apply", Math.round(performance.now() - t), r.inserted, r.unchanged, r.refused);
    await st.stage.drop();
  }
await db.$disconnect();
await dropDatabase(url);
