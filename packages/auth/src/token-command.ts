// `pnpm engagement token --user U --org O --role R [--ttl 1h]`: prints a bearer token for local use.
// A pure function of its arguments, the secret and the clock, so the CLI entry only wires argv, env and stdout.
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, ROLES, type Role, signToken } from "./jwt.ts";

export const TOKEN_USAGE = "usage: engagement token --user <userId> --org <orgId> --role admin|member|operator [--ttl 1h]";

export class TokenCommandError extends Error {
  override name = "TokenCommandError";
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
/** Longest allowed lifetime: a leaked local token should not stay useful for long (the API's default cap too). */
export const MAX_TTL_SECONDS = DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;

/** "90s", "15m", "1h", "7d" → seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim());
  if (!match) throw new TokenCommandError(`--ttl must look like 30m, 1h or 7d (got "${text}")`);
  const seconds = Number(match[1]) * (UNIT_SECONDS[match[2] as string] ?? 0);
  if (seconds <= 0 || seconds > MAX_TTL_SECONDS) throw new TokenCommandError(`--ttl must be between 1s and 30d (got "${text}")`);
  return seconds;
}

export interface TokenCommandResult {
  token: string;
  expiresAt: Date;
}

/** Parses the arguments after `token` and signs the token; throws TokenCommandError with a usage message. */
export async function runTokenCommand(
  argv: string[],
  env: { API_JWT_SECRET?: string | undefined },
  now: Date = new Date(),
): Promise<TokenCommandResult> {
  let values: { user?: string | undefined; org?: string | undefined; role?: string | undefined; ttl?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { user: { type: "string" }, org: { type: "string" }, role: { type: "string" }, ttl: { type: "string" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new TokenCommandError(`${(err as Error).message}\n${TOKEN_USAGE}`);
  }
  const secret = env.API_JWT_SECRET;
  if (!secret || secret.length < 32)
    throw new TokenCommandError("API_JWT_SECRET must be set (at least 32 characters), the same as the API's");
  if (!values.user) throw new TokenCommandError(`--user is required\n${TOKEN_USAGE}`);
  if (!values.role || !(ROLES as readonly string[]).includes(values.role)) {
    throw new TokenCommandError(`--role must be one of ${ROLES.join(", ")}\n${TOKEN_USAGE}`);
  }
  const role = values.role as Role;
  if (role !== "operator" && !values.org) throw new TokenCommandError(`--org is required for ${role} tokens\n${TOKEN_USAGE}`);
  const ttl = parseTtl(values.ttl ?? "1h");
  try {
    const token = await signToken(secret, { sub: values.user, org: values.org, role }, ttl, now);
    return { token, expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + ttl * 1000) };
  } catch (err) {
    // Claims validation: a user or org that is not a UUID.
    const detail = err instanceof z.ZodError ? z.prettifyError(err) : (err as Error).message;
    throw new TokenCommandError(`invalid token claims: ${detail}\n${TOKEN_USAGE}`);
  }
}
