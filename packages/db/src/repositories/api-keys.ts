// Org-scoped API keys: created by an admin and shown once, kept as a SHA-256 hash with a visible prefix,
// revocable, each creation and revocation audited. A key looks like `eng_<8 hex>_<32 base64url>`: the prefix
// finds the row, the hash (compared in constant time) proves the rest.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Db } from "../client.ts";

export const API_KEY_SCOPES = ["import", "read"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

const KEY_SHAPE = /^(eng_[0-9a-f]{8})_[A-Za-z0-9_-]{32}$/;

/** Whether a bearer credential has the shape of one of our keys (rather than a JWT). */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith("eng_");
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface ApiKeyInfo {
  id: string;
  orgId: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const INFO = { id: true, orgId: true, name: true, prefix: true, scopes: true, createdAt: true, lastUsedAt: true, revokedAt: true } as const;
const toInfo = (row: { scopes: string[] } & Omit<ApiKeyInfo, "scopes">): ApiKeyInfo => ({ ...row, scopes: row.scopes as ApiKeyScope[] });

/** Creates a key; `key` is the only time the secret exists outside the caller's hands. */
export async function createApiKey(
  db: Db,
  input: { orgId: string; name: string; scopes: ApiKeyScope[]; actorId: string | null },
): Promise<ApiKeyInfo & { key: string }> {
  const prefix = `eng_${randomBytes(4).toString("hex")}`;
  const key = `${prefix}_${randomBytes(24).toString("base64url")}`;
  return db.$transaction(async (tx) => {
    const row = await tx.apiKey.create({
      data: {
        orgId: input.orgId,
        name: input.name,
        prefix,
        hash: sha256(key),
        scopes: [...new Set(input.scopes)],
        createdBy: input.actorId,
      },
      select: INFO,
    });
    await tx.apiKeyAudit.create({ data: { keyId: row.id, orgId: input.orgId, action: "created", actorId: input.actorId } });
    return { ...toInfo(row), key };
  });
}

export async function listApiKeys(db: Db, orgId: string): Promise<ApiKeyInfo[]> {
  const rows = await db.apiKey.findMany({ where: { orgId }, orderBy: { createdAt: "desc" }, select: INFO });
  return rows.map(toInfo);
}

/** Revokes the organisation's key; a key already revoked, or another organisation's, changes nothing. */
export async function revokeApiKey(
  db: Db,
  input: { orgId: string; keyId: string; actorId: string | null },
): Promise<{ status: "revoked"; key: ApiKeyInfo } | { status: "not_found" } | { status: "already_revoked"; key: ApiKeyInfo }> {
  return db.$transaction(async (tx) => {
    // Only the request that flips revokedAt writes the audit row: two revokes at once record one revocation.
    const { count } = await tx.apiKey.updateMany({
      where: { id: input.keyId, orgId: input.orgId, revokedAt: null },
      data: { revokedAt: new Date() },
    });
    const row = await tx.apiKey.findFirst({ where: { id: input.keyId, orgId: input.orgId }, select: INFO });
    if (!row) return { status: "not_found" as const };
    if (count === 0) return { status: "already_revoked" as const, key: toInfo(row) };
    await tx.apiKeyAudit.create({ data: { keyId: row.id, orgId: input.orgId, action: "revoked", actorId: input.actorId } });
    return { status: "revoked" as const, key: toInfo(row) };
  });
}

/** The key's audit trail, newest first. */
export async function listApiKeyAudit(db: Db, orgId: string) {
  return db.apiKeyAudit.findMany({
    where: { orgId },
    orderBy: { createdAt: "desc" },
    select: { keyId: true, action: true, actorId: true, createdAt: true },
  });
}

/**
 * The live key a credential names, or null (unknown, malformed, wrong secret or revoked). Marks it used, at
 * most once a minute, so a busy import does not write a row per request.
 */
export async function authenticateApiKey(db: Db, credential: string, now = new Date()): Promise<ApiKeyInfo | null> {
  const prefix = KEY_SHAPE.exec(credential)?.[1];
  if (!prefix) return null;
  const row = await db.apiKey.findUnique({ where: { prefix }, select: { ...INFO, hash: true } });
  if (!row || row.revokedAt) return null;
  const expected = Buffer.from(row.hash, "hex");
  const given = Buffer.from(sha256(credential), "hex");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
  let lastUsedAt = row.lastUsedAt;
  if (!lastUsedAt || now.getTime() - lastUsedAt.getTime() > 60_000) {
    await db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: now } });
    lastUsedAt = now;
  }
  const { hash: _hash, ...info } = row;
  return toInfo({ ...info, lastUsedAt });
}
