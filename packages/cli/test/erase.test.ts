// `engagement erase`, `erase list` and `erase lift`, run as an operator runs them.
import { randomBytes } from "node:crypto";
import { findTombstonedRows } from "@engagement/db";
import { buildMember, buildMembership, buildOrg, createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CLI_TIMEOUT_MS, cli } from "./run-cli.ts";

describe("engagement erase", () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase("cli_erase");
    env = { DATABASE_URL: t.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: `{test-cli-erase-${randomBytes(4).toString("hex")}}` };
  });
  afterAll(async () => t.drop());

  it(
    "erases a person by email, lists the erasure without personal data, and lifts it",
    async () => {
      const org = await buildOrg(t.db);
      const { user } = await buildMember(t.db, org.id, { name: "Ulla Terminal" });
      const erased = await cli(["erase", "--email", user.email.toUpperCase()], { env });
      expect(erased.code).toBe(0);
      const erasureId = erased.stdout.trim();
      expect(erasureId).toMatch(/^[0-9a-f-]{36}$/);
      expect(erased.stderr).toContain("erased everywhere: users 1, memberships 1");
      expect(await t.db.user.count({ where: { id: user.id } })).toBe(0);
      expect(await findTombstonedRows(t.db, org.id, [{ email: user.email }])).toEqual([{ index: 0, kind: "email" }]);

      const list = await cli(["erase", "list"], { env });
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(erasureId);
      expect(list.stdout).not.toContain("Ulla");
      expect(list.stdout).not.toContain(user.email);

      const lifted = await cli(["erase", "lift", "--id", erasureId], { env });
      expect(lifted.code).toBe(0);
      expect(await findTombstonedRows(t.db, org.id, [{ email: user.email }])).toEqual([]);
      expect((await cli(["erase", "lift", "--id", erasureId], { env })).stderr).toContain("already lifted");
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "erases from one organisation only a person who belongs to no other (exit 1 otherwise); usage errors exit 2",
    async () => {
      const org = await buildOrg(t.db);
      const other = await buildOrg(t.db);
      const { user } = await buildMember(t.db, org.id);
      await buildMembership(t.db, { orgId: other.id, userId: user.id });
      const refused = await cli(["erase", "--user", user.id, "--org", org.id], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain("an operator can erase a person who belongs to several organisations");
      expect(refused.stderr).not.toContain("    at ");
      expect(await t.db.membership.count({ where: { userId: user.id } })).toBe(2);
      const unknown = await cli(["erase", "--user", "0d8a9e4e-0000-4000-8000-000000000001"], { env });
      expect(unknown.code).toBe(1);
      expect((await cli(["erase", "--email", "nobody@example.org"], { env })).code).toBe(1);
      expect((await cli(["erase"], { env })).code).toBe(2);
      expect((await cli(["erase", "--user", "nope"], { env })).code).toBe(2);
      expect((await cli(["erase", "--user", user.id, "--email", user.email], { env })).code).toBe(2);
      expect((await cli(["erase", "lift"], { env })).code).toBe(2);
      expect((await cli(["erase", "lift", "--id", "0d8a9e4e-0000-4000-8000-000000000002"], { env })).code).toBe(1);
    },
    CLI_TIMEOUT_MS * 2,
  );
});
