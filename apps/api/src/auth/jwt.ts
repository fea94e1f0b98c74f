// Bearer tokens: JWT, HS256 only, shared secret API_JWT_SECRET. Claims: sub (user id), org (org id; absent
// only for operators, who are staff rather than members), role, exp. Verification pins the algorithm so a
// token signed "none" or with another algorithm is refused, and requires exp so no token lives forever.
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { z } from "zod";
import { canonicalId, Id } from "../ids.ts";

export const ROLES = ["admin", "member", "operator"] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const Claims = z
  .object({
    sub: z.string().min(1).overwrite(canonicalId),
    org: Id().optional(),
    role: Role,
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
  const payload = Claims.parse({ ...claims, exp: iat + ttlSeconds });
  const { sub, exp, ...rest } = payload;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key(secret));
}

/** The token's claims, or InvalidTokenError with a reason safe to show the caller. */
export async function verifyToken(secret: string, token: string): Promise<Claims> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, key(secret), { algorithms: ["HS256"], requiredClaims: ["exp", "sub"] }));
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) throw new InvalidTokenError("token expired");
    throw new InvalidTokenError("invalid token");
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw new InvalidTokenError("token claims are incomplete");
  return claims.data;
}
