// Import benchmark: `pnpm bench:import` (add `-- --attendance 100000` for a smaller run).
// Recreates the scratch database engagement_bench_import on the test server, writes three CSV files
// (50,000 members, 2,000 events, 1,000,000 attendance rows by default) into a temporary folder, then runs the real
// `engagement import` command twice as a user would: the first import inserts everything, the second finds every
// row unchanged. Each run's wall time and peak resident memory (the CLI process's own maxRSS) are printed.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, platform, release, tmpdir, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { applyMigrations, createDb, createOrganizationWithAdmin, dropDatabase, ensureDatabase, withDatabase } from "@engagement/db";
import { TEST_SERVER_URL } from "@engagement/db/testing";
import { childEnv } from "../src/env.ts";
import { table } from "../src/format.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const { values } = parseArgs({
  // `pnpm bench:import -- --attendance N` passes the "--" on.
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    members: { type: "string", default: "50000" },
    events: { type: "string", default: "2000" },
    attendance: { type: "string", default: "1000000" },
  },
});
const MEMBERS = Number(values.members);
const EVENTS = Number(values.events);
const ATTENDANCE = Number(values.attendance);
const perEvent = Math.ceil(ATTENDANCE / EVENTS);
if (perEvent > MEMBERS) throw new Error(`${ATTENDANCE} attendance rows need at least ${perEvent} members per event`);

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 30, 12);
const iso = (ms: number) => new Date(ms).toISOString();

