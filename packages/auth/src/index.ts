export * from "./ids.ts";
export * from "./jwt.ts";
export * from "./token-command.ts";
