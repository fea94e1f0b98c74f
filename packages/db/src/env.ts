// The data package's own scripts (migrate, seed) read DATABASE_URL here; apps pass URLs from their env modules.

import { DEFAULT_DATABASE_URL } from "@engagement/runtime";
import { z } from "zod";

export { DEFAULT_DATABASE_URL };

export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = z.url({ protocol: /^postgres(ql)?$/ }).safeParse(env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  if (!parsed.success) {
    throw new Error(`DATABASE_URL must be a postgresql:// URL (got "${env.DATABASE_URL}")`);
  }
  return parsed.data;
}
