// App processes started by tests inherit the test's environment (database and Redis URLs, NODE_OPTIONS...).
export const inheritedEnv = (): Record<string, string | undefined> => ({ ...process.env });
