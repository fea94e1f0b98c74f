export * from "./levels.ts";
export * from "./signals.ts";
