export * from "./erase-person.ts";
export * from "./start-org-run.ts";
