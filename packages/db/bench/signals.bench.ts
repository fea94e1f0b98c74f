// Signal query benchmark: `pnpm --filter @engagement/db exec tsx bench/signals.bench.ts`.
// Reseeds the scratch database engagement_bench (on the test server) with one weekly organisation of 10,000
// members and 180 days of events, then times computeSignals over every member in SIGNALS_CHUNK_SIZE chunks.
import { cpus, platform, release } from "node:os";
import { createDb } from "../src/client.ts";
import { dropDatabase, ensureDatabase, withDatabase } from "../src/database.ts";
import { applyMigrations } from "../src/migrations.ts";
import { chunk, computeSignals, listActiveMemberIds, SIGNALS_CHUNK_SIZE } from "../src/repositories/signals.ts";
import { generateSeed, insertSeedOrg } from "../src/seed/index.ts";
import { TEST_SERVER_URL } from "../src/testing/env.ts";

const MEMBERS = 10_000;
const RUNS = 3;
const NOW = new Date("2026-03-01T12:00:00.000Z");

const url = withDatabase(TEST_SERVER_URL, "engagement_bench");
await dropDatabase(url);
await ensureDatabase(url);
await applyMigrations(url);
const db = createDb(url, { maxConnections: 2 });

try {
  // Seed org 0 is the weekly shape (events every 7 days with jitter, 180 days back, 30 ahead).
  const [org] = generateSeed({ orgs: 1, members: MEMBERS, seed: 42, now: NOW });
  if (!org) throw new Error("seed produced no organisation");
  const seedStart = performance.now();
  await insertSeedOrg(db, org);
  const seedMs = performance.now() - seedStart;
  await db.$executeRawUnsafe("ANALYZE");
  console.log(
    `seeded ${org.memberships.length} members, ${org.events.length} events, ${org.registrations.length} registrations in ${Math.round(seedMs)} ms`,
  );

  const ids = await listActiveMemberIds(db, org.org.id);
  const chunks = chunk(ids, SIGNALS_CHUNK_SIZE);
  // Warm-up: plan cache and buffers, so the median measures steady-state work.
  await computeSignals(db, org.org.id, NOW, chunks[0] ?? []);
  const timings: number[] = [];
  let rows = 0;
  for (let run = 0; run < RUNS; run++) {
    rows = 0;
    const start = performance.now();
    for (const ids of chunks) rows += (await computeSignals(db, org.org.id, NOW, ids)).length;
    timings.push(performance.now() - start);
  }
  if (rows !== ids.length) throw new Error(`expected ${ids.length} rows, got ${rows}`);
  const median = [...timings].sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;

  const cells: [string, string][] = [
    ["members", String(ids.length)],
    ["chunk size", String(SIGNALS_CHUNK_SIZE)],
    ["chunks (queries)", String(chunks.length)],
    [`total ms (median of ${RUNS})`, median.toFixed(1)],
    ["runs ms", timings.map((t) => t.toFixed(1)).join(", ")],
    ["ms per 1,000 members", ((median / ids.length) * 1000).toFixed(1)],
    ["rows/s", Math.round((rows / median) * 1000).toLocaleString("en-US")],
  ];
  const width = Math.max(...cells.map(([k]) => k.length));
  console.log(cells.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n"));
  const cpu = cpus();
  console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, ${platform()} ${release()}, Node ${process.version}`);
} finally {
  await db.$disconnect();
}
// The migration engine leaves a timer behind that would hold the process for a while.
process.exit(0);
