// `pnpm engagement run` against a real worker process: manual runs go through the queues, --wait --json prints
// the summary of each run, and bad arguments change nothing.
import { randomBytes } from "node:crypto";
import { generateSeed, insertSeedOrg } from "@engagement/db";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { type AppProcess, startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CLI_TIMEOUT_MS, cli } from "./run-cli.ts";

describe("engagement run", () => {
  let t: TestDatabase;
  let worker: AppProcess;
  let env: Record<string, string>;
  let orgIds: string[];

  beforeAll(async () => {
    t = await createTestDatabase("clirun");
    orgIds = [];
    for (const org of generateSeed({ orgs: 2, members: 30, seed: 3, now: new Date() })) {
      await insertSeedOrg(t.db, org);
      orgIds.push(org.org.id);
    }
    env = {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: `{test-clirun-${randomBytes(4).toString("hex")}}`,
      ENGAGEMENT_CLASSIFIER: "rules",
    };
    worker = startApp("worker", { ...env, LOG_LEVEL: "warn" });
  });
  afterAll(async () => {
    await worker.stop("SIGTERM");
    await t.drop();
  });

  it(
    "--all --wait --json runs every organisation and prints each run's summary",
    async () => {
      const out = await cli(["run", "--all", "--wait", "--json"], { env });
      expect(out.code).toBe(0);
      const summaries = JSON.parse(out.stdout) as { orgId: string; status: string; members: number; levels: Record<string, number> }[];
      expect(summaries.map((s) => s.orgId).sort()).toEqual([...orgIds].sort());
      for (const s of summaries) {
        expect(s.status).toBe("completed");
        expect(s.members).toBe(30);
        expect(Object.values(s.levels).reduce((a, b) => a + b, 0)).toBe(30);
      }
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "--org --wait prints a table; a second run within 24 hours carries results, --force recomputes",
    async () => {
      const carried = await cli(["run", "--org", orgIds[0] as string, "--wait"], { env });
      expect(carried.code).toBe(0);
      expect(carried.stdout).toMatch(/organisation\s+status\s+members/);
      expect(carried.stdout).toMatch(/0\/0\/0\/30/); // rules/llm/fallback/carried
      const forced = await cli(["run", "--org", orgIds[0] as string, "--force", "--wait"], { env });
      expect(forced.stdout).toMatch(/30\/0\/0\/0/);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "refuses an unknown organisation or a missing target with exit 2, enqueuing nothing",
    async () => {
      const before = await t.db.engagementRun.count();
      const unknown = await cli(["run", "--org", "7d9f3b52-0000-4000-8000-000000000000"], { env });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("no organisation with id");
      const neither = await cli(["run"], { env });
      expect(neither.code).toBe(2);
      expect(neither.stderr).toContain("--org <id> or --all");
      expect(await t.db.engagementRun.count()).toBe(before);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "names a malformed --org as such, and reports a database it cannot reach instead of 'no organisation'",
    async () => {
      const malformed = await cli(["run", "--org", "not-an-id"], { env });
      expect(malformed.code).toBe(2);
      expect(malformed.stderr).toContain('--org must be an organisation id (a UUID), got "not-an-id"');
      // Nothing listens on port 1: the database is unreachable, which is not the caller's mistake.
      const down = await cli(["run", "--org", "7d9f3b52-0000-4000-8000-000000000000"], {
        env: { ...env, DATABASE_URL: "postgresql://postgres@127.0.0.1:1/engagement" },
      });
      expect(down.code).not.toBe(0);
      expect(down.code).not.toBe(2);
      expect(down.stderr).not.toContain("no organisation with id");
    },
    CLI_TIMEOUT_MS,
  );
});