/** Writes a CSV file line by line, waiting for the disk rather than building it in memory. */
async function writeCsv(path: string, header: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  let buffer = "";
  for (const line of lines) {
    buffer += `${line}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }
  out.end(buffer);
  await once(out, "finish");
}

function* memberLines() {
  for (let i = 0; i < MEMBERS; i++) {
    // A comma and a quote in some names: the CSV quoting path is part of what is measured.
    const name = i % 10 === 0 ? `"Member ${i}, ""M${i}"""` : `Member ${i}`;
    yield `M-${i},${name},member${i}@bench.example,${iso(NOW - (400 + (i % 300)) * DAY)},,`;
  }
}

function* eventLines() {
  for (let e = 0; e < EVENTS; e++) {
    const starts = NOW - Math.floor(((e + 1) * 365 * DAY) / EVENTS);
    yield `E-${e},Session ${e},${iso(starts)},${iso(starts + 2 * 3600_000)},`;
  }
}

const STATUSES = ["attended", "attended", "attended", "attended", "attended", "attended", "attended", "no_show", "no_show", "registered"];

function* attendanceLines() {
  let written = 0;
  for (let e = 0; e < EVENTS && written < ATTENDANCE; e++) {
    const starts = NOW - Math.floor(((e + 1) * 365 * DAY) / EVENTS);
    // Distinct members per event: a stride coprime with the member count walks them without repeats.
    const start = (e * 7919) % MEMBERS;
    for (let j = 0; j < perEvent && written < ATTENDANCE; j++, written++) {
      const member = (start + j * 7) % MEMBERS;
      const status = STATUSES[(e + j) % STATUSES.length] as string;
      const checkedIn = status === "attended" ? iso(starts + 300_000) : "";
      yield `E-${e},M-${member},${status},${iso(starts - 3 * DAY)},${checkedIn}`;
    }
  }
}

interface Measured {
  ms: number;
  maxRssMb: number;
  stdout: string;
}

/** Runs the CLI as a user does; a preloaded module records the process's peak resident memory as it exits. */
async function runImport(args: string[], env: Record<string, string>, rssFile: string): Promise<Measured> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ["--import", join(ROOT, "packages/cli/bench/record-rss.mjs"), "--import", "tsx", "packages/cli/src/main.ts", ...args],
    { cwd: ROOT, env: childEnv({ ...env, RECORD_RSS_FILE: rssFile }), stdio: ["ignore", "pipe", "inherit"] },
  );
  let stdout = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  const [code] = (await once(child, "close")) as [number];
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`import exited ${code}:\n${stdout}`);
  const { maxRSS } = JSON.parse(readFileSync(rssFile, "utf8")) as { maxRSS: number };
  return { ms, maxRssMb: maxRSS / 1024, stdout };
}

const url = withDatabase(TEST_SERVER_URL, "engagement_bench_import");
const dir = mkdtempSync(join(tmpdir(), "import-bench-"));
try {
  await dropDatabase(url);
  await ensureDatabase(url);
  await applyMigrations(url);
  const db = createDb(url, { maxConnections: 2 });
  const created = await createOrganizationWithAdmin(db, {
    name: "Benchmark club",
    slug: "benchmark-club",
    admin: { email: "admin@bench.example", name: "Admin" },
  });
  if (created.status !== "created") throw new Error("could not create the benchmark organisation");
  const { orgId } = created;
  const files = { members: join(dir, "members.csv"), events: join(dir, "events.csv"), attendance: join(dir, "attendance.csv") };
  const genStart = performance.now();
  await writeCsv(files.members, "external_id,name,email,joined_at,status,role", memberLines());
  await writeCsv(files.events, "external_id,title,starts_at,ends_at,cancelled_at", eventLines());
  await writeCsv(files.attendance, "event_external_id,member_external_id,status,registered_at,checked_in_at", attendanceLines());
  const mb = (p: string) => statSync(p).size / 1e6;
  console.error(
    `wrote ${MEMBERS} members (${mb(files.members).toFixed(1)} MB), ${EVENTS} events, ${ATTENDANCE} attendance rows ` +
      `(${mb(files.attendance).toFixed(1)} MB) in ${((performance.now() - genStart) / 1000).toFixed(1)} s`,
  );

  const env = { DATABASE_URL: url };
  const args = ["import", "--org", orgId, "--members", files.members, "--events", files.events, "--attendance", files.attendance, "--json"];
  const rows: (string | number)[][] = [];
  const reports: unknown[] = [];
  for (const label of ["first import (all new)", "second import (same files)"]) {
    const m = await runImport(args, env, join(dir, "rss.json"));
    const report = JSON.parse(m.stdout) as {
      files: {
        kind: string;
        inserted: number;
        updated: number;
        unchanged: number;
        refused: number;
        seconds: number;
        readSeconds: number;
        writeSeconds: number;
      }[];
    };
    reports.push(report);
    const by = (k: string) => report.files.find((f) => f.kind === k);
    const att = by("attendance");
    rows.push([
      label,
      (m.ms / 1000).toFixed(1),
      att ? `${att.seconds.toFixed(1)} (${att.readSeconds.toFixed(1)} + ${att.writeSeconds.toFixed(1)})` : "-",
      att ? Math.round(ATTENDANCE / att.seconds).toLocaleString("en") : "-",
      Math.round(m.maxRssMb),
      report.files.map((f) => `${f.kind} ${f.inserted}/${f.updated}/${f.unchanged}/${f.refused}`).join("; "),
    ]);
    console.error(`${label}: ${(m.ms / 1000).toFixed(1)} s`);
  }
  await db.$disconnect();
  // What the benchmark claims: the first import inserted every row, the second found every row unchanged.
  const attendanceOf = (r: unknown) =>
    (r as { files: { kind: string; inserted: number; unchanged: number }[] }).files.find((f) => f.kind === "attendance");
  if (attendanceOf(reports[0])?.inserted !== ATTENDANCE || attendanceOf(reports[1])?.unchanged !== ATTENDANCE) {
    throw new Error(`expected ${ATTENDANCE} attendance rows inserted, then unchanged: ${JSON.stringify(reports)}`);
  }

  console.log(
    `\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, node ${process.version}`,
  );
  console.log(`input: ${MEMBERS} members, ${EVENTS} events, ${ATTENDANCE} attendance rows; the CLI process's peak RSS`);
  console.log(
    table(
      ["run", "total s (3 files)", "attendance s (read + write)", "attendance rows/s", "peak RSS MB", "inserted/updated/unchanged/refused"],
      rows,
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
  await dropDatabase(url);
}
