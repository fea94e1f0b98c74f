// An import killed (SIGKILL) at several points and run again: while staging the members, between the members'
// transaction and the attendance's, while the attendance is written. The end state must equal one clean import
// of the same files into another database: the same members, events and registrations (compared as fingerprints
// keyed by the organisation's own ids), no row twice, and no staging table left behind.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Db } from "@engagement/db";
import { createTestDatabase, type TestDatabase } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { importCommand } from "../src/commands/import.ts";
import { loadCliEnv } from "../src/env.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const ORG_ID = "6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
const MEMBERS = 3_000;
const EVENTS = 60;
const ATTENDANCE = 9_000;
const DAY = 86_400_000;

/** Deterministic files: the same rows for the clean import and the interrupted one. */
function writeFiles(dir: string) {
  const now = Date.UTC(2026, 10, 30);
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const members = ["external_id,name,email,joined_at,status,role"];
  for (let i = 0; i < MEMBERS; i++) members.push(`M-${i},"Member ${i}, Jr",member-${i}@example.org,${at(400 - (i % 300))},active,`);
  const events = ["external_id,title,starts_at,ends_at,cancelled_at"];
  for (let i = 0; i < EVENTS; i++) events.push(`E-${i},Weekly run #${i},${at(180 - (i % 170))},${at(180 - (i % 170) - 0.1)},`);
  const attendance = ["event_external_id,member_external_id,status,registered_at,checked_in_at"];
  const statuses = ["attended", "registered", "no_show", "cancelled"];
  for (let i = 0; i < ATTENDANCE; i++) {
    // Distinct (event, member) pairs: member i % MEMBERS at event floor(i / MEMBERS) * 7 + i % 7.
    const event = (Math.floor(i / MEMBERS) * 7 + (i % 7)) % EVENTS;
    attendance.push(`E-${event},M-${i % MEMBERS},${statuses[i % 4]},${at(200)},`);
  }
  const paths = { members: join(dir, "members.csv"), events: join(dir, "events.csv"), attendance: join(dir, "attendance.csv") };
  writeFileSync(paths.members, `${members.join("\n")}\n`);
  writeFileSync(paths.events, `${events.join("\n")}\n`);
  writeFileSync(paths.attendance, `${attendance.join("\n")}\n`);
  return paths;
}

/** What an import leaves, keyed by the organisation's ids rather than generated ones, as counts and md5s. */
async function fingerprint(db: Db) {
  const one = async (sql: string) => (await db.$queryRawUnsafe<{ n: bigint; md5: string | null }[]>(sql, ORG_ID))[0];
  return {
    members: await one(
      `SELECT count(*) AS n, md5(string_agg(concat_ws('|', m.external_id, m.display_name, m.status, m.role, m.joined_at, m.left_at, u.email, u.name), E'\\n' ORDER BY m.external_id)) AS md5
       FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1::uuid`,
    ),
    users: await one(`SELECT count(*) AS n, md5(string_agg(email, E'\\n' ORDER BY email)) AS md5 FROM users WHERE $1::uuid IS NOT NULL`),
    events: await one(
      `SELECT count(*) AS n, md5(string_agg(concat_ws('|', external_id, title, starts_at, ends_at, cancelled_at), E'\\n' ORDER BY external_id)) AS md5
       FROM events WHERE org_id = $1::uuid`,
    ),
    registrations: await one(
      `SELECT count(*) AS n, md5(string_agg(concat_ws('|', e.external_id, m.external_id, r.status, r.registered_at, r.checked_in_at), E'\\n' ORDER BY e.external_id, m.external_id)) AS md5
       FROM registrations r JOIN events e ON e.id = r.event_id JOIN memberships m ON m.user_id = r.user_id AND m.org_id = e.org_id
       WHERE e.org_id = $1::uuid`,
    ),
    stagingTables: await one(
      `SELECT count(*) AS n, string_agg(tablename, ',') AS md5 FROM pg_tables WHERE tablename LIKE 'import\\_stage\\_%' AND $1::uuid IS NOT NULL`,
    ),
  };
}

