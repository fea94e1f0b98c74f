// Tokens an attacker or a broken client would send: unsigned, signed with another algorithm or secret, expired,
// not yet valid, with claims missing. Each is otherwise a well-formed admin token of `org` for `sub`, so that a
// route accepting it could only be because of the defect the token carries.
import { createHmac } from "node:crypto";
import { SignJWT, UnsecuredJWT } from "jose";
import { TEST_JWT_SECRET } from "./harness.ts";

const key = (secret: string) => new TextEncoder().encode(secret);
const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** header.payload signed with HMAC-SHA256 of `secret`, whatever the header claims the algorithm is. */
function hmacSigned(header: object, payload: object, secret = TEST_JWT_SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

export async function forgedTokens(claims: { sub: string; org: string; role?: string }) {
  const role = claims.role ?? "admin";
  const iat = now();
  const full = { sub: claims.sub, org: claims.org, role, iat, exp: iat + 3600 };
  const without = (name: keyof typeof full) => {
    const { [name]: _gone, ...rest } = full;
    return rest;
  };
  const hs256 = (payload: object, secret = TEST_JWT_SECRET) => hmacSigned({ alg: "HS256", typ: "JWT" }, payload, secret);
  return {
    "alg none": new UnsecuredJWT({ org: claims.org, role })
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .encode(),
    "alg none, signature kept": `${b64({ alg: "none", typ: "JWT" })}.${b64(full)}.${hs256(full).split(".")[2]}`,
    HS384: await new SignJWT({ org: claims.org, role })
      .setProtectedHeader({ alg: "HS384" })
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key(TEST_JWT_SECRET)),
    HS512: await new SignJWT({ org: claims.org, role })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(claims.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 3600)
      .sign(key(TEST_JWT_SECRET)),
    // Algorithm confusion: an RS256 header over an HMAC made with the secret (a verifier trusting the header with a
    // public key would check this against the wrong key type).
    "RS256 header": hmacSigned({ alg: "RS256", typ: "JWT" }, full),
    "wrong secret": hs256(full, `${TEST_JWT_SECRET}-not-it`),
    "tampered payload": `${hs256(full).split(".")[0]}.${b64({ ...full, role: "operator" })}.${hs256(full).split(".")[2]}`,
    expired: hs256({ ...full, iat: iat - 7200, exp: iat - 3600 }),
    "not yet valid (nbf in an hour)": hs256({ ...full, nbf: iat + 3600 }),
    "issued in the future": hs256({ ...full, iat: iat + 3600, exp: iat + 7200 }),
    "lifetime over 30 days": hs256({ ...full, exp: iat + 31 * 86_400 }),
    "no sub": hs256(without("sub")),
    "no org": hs256(without("org")),
    "no role": hs256(without("role")),
    "no iat": hs256(without("iat")),
    "no exp": hs256(without("exp")),
    "unknown role": hs256({ ...full, role: "root" }),
    "sub not a user id": hs256({ ...full, sub: "admin" }),
    "exp a string": hs256({ ...full, exp: String(full.exp) }),
    "not a JWT": "abc.def",
    "three dots": "a.b.c.d",
    "empty segments": "..",
  } as const;
}
