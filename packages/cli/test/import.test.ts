// A new organisation, loaded from three CSV files with the command line and scored by a real worker: the walk-through
// of the README, with hand-computed levels. The files carry what spreadsheets produce: a UTF-8 BOM, CRLF line ends,
// quoted fields with commas, quotes and a newline, and names outside ASCII.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { type AppProcess, startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CLI_TIMEOUT_MS, cli } from "./run-cli.ts";

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

describe("engagement import", () => {
  let t: TestDatabase;
  let worker: AppProcess;
  let env: Record<string, string>;
  let dir: string;
  let orgId: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  beforeAll(async () => {
    t = await createTestDatabase("cli_import");
    env = {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: `{test-cliimport-${randomBytes(4).toString("hex")}}`,
      ENGAGEMENT_CLASSIFIER: "rules",
    };
    worker = startApp("worker", { ...env, LOG_LEVEL: "warn" });
    dir = mkdtempSync(join(tmpdir(), "import-"));
  });
  afterAll(async () => {
    await worker.stop("SIGTERM");
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const importArgs = () => [
    "import",
    "--org",
    orgId,
    "--members",
    join(dir, "members.csv"),
    "--events",
    join(dir, "events.csv"),
    "--attendance",
    join(dir, "attendance.csv"),
  ];
  const imported = () => t.db.membership.count({ where: { orgId, externalId: { not: null } } });

  it(
    "creates the organisation, checks the files with --dry-run (nothing written), imports them, and a second import changes nothing",
    async () => {
      const created = await cli(
        ["org", "create", "--name", "Riverside Runners", "--admin-email", "coach@example.org", "--admin-name", "Coach"],
        {
          env,
        },
      );
      expect(created.code).toBe(0);
      orgId = created.stdout.trim();
      file(
        "members.csv",
        `\uFEFFexternal_id,name,email,joined_at,status,role\r\n` +
          `M-1,"Lovelace, Ada",ada@example.org,${ago(120)},,\r\n` +
          `M-2,"Zoë ""Zo"" Müller",zoe@example.org,${ago(90)},active,member\r\n` +
          `M-3,Grace Hopper,grace@example.org,${ago(10)},active,\r\n`,
      );
      file(
        "events.csv",
        "external_id,title,starts_at,ends_at,cancelled_at\n" +
          `E-1,"Weekly run,\nriverside loop",${ago(21)},${ago(20.9)},\n` +
          `E-2,Weekly run,${ago(14)},${ago(13.9)},\n` +
          `E-3,Weekly run,${ago(7)},${ago(6.9)},\n` +
          `E-4,Weekly run (rained off),${ago(3)},${ago(2.9)},${ago(3.5)}\n`,
      );
      file(
        "attendance.csv",
        "event_external_id,member_external_id,status,registered_at,checked_in_at\n" +
          `E-1,M-1,attended,${ago(25)},\nE-2,M-1,attended,${ago(18)},\nE-3,M-1,attended,${ago(10)},\n` +
          `E-1,M-2,attended,${ago(25)},\nE-2,M-2,no_show,${ago(18)},\nE-3,M-2,no_show,${ago(10)},\n` +
          `E-3,M-3,attended,${ago(9)},${ago(7)}\n`,
      );

      const dry = await cli([...importArgs(), "--dry-run", "--json"], { env });
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout).files.map((f: { inserted: number; applied: boolean }) => [f.inserted, f.applied])).toEqual([
        [3, false],
        [4, false],
        [7, false],
      ]);
      expect(await imported()).toBe(0);

      const real = await cli(importArgs(), { env });
      expect(real.code).toBe(0);
      expect(real.stdout).toMatch(/members\.csv\s+3\s+3\s+0\s+0\s+0\s+yes/);
      const names = await t.db.membership.findMany({ where: { orgId, externalId: { not: null } }, orderBy: { externalId: "asc" } });
      expect(names.map((m) => m.displayName)).toEqual(["Lovelace, Ada", 'Zoë "Zo" Müller', "Grace Hopper"]);
      expect((await t.db.event.findFirstOrThrow({ where: { orgId, externalId: "E-1" } })).title).toBe("Weekly run,\nriverside loop");

      const again = await cli([...importArgs(), "--json"], { env });
      expect(JSON.parse(again.stdout).files.map((f: { unchanged: number }) => f.unchanged)).toEqual([3, 4, 7]);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "a run scores the imported members with the levels their attendance implies",
    async () => {
      const out = await cli(["run", "--org", orgId, "--wait", "--json"], { env });
      expect(out.code).toBe(0);
      const levels = await t.db.memberEngagement.findMany({
        where: { orgId },
        select: { level: true, user: { select: { memberships: { where: { orgId }, select: { externalId: true } } } } },
      });
      const byId = Object.fromEntries(levels.map((l) => [l.user.memberships[0]?.externalId ?? "admin", l.level]));
      // M-1: 3 of the 3 held events in 30 days, last a week ago → highly_engaged. M-2: 2 no-shows of 3 registrations
      // → at_risk. M-3: joined 10 days ago → new. The admin, who joined when the organisation was created → new.
      expect(byId).toEqual({ "M-1": "highly_engaged", "M-2": "at_risk", "M-3": "new", admin: "new" });
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "refuses bad rows with the file and line (exit 1, nothing written) and a file with wrong columns (exit 2)",
    async () => {
      const before = await imported();
      const bad = file("bad.csv", `external_id,name,email,joined_at\nM-7,Ok,ok@example.org,${ago(50)}\nM-8,Bad,not-an-email,${ago(50)}\n`);
      const out = await cli(["import", "--org", orgId, "--members", bad], { env });
      expect(out.code).toBe(1);
      expect(out.stderr).toContain(`${bad}:3: email:`);
      expect(out.stdout).toMatch(/bad\.csv\s+2\s+0\s+0\s+0\s+1\s+no/);
      expect(await imported()).toBe(before);

      const partial = await cli(["import", "--org", orgId, "--members", bad, "--partial"], { env });
      expect(partial.code).toBe(1);
      expect(await imported()).toBe(before + 1);

      const columns = file("columns.csv", "id,name\n1,x\n");
      const wrong = await cli(["import", "--org", orgId, "--members", columns], { env });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain("missing column(s) external_id, email, joined_at");
      expect((await cli(["import", "--org", orgId], { env })).code).toBe(2);
    },
    CLI_TIMEOUT_MS,
  );
});
