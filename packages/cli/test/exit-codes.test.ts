// The exit-code sweep: every command, given invalid files and invalid, missing or unknown flags, exits with 2 and a
// message a person can act on, never a stack trace. The cases run through the real CLI (runCli, what main.ts runs)
// in one spawned process (cli-driver.ts), since a tsx start per case would take a minute for the whole table.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildOrg, createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { DriverCase, DriverResult } from "./cli-driver.ts";
import { CLI_TIMEOUT_MS } from "./run-cli.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const UNKNOWN_ID = "00000000-0000-4000-8000-00000000dead";
const SECRET = "exit-code-sweep-secret-0123456789abcdef";
/** A Node stack frame ("    at fn (file.ts:12:3)"), or the name of an error class where a message should be. */
const STACK_TRACE = /^\s+at\s.+:\d+:\d+\)?$|^\w*Error(: |$)|^\s*\^+\s*$/m;

function runDriver(cases: DriverCase[], dir: string): Promise<DriverResult[]> {
  const casesFile = join(dir, "cases.json");
  writeFileSync(casesFile, JSON.stringify(cases));
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  return new Promise((done, fail) => {
    const child = spawn(join(ROOT, "node_modules/.bin/tsx"), ["packages/cli/test/cli-driver.ts", casesFile], {
      cwd: ROOT,
      env: inherited,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => {
      try {
        done(JSON.parse(stdout) as DriverResult[]);
      } catch {
        fail(new Error(`the driver exited ${code} without results:\n${stdout}\n${stderr}`));
      }
    });
  });
}

describe("the CLI's answer to a bad command line", () => {
  let t: TestDatabase;
  let dir: string;
  let results: DriverResult[];
  let orgId: string;
  const file = (name: string, text: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  // Every case: [what is wrong, the arguments, extra environment].
  let table: [string, string[], Record<string, string>?][];

  beforeAll(async () => {
    t = await createTestDatabase("cli_exit");
    orgId = (await buildOrg(t.db)).id;
    dir = mkdtempSync(join(tmpdir(), "cli-exit-"));
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    const missing = join(dir, "missing.csv");
    const binary = file("binary.csv", randomBytes(4096));
    const badHeader = file("bad-header.csv", "who,when\nsomeone,yesterday\n");
    const badRow = file("bad-row.csv", "email,name,joined_at\nnot-an-email,Someone,2024-01-01\n");
    const emptyCsv = file("empty.csv", "");
    const badJson = file("bad.json", "[{tenureDays: 3");
    const notArray = file("object.json", JSON.stringify({ tenureDays: 3 }));
    const wrongShape = file("wrong.json", JSON.stringify([{ tenureDays: "long" }]));
    const env = { DATABASE_URL: t.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: `{test-cliexit-${randomBytes(4).toString("hex")}}` };
    const withSecret = { ...env, API_JWT_SECRET: SECRET };
    table = [
      ["an unknown command", ["frobnicate"]],
      ["a flag where the command should be", ["--org", orgId]],
      ["a configuration error (DATABASE_URL)", ["seed"], { DATABASE_URL: "mysql://somewhere" }],
      ["a configuration error (QUEUE_PREFIX)", ["run", "--all"], { ...env, QUEUE_PREFIX: "no spaces allowed" }],
      ["demo: an unknown flag", ["demo", "--colour"]],
      ["demo: zero orgs", ["demo", "--orgs", "0"]],
      ["demo: a flag without its value", ["demo", "--members"]],
      ["seed: a word for a number", ["seed", "--orgs", "many"], env],
      ["seed: a negative seed", ["seed", "--seed", "-1"], env],
      ["seed: a positional argument", ["seed", "now"], env],
      ["run: neither --org nor --all", ["run"], env],
      ["run: both --org and --all", ["run", "--org", orgId, "--all"], env],
      ["run: an --org that is no id", ["run", "--org", "club"], env],
      ["run: an unknown organisation", ["run", "--org", UNKNOWN_ID], env],
      ["run: an unknown flag", ["run", "--all", "--fast"], env],
      ["run: a value for a switch", ["run", "--all", "--wait=yes"], env],
      ["classify: an unknown classifier", ["classify", "--classifier", "gpt", "--file", wrongShape]],
      ["classify: a missing file", ["classify", "--file", missing]],
      ["classify: a folder for a file", ["classify", "--file", folder]],
      ["classify: a file that is not JSON", ["classify", "--file", badJson]],
      ["classify: a JSON object, not an array", ["classify", "--file", notArray]],
      ["classify: members of the wrong shape", ["classify", "--file", wrongShape]],
      ["classify: a binary file", ["classify", "--file", binary]],
      ["classify: empty input (stdin)", ["classify"]],
      ["classify: anthropic without a key", ["classify", "--classifier", "anthropic", "--file", wrongShape], { ANTHROPIC_API_KEY: "" }],
      ["classify: an unknown flag", ["classify", "--verbose"]],
      ["token: no secret", ["token", "--user", "u", "--role", "operator"], { API_JWT_SECRET: "" }],
      ["token: a secret too short", ["token", "--user", "u", "--role", "operator"], { API_JWT_SECRET: "short" }],
      ["token: no flags", ["token"], withSecret],
      ["token: an unknown role", ["token", "--user", "u", "--org", orgId, "--role", "king"], withSecret],
      ["token: an admin without --org", ["token", "--user", "u", "--role", "admin"], withSecret],
      ["token: a lifetime too long", ["token", "--user", "u", "--role", "operator", "--ttl", "90d"], withSecret],
      ["token: a lifetime in years", ["token", "--user", "u", "--role", "operator", "--ttl", "1y"], withSecret],
      ["token: an unknown flag", ["token", "--user", "u", "--role", "operator", "--scope", "all"], withSecret],
      ["org: no subcommand", ["org"], env],
      ["org: an unknown subcommand", ["org", "delete"], env],
      ["org create: no flags", ["org", "create"], env],
      ["org create: a bad email", ["org", "create", "--name", "Club", "--admin-email", "nobody", "--admin-name", "A"], env],
      [
        "org create: a bad slug",
        ["org", "create", "--name", "Club", "--slug", "Not A Slug", "--admin-email", "a@b.test", "--admin-name", "A"],
        env,
      ],
      ["org create: an unknown flag", ["org", "create", "--name", "Club", "--owner", "x"], env],
      ["import: no flags", ["import"], env],
      ["import: an --org that is no id", ["import", "--org", "club", "--members", badHeader], env],
      ["import: no file", ["import", "--org", orgId], env],
      ["import: a missing file", ["import", "--org", orgId, "--members", missing], env],
      ["import: a folder for a file", ["import", "--org", orgId, "--events", folder], env],
      ["import: an unknown organisation", ["import", "--org", UNKNOWN_ID, "--members", badHeader], env],
      ["import: a file without the expected columns", ["import", "--org", orgId, "--members", badHeader], env],
      ["import: a binary file", ["import", "--org", orgId, "--attendance", binary], env],
      ["import: an empty file", ["import", "--org", orgId, "--events", emptyCsv], env],
      ["import: an unknown flag", ["import", "--org", orgId, "--members", badRow, "--force"], env],
      ["key: no subcommand", ["key"], env],
      ["key: an unknown subcommand", ["key", "rotate", "--org", orgId], env],
      ["key create: an --org that is no id", ["key", "create", "--org", "club", "--name", "n"], env],
      ["key create: no --name", ["key", "create", "--org", orgId], env],
      ["key create: an unknown scope", ["key", "create", "--org", orgId, "--name", "n", "--scope", "admin"], env],
      ["key create: an unknown organisation", ["key", "create", "--org", UNKNOWN_ID, "--name", "n"], env],
      ["key revoke: a --key that is no id", ["key", "revoke", "--org", orgId, "--key", "k"], env],
      ["key list: an unknown flag", ["key", "list", "--org", orgId, "--all"], env],
      ["erase: no flags", ["erase"], env],
      ["erase: a --user that is no id", ["erase", "--user", "someone"], env],
      ["erase: a bad email", ["erase", "--email", "someone"], env],
      ["erase: both --user and --email", ["erase", "--user", UNKNOWN_ID, "--email", "a@b.test"], env],
      ["erase: --email with --org", ["erase", "--email", "a@b.test", "--org", orgId], env],
      ["erase: an unknown flag", ["erase", "--user", UNKNOWN_ID, "--yes"], env],
      ["erase list: an --org that is no id", ["erase", "list", "--org", "club"], env],
      ["erase lift: no --id", ["erase", "lift"], env],
      ["erase lift: an --id that is no id", ["erase", "lift", "--id", "e1"], env],
    ];
    results = await runDriver(
      table.map(([, args, extra]) => ({ args, env: extra ?? {} })),
      dir,
    );
  }, CLI_TIMEOUT_MS);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  });

  it("exits with 2 and a message, never a stack trace, for every case", () => {
    expect(results).toHaveLength(table.length);
    const wrong = results.flatMap((r, i) => {
      const [what] = table[i]!;
      const firstLine = r.stderr.split("\n")[0] ?? "";
      const problems = [
        r.code !== 2 && `exit ${r.code}`,
        firstLine.trim().length === 0 && "no message on the first line of stderr",
        firstLine.length > 200 && "a first line longer than 200 characters",
        STACK_TRACE.test(r.stderr) && "a stack trace",
        r.stdout.length > 0 && "output on stdout",
        r.escaped.length > 0 && `an error escaped: ${r.escaped[0]}`,
      ].filter(Boolean);
      return problems.length ? [`${what} (${r.args.join(" ")}): ${problems.join(", ")}\n${r.stderr}`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it("the check itself sees a stack trace and a message-less answer", () => {
    const trace = "TypeError: x is not a function\n    at main (/app/packages/cli/src/cli.ts:12:3)";
    expect(STACK_TRACE.test(trace)).toBe(true);
    expect(STACK_TRACE.test("    at file:///app/packages/cli/src/cli.ts:12:3")).toBe(true);
    expect(STACK_TRACE.test("run: give exactly one of --org <id> or --all")).toBe(false);
  });
});
