// `pnpm db:migrate` applies pending migrations; `pnpm db:migration:create <name>` writes schema.prisma's
// difference from the committed migrations into a new prisma/migrations/<timestamp>_<name>/migration.sql.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureDatabase } from "../src/database.ts";
import { databaseUrlFromEnv } from "../src/env.ts";
import { applyMigrations, diffMigrationsToSchema, MIGRATIONS_DIR } from "../src/migrations.ts";

const [command, name] = process.argv.slice(2);
const url = databaseUrlFromEnv();

if (command === "deploy") {
  await ensureDatabase(url);
  const applied = await applyMigrations(url);
  console.log(
    applied.length ? `Applied ${applied.length} migration(s): ${applied.join(", ")}` : "Database is up to date: no pending migrations.",
  );
} else if (command === "create") {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    console.error("Usage: pnpm db:migration:create <name>   (name: lower-case letters, digits and _)");
    process.exit(2);
  }
  await ensureDatabase(url);
  const sql = await diffMigrationsToSchema(url);
  if (!sql) {
    console.log("schema.prisma and prisma/migrations agree: no migration created.");
  } else {
    const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
    const dir = join(MIGRATIONS_DIR, `${stamp}_${name}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "migration.sql"), sql);
    console.log(`Created ${dir}/migration.sql`);
  }
} else {
  console.error("Usage: tsx scripts/migrate.ts deploy | create <name>");
  process.exit(2);
}
// The WebAssembly engine leaves a timer behind that would hold the process for ~10 s.
process.exit(0);
