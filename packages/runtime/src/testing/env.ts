// App processes started by tests inherit the test's environment (database and Redis URLs, NODE_OPTIONS...).
export const inheritedEnv = (): Record<string, string | undefined> => ({ ...process.env });
/** The Redis server tests use; every test file takes a queue prefix of its own on it. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
