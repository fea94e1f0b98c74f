// Bearer tokens: JWT, HS256 only, shared secret API_JWT_SECRET. Claims: sub (user id), org (org id; absent
// only for operators, who are staff rather than members), role, iat, exp. Verification pins the algorithm so a
// token signed "none" or with another algorithm is refused, and requires iat and exp with a bounded lifetime
// (exp - iat, 30 days by default like the token command's own cap): a token minted by a script with a
// ten-year exp would otherwise be a credential that never needs renewing.
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { canonicalId, Id } from "./ids.ts";

export const ROLES = ["admin", "member", "operator"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const Claims = z
  .object({
    // Ids in one spelling: a claim in upper case names the same organisation and user as the lower-case path.
    sub: z.string().min(1).overwrite(canonicalId),
    org: Id().optional(),
    role: Role,
    iat: z.number().int(),
    exp: z.number().int(),
  })
  .refine((c) => c.role === "operator" || c.org !== undefined, { message: "admin and member tokens need an org claim", path: ["org"] })
  .refine((c) => c.role === "operator" || z.uuid().safeParse(c.sub).success, { message: "sub must be a user id", path: ["sub"] });
export type Claims = z.infer<typeof Claims>;

const key = (secret: string) => new TextEncoder().encode(secret);

export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}

export async function signToken(
  secret: string,
  claims: { sub: string; org?: string | undefined; role: Role },
  ttlSeconds: number,
  now: Date = new Date(),
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const payload = Claims.parse({ ...claims, iat, exp: iat + ttlSeconds });
  const { sub, exp, iat: _iat, ...rest } = payload;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key(secret));
}

/** Longest lifetime (exp - iat) a token may have unless the API is configured otherwise. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 30 * 86_400;
/** Clock skew tolerated between the signer and the API for iat. */
const CLOCK_SKEW_SECONDS = 60;

export interface VerifyOptions {
  maxLifetimeSeconds?: number;
  now?: Date;
}

function describeSeconds(seconds: number): string {
  const days = seconds / 86_400;
  return Number.isInteger(days) ? `${days} day${days === 1 ? "" : "s"}` : `${seconds} seconds`;
}

/** The token's claims, or InvalidTokenError with a reason safe to show the caller. */
export async function verifyToken(secret: string, token: string, options: VerifyOptions = {}): Promise<Claims> {
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key(secret), {
      algorithms: ["HS256"],
      requiredClaims: ["exp", "sub", "iat"],
      currentDate: new Date(now * 1000),
    }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError("token expired");
    throw new InvalidTokenError("invalid token");
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw new InvalidTokenError("token claims are incomplete");
  if (claims.data.iat > now + CLOCK_SKEW_SECONDS) throw new InvalidTokenError("token issued in the future");
  if (claims.data.exp - claims.data.iat > maxLifetime)
    throw new InvalidTokenError(`token lifetime exceeds ${describeSeconds(maxLifetime)}`);
  return claims.data;
}
