export * from "./catalog.ts";
export * from "./connection.ts";
export * from "./queues.ts";
export * from "./producers.ts";
