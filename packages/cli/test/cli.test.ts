// The real command line, spawned as a user runs it (tsx packages/cli/src/main.ts ... from the repository root):
// exit codes, stdout/stderr contracts, and `seed` against a real PostgreSQL database.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@engagement/db/testing";
import { classifyWithRules, type EngagementSignals } from "@engagement/engagement";
import { buildSignals, SIGNALS_BY_LEVEL } from "@engagement/engagement/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CLI_TIMEOUT_MS, cli } from "./run-cli.ts";

// One member per case the rules decide differently: a new joiner, one who stopped coming, a steady regular.
const newMember = SIGNALS_BY_LEVEL.new;
const inactiveMember = SIGNALS_BY_LEVEL.inactive;
const regularMember = buildSignals();
const batch = [newMember, inactiveMember, regularMember];

const rulesRow = (s: EngagementSignals) => {
  const { level, source, adminExplanation, memberExplanation } = classifyWithRules(s);
  return { level, source, adminExplanation, memberExplanation };
};

describe("engagement classify", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "cli-classify-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    "classifies a JSON array from stdin: same length and order, four fields per member",
    async () => {
      const out = await cli(["classify", "--classifier", "rules"], { stdin: JSON.stringify(batch) });

      expect(out.code).toBe(0);
      const rows = JSON.parse(out.stdout) as Record<string, unknown>[];
      expect(rows.map((r) => r.level)).toEqual(["new", "inactive", "moderate"]);
      for (const row of rows) expect(Object.keys(row)).toEqual(["level", "source", "adminExplanation", "memberExplanation"]);
      expect(rows).toEqual(batch.map(rulesRow));
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "reads --file instead of stdin, and prints every row of a large batch",
    async () => {
      const large = Array.from({ length: 1500 }, (_, i) => [newMember, inactiveMember, regularMember][i % 3] as EngagementSignals);
      const file = join(dir, "large.json");
      writeFileSync(file, JSON.stringify(large));

      const out = await cli(["classify", "--classifier", "rules", "--file", file], { stdin: "this is not read" });

      expect(out.code).toBe(0);
      const rows = JSON.parse(out.stdout) as { level: string }[];
      expect(rows).toHaveLength(large.length);
      expect(rows.slice(0, 6).map((r) => r.level)).toEqual(["new", "inactive", "moderate", "new", "inactive", "moderate"]);
      expect(rows.at(-1)?.level).toBe("moderate");
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "rejects a wrongly typed field with exit 2, naming its index and field, and prints nothing on stdout",
    async () => {
      const bad = [regularMember, { ...regularMember, attended90: "x" }, newMember];
      const out = await cli(["classify", "--classifier", "rules"], { stdin: JSON.stringify(bad) });

      expect(out.code).toBe(2);
      expect(out.stdout).toBe("");
      expect(out.stderr).toContain("input[1].attended90");
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "rejects input that is not JSON with exit 2",
    async () => {
      const out = await cli(["classify", "--classifier", "rules"], { stdin: "[{tenureDays: 3" });

      expect(out.code).toBe(2);
      expect(out.stdout).toBe("");
      expect(out.stderr).toContain("input is not valid JSON");
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "a --file that does not exist is a usage error (exit 2), not a crash",
    async () => {
      const out = await cli(["classify", "--classifier", "rules", "--file", join(dir, "missing.json")]);

      expect(out.code).toBe(2);
      expect(out.stderr).toContain("cannot read --file");
      expect(out.stderr).toContain("missing.json");
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "an unknown classifier is a usage error",
    async () => {
      const out = await cli(["classify", "--classifier", "gpt"], { stdin: "[]" });

      expect(out.code).toBe(2);
      expect(out.stderr).toContain('--classifier must be rules or anthropic (got "gpt")');
    },
    CLI_TIMEOUT_MS,
  );
});

describe("engagement <unknown>", () => {
  it(
    "exits 2 and prints the usage",
    async () => {
      const out = await cli(["frobnicate"]);

      expect(out.code).toBe(2);
      expect(out.stderr).toContain('unknown command "frobnicate"');
      expect(out.stderr).toContain("usage: pnpm engagement <command>");
    },
    CLI_TIMEOUT_MS,
  );
});

describe("engagement seed", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("cli_seed");
  });
  afterAll(async () => t.drop());

  const seed = () => cli(["seed", "--orgs", "2", "--members", "20", "--seed", "5"], { env: { DATABASE_URL: t.url } });

  /** What a seed produced, in an order that does not depend on insertion. */
  async function snapshot() {
    const users = await t.db.user.findMany({ select: { email: true }, orderBy: { email: "asc" } });
    const orgs = await t.db.organization.findMany({ select: { slug: true, id: true }, orderBy: { slug: "asc" } });
    const registrations = await Promise.all(
      orgs.map(async (o) => ({ slug: o.slug, count: await t.db.registration.count({ where: { event: { orgId: o.id } } }) })),
    );
    return { emails: users.map((u) => u.email), registrations };
  }

  it(
    "creates 2 organisations with 20 members each, and the same data again for the same seed",
    async () => {
      const first = await seed();
      expect(first.code).toBe(0);
      expect(await t.db.organization.count()).toBe(2);
      expect(await t.db.membership.count()).toBe(40);
      expect(await t.db.membership.count({ where: { status: "active" } })).toBe(40);
      const before = await snapshot();
      expect(before.emails).toHaveLength(40);
      expect(before.registrations.every((r) => r.count > 0)).toBe(true);

      // Seeding replaces what is there, so a second run leaves the same counts, not double.
      const second = await seed();
      expect(second.code).toBe(0);
      expect(await t.db.organization.count()).toBe(2);
      expect(await t.db.membership.count()).toBe(40);
      expect(await snapshot()).toEqual(before);
    },
    3 * CLI_TIMEOUT_MS,
  );

  it(
    "rejects a non-numeric --orgs with exit 2 and leaves the data alone",
    async () => {
      const orgsBefore = await t.db.organization.count();
      const out = await cli(["seed", "--orgs", "many"], { env: { DATABASE_URL: t.url } });

      expect(out.code).toBe(2);
      expect(out.stderr).toContain("--orgs must be a positive whole number");
      expect(await t.db.organization.count()).toBe(orgsBefore);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "names DATABASE_URL when it is not a PostgreSQL URL",
    async () => {
      const out = await cli(["seed"], { env: { DATABASE_URL: "mysql://x" } });

      expect(out.code).toBe(2);
      expect(out.stderr).toContain("DATABASE_URL");
    },
    CLI_TIMEOUT_MS,
  );
});
