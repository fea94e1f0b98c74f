// The CLI's configuration: the only file of the CLI that reads process.env.
import { classifierEnv, commonEnv, parseEnv } from "@engagement/runtime";
import { z } from "zod";

export function loadCliEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv({ ...commonEnv, ...classifierEnv, API_JWT_SECRET: z.string().min(32).optional() }, source);
}

export type CliEnv = ReturnType<typeof loadCliEnv>;

/** The environment handed to the app processes the demo starts. */
export function childEnv(overrides: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...overrides };
}

/** DEBUG set: an unexpected failure prints the whole error, not only its one line. */
export function debugErrors(source: Record<string, string | undefined> = process.env): boolean {
  return Boolean(source.DEBUG);
}
