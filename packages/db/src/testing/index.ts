// Test databases: one migrated template per test run (jest global setup), one clone per test file, so files
// run in parallel without seeing each other's rows. CREATE DATABASE ... TEMPLATE copies files and takes
// milliseconds, far less than migrating each time.
import { randomBytes } from "node:crypto";
import { createDb, type Db } from "../client.ts";
import { dropDatabase, ensureDatabase, withDatabase } from "../database.ts";
import { applyMigrations } from "../migrations.ts";
import { TEST_SERVER_URL, TEST_TEMPLATE_DB } from "./env.ts";

export { TEST_REDIS_URL, TEST_SERVER_URL, TEST_TEMPLATE_DB } from "./env.ts";

/** Builds a template from the committed migrations (so a test run never sees a stale schema). */
export async function prepareTestTemplate(name: string): Promise<void> {
  const url = withDatabase(TEST_SERVER_URL, name);
  await dropDatabase(url);
  await ensureDatabase(url);
  await applyMigrations(url);
}

export async function dropTestTemplate(name: string): Promise<void> {
  await dropDatabase(withDatabase(TEST_SERVER_URL, name));
}

export interface TestDatabase {
  url: string;
  db: Db;
  /** Disconnects and drops the database. */
  drop(): Promise<void>;
}

export async function createTestDatabase(label = "t"): Promise<TestDatabase> {
  const name = `engagement_test_${label.replace(/\W/g, "").slice(0, 20)}_${randomBytes(4).toString("hex")}`;
  const url = withDatabase(TEST_SERVER_URL, name);
  await ensureDatabase(url, TEST_TEMPLATE_DB);
  const db = createDb(url, { maxConnections: 5 });
  return {
    url,
    db,
    async drop() {
      await db.$disconnect();
      await dropDatabase(url);
    },
  };
}
export * from "./connection-killer.ts";
export * from "./factories.ts";
export * from "./personal-data-scan.ts";
