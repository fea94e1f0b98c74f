export * from "./catalog.ts";
export * from "./connection.ts";
export * from "./connection-errors.ts";
export * from "./queues.ts";
export * from "./request-budget.ts";
export * from "./schedule-time.ts";
