export * from "./start-org-run.ts";
