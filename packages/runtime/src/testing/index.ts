export * from "./app-process.ts";
export { TEST_REDIS_URL } from "./env.ts";
export { envErrorOf } from "./env-error.ts";
