// `pnpm engagement token --user U --org O --role R [--ttl 1h]`: a signed API bearer token for local use
// (JWT, HS256, with the API's secret API_JWT_SECRET; claims sub, org, role, iat, exp).
import { createHmac } from "node:crypto";
import { parseArgs } from "node:util";
import type { CliEnv } from "../env.ts";

const ROLES = ["admin", "member", "operator"] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseTtl(ttl: string): number {
  const m = /^(\d+)(s|m|h|d)$/.exec(ttl);
  if (!m) throw new Error(`--ttl must look like 30m, 1h or 7d (got "${ttl}")`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "s" | "m" | "h" | "d"];
}

export function signToken(
  secret: string,
  claims: { sub: string; org: string; role: string },
  ttlSeconds: number,
  now = Date.now(),
): string {
  const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const iat = Math.floor(now / 1000);
  const unsigned = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ ...claims, iat, exp: iat + ttlSeconds })}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

export async function tokenCommand(env: CliEnv, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { user: { type: "string" }, org: { type: "string" }, role: { type: "string" }, ttl: { type: "string", default: "1h" } },
  });
  const problems: string[] = [];
  if (!values.user || !UUID.test(values.user)) problems.push("--user must be a user id (uuid)");
  if (!values.org || !UUID.test(values.org)) problems.push("--org must be an organisation id (uuid)");
  if (!ROLES.includes(values.role as (typeof ROLES)[number])) problems.push(`--role must be one of ${ROLES.join(", ")}`);
  if (!env.API_JWT_SECRET) problems.push("API_JWT_SECRET must be set (the API's signing secret, at least 32 characters)");
  let ttl = 3600;
  try {
    ttl = parseTtl(values.ttl ?? "1h");
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length) {
    console.error(`token: ${problems.join("; ")}`);
    return 2;
  }
  console.log(
    signToken(env.API_JWT_SECRET as string, { sub: values.user as string, org: values.org as string, role: values.role as string }, ttl),
  );
  return 0;
}
