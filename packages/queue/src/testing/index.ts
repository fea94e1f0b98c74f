export * from "./redis-scan.ts";
