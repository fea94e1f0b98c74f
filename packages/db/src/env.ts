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

/** At least this long: an HMAC key a person could guess would let anyone test emails against the tombstones. */
export const ERASURE_KEY_MIN_LENGTH = 32;

/**
 * The erasure tombstones' HMAC key from ERASURE_KEY, or null when it is not set (the data package then uses a key
 * kept in the database, see repositories/erasures.ts). Apps may call it at start to fail fast on a bad value.
 */
export function erasureKeyFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env.ERASURE_KEY;
  if (value === undefined || value === "") return null;
  if (value.length < ERASURE_KEY_MIN_LENGTH) {
    throw new Error(`ERASURE_KEY must be at least ${ERASURE_KEY_MIN_LENGTH} characters (got ${value.length})`);
  }
  return value;
}
