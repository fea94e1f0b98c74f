// The data package's own scripts (migrate, seed) read DATABASE_URL here; apps pass URLs from their env modules.
import { z } from "zod";

export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/engagement";

export function databaseUrlFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const parsed = z.url({ protocol: /^postgres(ql)?$/ }).safeParse(env.DATABASE_URL ?? DEFAULT_DATABASE_URL);
  if (!parsed.success) {
    throw new Error(`DATABASE_URL must be a postgresql:// URL (got "${env.DATABASE_URL}")`);
  }
  return parsed.data;
}
