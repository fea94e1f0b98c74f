// `engagement org create`, run as a user runs it: the id on stdout, the admin able to sign in, clear usage errors.
import { createTestDatabase, type TestDatabase } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CLI_TIMEOUT_MS, cli } from "./run-cli.ts";

describe("engagement org create", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("cli_org");
  });
  afterAll(async () => t.drop());

  it(
    "creates the organisation with its first admin and prints its id; the same slug again exits 1",
    async () => {
      const env = { DATABASE_URL: t.url };
      const out = await cli(["org", "create", "--name", "Chess Nord", "--admin-email", "Ada@Example.org", "--admin-name", "Ada"], { env });
      expect(out.code).toBe(0);
      const orgId = out.stdout.trim();
      const org = await t.db.organization.findUniqueOrThrow({
        where: { id: orgId },
        include: { memberships: { include: { user: true } } },
      });
      expect(org).toMatchObject({ name: "Chess Nord", slug: "chess-nord" });
      expect(org.memberships.map((m) => [m.role, m.user.email])).toEqual([["admin", "ada@example.org"]]);

      const again = await cli(["org", "create", "--name", "Chess Nord", "--admin-email", "b@example.org", "--admin-name", "B"], { env });
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('the slug "chess-nord" is taken');
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "names what is missing or malformed with exit 2, creating nothing",
    async () => {
      const env = { DATABASE_URL: t.url };
      const before = await t.db.organization.count();
      const missing = await cli(["org", "create", "--name", "X"], { env });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain("--admin-email is required");
      const badEmail = await cli(["org", "create", "--name", "X", "--admin-email", "nope", "--admin-name", "N"], { env });
      expect(badEmail.code).toBe(2);
      expect(badEmail.stderr).toContain("--admin-email is not an email address");
      expect((await cli(["org", "list"], { env })).code).toBe(2);
      expect(await t.db.organization.count()).toBe(before);
    },
    CLI_TIMEOUT_MS,
  );
});
