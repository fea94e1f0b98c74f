export * from "./app-process.ts";
export * from "./env-schema.ts";
export * from "./logger.ts";
export * from "./redact.ts";
export * from "./shutdown.ts";
