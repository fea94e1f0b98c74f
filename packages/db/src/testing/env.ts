// Tests never touch the demo database: they use databases cloned from a migrated template on this server.
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/engagement_test";
// One Redis for all tests, read in one place (the runtime package's test env).
export { TEST_REDIS_URL } from "@engagement/runtime/testing";
/** Set by the Jest global setup: each test run has its own template, so concurrent runs do not collide. */
export const TEST_TEMPLATE_DB = process.env.ENGAGEMENT_TEST_TEMPLATE ?? "engagement_test_template";