describe("an import killed mid-way and run again", () => {
  let clean: TestDatabase;
  let killed: TestDatabase;
  let dir: string;
  let files: ReturnType<typeof writeFiles>;
  const args = () => ["import", "--org", ORG_ID, "--members", files.members, "--events", files.events, "--attendance", files.attendance];

  /** Starts the import against `t`; resolves with its exit code, or null when it was killed. */
  function startImport(t: TestDatabase): { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } {
    const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
    const child = spawn(process.execPath, ["--import", "tsx", "packages/cli/src/main.ts", ...args()], {
      cwd: ROOT,
      env: { ...inherited, DATABASE_URL: t.url },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    return { child, exited: new Promise((done) => child.once("exit", (code) => done(code))), stderr: () => stderr };
  }

  async function killWhen(t: TestDatabase, point: string, reached: () => Promise<boolean>) {
    const { child, exited, stderr } = startImport(t);
    let exitedFirst = false;
    let exitCode: number | null = null;
    void exited.then((code) => {
      exitedFirst = true;
      exitCode = code;
    });
    const deadline = Date.now() + 30_000;
    while (!exitedFirst && !(await reached())) {
      if (Date.now() > deadline) throw new Error(`import never reached "${point}"`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const running = !exitedFirst;
    child.kill("SIGKILL");
    const code = await exited;
    return { point, killedMidway: running && code === null, ...(exitCode === null ? {} : { exitCode, stderr: stderr().slice(0, 500) }) };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "import-kill-"));
    files = writeFiles(dir);
    clean = await createTestDatabase("cli_import_clean");
    killed = await createTestDatabase("cli_import_killed");
    for (const t of [clean, killed]) await t.db.organization.create({ data: { id: ORG_ID, name: "Riverside Runners", slug: "riverside" } });
  });
  afterAll(async () => {
    await clean?.drop();
    await killed?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ends, after three kills and a last run, exactly where one clean import ends", async () => {
    const started = Date.now();
    // The clean import and the last one run in this process (the command's own code, without a process start each).
    expect(await importCommand(loadCliEnv({ DATABASE_URL: clean.url }), args().slice(1))).toBe(0);
    const cleanMs = Date.now() - started;
    const expected = await fingerprint(clean.db);
    expect(expected.members?.n).toBe(BigInt(MEMBERS));
    expect(expected.registrations?.n).toBe(BigInt(ATTENDANCE));

    const count = (sql: string) => async () => Number((await killed.db.$queryRawUnsafe<{ n: bigint }[]>(sql))[0]?.n ?? 0) > 0;
    const staging = count("SELECT count(*) AS n FROM pg_tables WHERE tablename LIKE 'import\\_stage\\_%'");
    const members = count("SELECT count(*) AS n FROM memberships WHERE external_id IS NOT NULL");
    const writingAttendance = count(
      "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query ILIKE '%registrations%' AND pid <> pg_backend_pid()",
    );
    const kills = [
      await killWhen(killed, "staging the members", staging),
      await killWhen(killed, "members written, the rest not yet", members),
      await killWhen(killed, "writing the attendance", writingAttendance),
    ];
    const lastStarted = Date.now();
    const last = await importCommand(loadCliEnv({ DATABASE_URL: killed.url }), args().slice(1));
    console.log(
      `import interrupted: clean import ${cleanMs} ms; kills ${JSON.stringify(kills)}; last run ${Date.now() - lastStarted} ms, exit ${last}`,
    );
    expect(last).toBe(0);
    // At least two of the three kills landed while the import was running (the third may find it done).
    expect(kills.filter((k) => k.killedMidway).length).toBeGreaterThanOrEqual(2);
    expect(await fingerprint(killed.db)).toEqual(expected);
  }, 120_000);
});
