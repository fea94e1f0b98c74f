// `engagement key create | list | revoke`, run as a user runs it.
import { buildOrg, createTestDatabase, type TestDatabase } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { CLI_TIMEOUT_MS, cli } from "./run-cli.ts";

describe("engagement key", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("cli_key");
  });
  afterAll(async () => t.drop());

  it(
    "creates a key (the secret on stdout, once), lists it without the secret, and revokes it",
    async () => {
      const env = { DATABASE_URL: t.url };
      const org = await buildOrg(t.db);
      const created = await cli(["key", "create", "--org", org.id, "--name", "CRM sync", "--scope", "import", "--scope", "read"], { env });
      expect(created.code).toBe(0);
      const secret = created.stdout.trim();
      expect(secret).toMatch(/^eng_[0-9a-f]{8}_/);
      const row = await t.db.apiKey.findFirstOrThrow({ where: { orgId: org.id } });
      expect(row.scopes).toEqual(["import", "read"]);

      const list = await cli(["key", "list", "--org", org.id], { env });
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(row.prefix);
      expect(list.stdout).toContain("CRM sync");
      expect(list.stdout).not.toContain(secret);

      const revoked = await cli(["key", "revoke", "--org", org.id, "--key", row.id], { env });
      expect(revoked.code).toBe(0);
      expect((await t.db.apiKey.findUniqueOrThrow({ where: { id: row.id } })).revokedAt).toBeInstanceOf(Date);
      expect((await t.db.apiKeyAudit.findMany({ where: { keyId: row.id } })).map((a) => a.action).sort()).toEqual(["created", "revoked"]);
    },
    CLI_TIMEOUT_MS,
  );

  it(
    "refuses bad arguments with exit 2 and an unknown key with exit 1",
    async () => {
      const env = { DATABASE_URL: t.url };
      const org = await buildOrg(t.db);
      expect((await cli(["key", "create", "--org", "nope", "--name", "x"], { env })).code).toBe(2);
      const noName = await cli(["key", "create", "--org", org.id], { env });
      expect(noName.code).toBe(2);
      expect(noName.stderr).toContain("--name is required");
      expect((await cli(["key", "create", "--org", org.id, "--name", "x", "--scope", "admin"], { env })).code).toBe(2);
      const unknown = await cli(["key", "revoke", "--org", org.id, "--key", "7d9f3b52-0000-4000-8000-000000000000"], { env });
      expect(unknown.code).toBe(1);
      expect(await t.db.apiKey.count({ where: { orgId: org.id } })).toBe(0);
    },
    CLI_TIMEOUT_MS,
  );
});
