export * from "./generate.ts";
export * from "./insert.ts";
export { createRandom } from "./random.ts";
export * from "./synthetic-org.ts";
