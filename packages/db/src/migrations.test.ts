import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { diffMigrationsToSchema, readMigrationsList } from "./migrations.ts";
import { createTestDatabase, type TestDatabase } from "./testing/index.ts";

describe("migrations", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("migrations");
  });
  afterAll(async () => t.drop());

  it("prisma/migrations and schema.prisma agree (no drift)", async () => {
    const sql = await diffMigrationsToSchema(t.url);
    // A non-empty script here means schema.prisma changed without `pnpm db:migration:create <name>`.
    expect(sql).toBe("");
  });

  it("records every committed migration in _prisma_migrations, as prisma migrate deploy does", async () => {
    const { migrationDirectories } = await readMigrationsList();
    const rows = await t.db.$queryRaw<{ migration_name: string; finished_at: Date | null }[]>`
      SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`;
    expect(rows.map((r) => r.migration_name)).toEqual(migrationDirectories.map((d) => d.path));
    expect(rows.every((r) => r.finished_at !== null)).toBe(true);
  });

  it("reads a missing migrations folder as no migrations, and refuses one it cannot read", async () => {
    const base = mkdtempSync(join(tmpdir(), "migrations-"));
    expect((await readMigrationsList(join(base, "absent"))).migrationDirectories).toEqual([]);
    const notAFolder = join(base, "file");
    writeFileSync(notAFolder, "");
    await expect(readMigrationsList(notAFolder)).rejects.toThrow(/cannot read the migrations folder/);
    rmSync(base, { recursive: true, force: true });
  });
});
