export * from "./catalog.ts";
export * from "./connection.ts";
export * from "./producers.ts";
export * from "./queues.ts";
export * from "./request-budget.ts";
