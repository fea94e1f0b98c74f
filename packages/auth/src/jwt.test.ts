import { describe, expect, it } from "@jest/globals";
import { SignJWT, UnsecuredJWT } from "jose";
import { InvalidTokenError, signToken, verifyToken } from "./jwt.ts";

const SECRET = "a-test-secret-that-is-at-least-32-characters";
const ORG = "6f1c1c1e-8f0a-4d6e-9a55-2a7cf1f1a001";
const USER = "6f1c1c1e-8f0a-4d6e-9a55-2a7cf1f1a002";

describe("bearer tokens", () => {
  it("round-trips the claims sub, org, role and exp", async () => {
    const now = new Date();
    const token = await signToken(SECRET, { sub: USER, org: ORG, role: "admin" }, 3600, now);
    const claims = await verifyToken(SECRET, token);
    const iat = Math.floor(now.getTime() / 1000);
    expect(claims).toEqual({ sub: USER, org: ORG, role: "admin", iat, exp: iat + 3600 });
  });

  it("refuses an expired token, naming the reason", async () => {
    const token = await signToken(SECRET, { sub: USER, org: ORG, role: "member" }, 60, new Date(Date.now() - 3600_000));
    await expect(verifyToken(SECRET, token)).rejects.toThrow(new InvalidTokenError("token expired"));
  });

  it("refuses a token signed with another secret", async () => {
    const token = await signToken(`${SECRET}-other`, { sub: USER, org: ORG, role: "admin" }, 60);
    await expect(verifyToken(SECRET, token)).rejects.toThrow("invalid token");
  });

  it('refuses an unsigned ("alg: none") token and another algorithm', async () => {
    const unsigned = new UnsecuredJWT({ org: ORG, role: "admin" }).setSubject(USER).setExpirationTime("1h").encode();
    await expect(verifyToken(SECRET, unsigned)).rejects.toThrow(InvalidTokenError);
    const hs512 = await new SignJWT({ org: ORG, role: "admin" })
      .setProtectedHeader({ alg: "HS512" })
      .setSubject(USER)
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(SECRET));
    await expect(verifyToken(SECRET, hs512)).rejects.toThrow(InvalidTokenError);
  });

  it("refuses a token without exp, and admin or member tokens without org", async () => {
    const key = new TextEncoder().encode(SECRET);
    const noExp = await new SignJWT({ org: ORG, role: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject(USER).sign(key);
    await expect(verifyToken(SECRET, noExp)).rejects.toThrow(InvalidTokenError);
    const noOrg = await new SignJWT({ role: "member" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(USER)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
    await expect(verifyToken(SECRET, noOrg)).rejects.toThrow("token claims are incomplete");
    const badRole = await new SignJWT({ org: ORG, role: "root" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(USER)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(key);
    await expect(verifyToken(SECRET, badRole)).rejects.toThrow("token claims are incomplete");
  });

  const signRaw = (claims: { iat?: number; exp: number }) => {
    const jwt = new SignJWT({ org: ORG, role: "admin" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(USER)
      .setExpirationTime(claims.exp);
    if (claims.iat !== undefined) jwt.setIssuedAt(claims.iat);
    return jwt.sign(new TextEncoder().encode(SECRET));
  };
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it("refuses a token whose lifetime (exp - iat) exceeds the maximum, 30 days by default", async () => {
    const iat = nowSeconds();
    const tenYears = await signRaw({ iat, exp: iat + 10 * 365 * 86_400 });
    await expect(verifyToken(SECRET, tenYears)).rejects.toThrow(new InvalidTokenError("token lifetime exceeds 30 days"));
    const thirtyDays = await signRaw({ iat, exp: iat + 30 * 86_400 });
    expect(await verifyToken(SECRET, thirtyDays)).toMatchObject({ sub: USER });
    await expect(verifyToken(SECRET, thirtyDays, { maxLifetimeSeconds: 86_400 })).rejects.toThrow("token lifetime exceeds 1 day");
  });

  it("refuses a token without iat, and one issued in the future (which would stretch its lifetime)", async () => {
    await expect(verifyToken(SECRET, await signRaw({ exp: nowSeconds() + 60 }))).rejects.toThrow(InvalidTokenError);
    const later = nowSeconds() + 5 * 365 * 86_400;
    await expect(verifyToken(SECRET, await signRaw({ iat: later, exp: later + 3600 }))).rejects.toThrow("token issued in the future");
  });

  it("lets operators go without org and with a non-UUID subject", async () => {
    const token = await signToken(SECRET, { sub: "ops-oncall", role: "operator" }, 60);
    expect(await verifyToken(SECRET, token)).toMatchObject({ sub: "ops-oncall", role: "operator" });
  });
});
