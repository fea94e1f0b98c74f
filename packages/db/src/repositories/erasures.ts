// Erasure of a person (GDPR): their name, email and every row about them go, in one transaction; where they
// acted on others the audit keeps an opaque reference (the erasure's id, see the Erasure model); tombstones —
// keyed hashes, never plain values — stop an import from re-creating them until an operator lifts the erasure.
//
// Scope: an operator erases a person everywhere (orgId null); an organisation's admin erases a person from their
// organisation only, and only a person who belongs to no other organisation (one organisation may not remove what
// another holds about someone). This file is the only place that knows how tombstones are hashed.
import { createHmac, randomBytes } from "node:crypto";
import type { Db, DbTx } from "../client.ts";
import { erasureKeyFromEnv } from "../env.ts";
import { lockOrgImports } from "./import-stage.ts";
import { normaliseEmail } from "./organizations.ts";

export type TombstoneKind = "email" | "external_id";

/**
 * The tombstone of one value: HMAC-SHA256 (hex) under the erasure key. An email is normalised and hashed without
 * its organisation (a person is one user across organisations); an external id is hashed with its organisation,
 * because external ids are the organisation's own ("42" in one club is someone else in another).
 */
export function tombstoneHash(key: string, kind: TombstoneKind, orgId: string | null, value: string): string {
  let message: string;
  if (kind === "email") message = `email:${normaliseEmail(value)}`;
  else {
    if (!orgId) throw new Error("an external id's tombstone needs its organisation");
    message = `external_id:${orgId.toLowerCase()}:${value.trim()}`;
  }
  return createHmac("sha256", key).update(message).digest("hex");
}

const KEY_SECRET_NAME = "erasure_hmac_key";
const keys = new WeakMap<object, Promise<string>>();

/**
 * The key tombstones are hashed with. ERASURE_KEY when set: a key outside the database is stronger, since someone
 * holding a copy of the database cannot then test emails against the tombstones. Otherwise a random 32-byte key
 * made once and kept in deployment_secrets, so the quick start works with nothing to configure; INSERT ... ON
 * CONFLICT DO NOTHING and then SELECT make two processes starting at once agree on one key. Every process that
 * erases or imports must see the same ERASURE_KEY (or none): under another key the tombstones match nothing, and
 * setting ERASURE_KEY later leaves the tombstones made before unmatched.
 */
export function erasureKey(db: Db | DbTx, env?: NodeJS.ProcessEnv): Promise<string> {
  const configured = erasureKeyFromEnv(env);
  if (configured) return Promise.resolve(configured);
  let key = keys.get(db);
  if (!key) {
    key = storedKey(db);
    keys.set(db, key);
    key.catch(() => keys.delete(db));
  }
  return key;
}

async function storedKey(db: Db | DbTx): Promise<string> {
  const candidate = randomBytes(32).toString("hex");
  await db.$executeRaw`INSERT INTO deployment_secrets (name, value) VALUES (${KEY_SECRET_NAME}, ${candidate}) ON CONFLICT (name) DO NOTHING`;
  const rows = await db.$queryRaw<{ value: string }[]>`SELECT value FROM deployment_secrets WHERE name = ${KEY_SECRET_NAME}`;
  const value = rows[0]?.value;
  if (!value) throw new Error("the erasure key could not be stored");
  return value;
}

export type ErasureRefusal = "not_found" | "member_of_other_organisations" | "last_active_admin" | "self";

const REFUSALS: Record<ErasureRefusal, string> = {
  not_found: "no such person",
  member_of_other_organisations:
    "this person also belongs to another organisation; an operator can erase a person who belongs to several organisations",
  last_active_admin: "this person is the organisation's last active admin; make another member an admin first",
  self: "an admin cannot erase themselves; another admin of the organisation or an operator can",
};

/** Why an erasure was refused; nothing was changed. */
export class ErasureRefusedError extends Error {
  override name = "ErasureRefusedError";
  constructor(readonly reason: ErasureRefusal) {
    super(REFUSALS[reason]);
  }
}

/** What one erasure removed or changed, by table. No personal data. */
export interface ErasureCounts {
  users: number;
  memberships: number;
  registrations: number;
  engagements: number;
  snapshots: number;
  overrideHistory: number;
  tombstones: number;
  /** rows where the person acted on others, now pointing at the erasure instead of the person */
  actorReferences: number;
  /** override notes about others that named the person (their name or email), replaced by a fixed text */
  notesRedacted: number;
}

export interface ErasureResult {
  erasureId: string;
  orgId: string | null;
  counts: ErasureCounts;
  /** Organisations whose last active admin this (operator) erasure removed: they need a new admin. */
  orgsLeftWithoutAdmin: string[];
}

/** What replaces an override note that named the erased person. */
export const REDACTED_NOTE = "[removed: named a person since erased]";

interface MembershipRow {
  org_id: string;
  role: string;
  status: string;
  external_id: string | null;
  display_name: string | null;
}

/**
 * Erases a person, everywhere (`orgId` null: an operator) or from one organisation (its admin: the person must
 * belong to that organisation only, must not be the acting admin, nor its last active admin). Throws
 * ErasureRefusedError when refused. Runs' aggregate counts stay: they hold no personal data.
 */
export async function erasePerson(
  db: Db,
  input: { userId: string; orgId?: string | null; actorId: string | null },
  // The environment is read in env.ts (process.env unless a test passes its own).
  env?: NodeJS.ProcessEnv,
): Promise<ErasureResult> {
  const key = await erasureKey(db, env);
  const userId = input.userId.toLowerCase();
  const orgId = input.orgId?.toLowerCase() ?? null;
  return db.$transaction(
    async (tx) => {
      // The organisations' import locks first (sorted, so two erasures cannot deadlock): an import of the same
      // organisation then either finishes before the erasure or sees its tombstones.
      const orgs = orgId ? [orgId] : await orgsOf(tx, userId);
      for (const org of orgs) await lockOrgImports(tx, org);
      // Locked for the transaction: a worker writing this member's result waits, then finds them gone.
      const [person] = await tx.$queryRaw<{ name: string; email: string }[]>`
        SELECT name, email FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
      if (!person) throw new ErasureRefusedError("not_found");
      const memberships = await tx.$queryRaw<MembershipRow[]>`
        SELECT org_id::text, role::text, status::text, external_id, display_name
        FROM memberships WHERE user_id = ${userId}::uuid ORDER BY org_id FOR UPDATE`;
      if (orgId) await checkOrgScopedErasure(tx, { userId, orgId, actorId: input.actorId, memberships });
      const inScope = memberships.filter((m) => orgId === null || m.org_id === orgId);
      const formerAdminOf = inScope.filter((m) => m.role === "admin" && m.status === "active").map((m) => m.org_id);

      const [erasure] = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO erasures (org_id, actor_id) VALUES (${orgId}::uuid, ${input.actorId}::uuid) RETURNING id::text`;
      const erasureId = (erasure as { id: string }).id;

      const hashes: { kind: TombstoneKind; hash: string }[] = [{ kind: "email", hash: tombstoneHash(key, "email", null, person.email) }];
      for (const m of inScope) {
        if (m.external_id) hashes.push({ kind: "external_id", hash: tombstoneHash(key, "external_id", m.org_id, m.external_id) });
      }
      const tombstones = await tx.$executeRaw`
        INSERT INTO erasure_tombstones (erasure_id, org_id, kind, hash)
        SELECT ${erasureId}::uuid, ${orgId}::uuid, kind, hash
        FROM unnest(${hashes.map((h) => h.kind)}::text[], ${hashes.map((h) => h.hash)}::text[]) AS t(kind, hash)`;

      const actorReferences = await replaceActorReferences(tx, userId, erasureId);
      const names = [person.name, person.email, ...inScope.map((m) => m.display_name)].filter(
        (n): n is string => !!n && n.trim().length >= 3,
      );
      const notesRedacted = await redactNotesNaming(tx, orgId, names);
      const removed = await deleteRowsAbout(tx, userId, orgId);
      // An operator's erasure leaves no membership; an admin's leaves none either (the person belonged to that
      // organisation only), but the rule is "no membership left", not the scope.
      const users = await tx.$executeRaw`
        DELETE FROM users u WHERE u.id = ${userId}::uuid AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id)`;
      const counts: ErasureCounts = { users, ...removed, tombstones, actorReferences, notesRedacted };
      await tx.$executeRaw`UPDATE erasures SET counts = ${JSON.stringify(counts)}::jsonb WHERE id = ${erasureId}::uuid`;
      const orgsLeftWithoutAdmin = await orgsWithoutActiveAdmin(tx, formerAdminOf);
      return { erasureId, orgId, counts, orgsLeftWithoutAdmin };
    },
    { timeout: 60_000 },
  );
}

async function orgsOf(tx: DbTx, userId: string): Promise<string[]> {
  const rows = await tx.$queryRaw<{ org_id: string }[]>`
    SELECT DISTINCT org_id::text FROM memberships WHERE user_id = ${userId}::uuid ORDER BY 1`;
  return rows.map((r) => r.org_id);
}

/** An admin erases someone of their own organisation only: not themself, not its last active admin. */
async function checkOrgScopedErasure(
  tx: DbTx,
  input: { userId: string; orgId: string; actorId: string | null; memberships: MembershipRow[] },
): Promise<void> {
  const { userId, orgId } = input;
  const membership = input.memberships.find((m) => m.org_id === orgId);
  if (!membership) throw new ErasureRefusedError("not_found");
  // Self-erasure is refused: the erasure would delete the account making the request, and a second person (another
  // admin, or an operator) deciding that an admin's history goes is worth the step.
  if (input.actorId?.toLowerCase() === userId) throw new ErasureRefusedError("self");
  // Anything about the person in another organisation (a membership, even one they left, or rows a membership
  // left behind) is not this admin's to remove; deleting the user would cascade into it.
  const [elsewhere] = await tx.$queryRaw<{ found: boolean }[]>`
    SELECT EXISTS (SELECT 1 FROM memberships WHERE user_id = ${userId}::uuid AND org_id <> ${orgId}::uuid)
        OR EXISTS (SELECT 1 FROM registrations r JOIN events e ON e.id = r.event_id
                   WHERE r.user_id = ${userId}::uuid AND e.org_id <> ${orgId}::uuid)
        OR EXISTS (SELECT 1 FROM member_engagements WHERE user_id = ${userId}::uuid AND org_id <> ${orgId}::uuid)
        OR EXISTS (SELECT 1 FROM engagement_snapshots WHERE user_id = ${userId}::uuid AND org_id <> ${orgId}::uuid)
        OR EXISTS (SELECT 1 FROM engagement_override_history WHERE user_id = ${userId}::uuid AND org_id <> ${orgId}::uuid) AS found`;
  if (elsewhere?.found) throw new ErasureRefusedError("member_of_other_organisations");
  if (membership.role === "admin" && membership.status === "active") {
    // The organisation's import lock is held, and imports are what change roles, so the count cannot move under us.
    const [others] = await tx.$queryRaw<{ n: number }[]>`
      SELECT count(*)::int AS n FROM memberships
      WHERE org_id = ${orgId}::uuid AND role = 'admin' AND status = 'active' AND user_id <> ${userId}::uuid`;
    if ((others?.n ?? 0) === 0) throw new ErasureRefusedError("last_active_admin");
  }
}

/** Where the person acted on others: the user-id column goes null and the erasure id takes its place. */
async function replaceActorReferences(tx: DbTx, userId: string, erasureId: string): Promise<number> {
  // One after another: statements of one transaction share its connection.
  const counts = [
    await tx.$executeRaw`UPDATE engagement_override_history SET actor_id = NULL, actor_erasure_id = ${erasureId}::uuid
                   WHERE actor_id = ${userId}::uuid AND user_id <> ${userId}::uuid`,
    await tx.$executeRaw`UPDATE member_engagements SET overridden_by = NULL, overridden_by_erasure_id = ${erasureId}::uuid
                   WHERE overridden_by = ${userId}::uuid AND user_id <> ${userId}::uuid`,
    await tx.$executeRaw`UPDATE api_keys SET created_by = NULL, created_by_erasure_id = ${erasureId}::uuid WHERE created_by = ${userId}::uuid`,
    await tx.$executeRaw`UPDATE api_key_audit SET actor_id = NULL, actor_erasure_id = ${erasureId}::uuid WHERE actor_id = ${userId}::uuid`,
    await tx.$executeRaw`UPDATE erasures SET actor_id = NULL, actor_erasure_id = ${erasureId}::uuid
                   WHERE actor_id = ${userId}::uuid AND id <> ${erasureId}::uuid`,
  ];
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * Override notes are free text an admin wrote about a member; one that names the erased person (their name,
 * the name an organisation knew them by, or their email, in any case) is replaced whole — a partial edit could
 * leave the rest of what it said about them. Only the erasure's scope: an organisation's admin does not edit
 * another organisation's audit.
 */
async function redactNotesNaming(tx: DbTx, orgId: string | null, names: string[]): Promise<number> {
  if (names.length === 0) return 0;
  const lowered = names.map((n) => n.trim().toLowerCase());
  const history = await tx.$executeRaw`UPDATE engagement_override_history SET note = ${REDACTED_NOTE}
                   WHERE note IS NOT NULL AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)
                     AND EXISTS (SELECT 1 FROM unnest(${lowered}::text[]) n WHERE strpos(lower(note), n) > 0)`;
  const current = await tx.$executeRaw`UPDATE member_engagements SET override_note = ${REDACTED_NOTE}
                   WHERE override_note IS NOT NULL AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)
                     AND EXISTS (SELECT 1 FROM unnest(${lowered}::text[]) n WHERE strpos(lower(override_note), n) > 0)`;
  return history + current;
}

/** Every row about the person in scope; an organisation-scoped erasure removes registrations to its events only. */
/** Where an erased member stood in a waiting batch request. */
export const ERASED_MEMBER = "00000000-0000-0000-0000-000000000000";

async function deleteRowsAbout(tx: DbTx, userId: string, orgId: string | null) {
  const registrations = await tx.$executeRaw`
    DELETE FROM registrations r USING events e
    WHERE r.event_id = e.id AND r.user_id = ${userId}::uuid AND (${orgId}::uuid IS NULL OR e.org_id = ${orgId}::uuid)`;
  const snapshots = await tx.$executeRaw`
    DELETE FROM engagement_snapshots WHERE user_id = ${userId}::uuid AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)`;
  const engagements = await tx.$executeRaw`
    DELETE FROM member_engagements WHERE user_id = ${userId}::uuid AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)`;
  const overrideHistory = await tx.$executeRaw`
    DELETE FROM engagement_override_history WHERE user_id = ${userId}::uuid AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)`;
  const memberships = await tx.$executeRaw`
    DELETE FROM memberships WHERE user_id = ${userId}::uuid AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)`;
  await tx.$executeRaw`
    DELETE FROM run_member_signals WHERE user_id = ${userId}::uuid AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)`;
  // A request waiting in a provider batch keeps its other members; the erased one's place takes the nil UUID (no
  // user has it, and uuid[] elements may not be null for the client), so its answer (counts only, sent under an
  // opaque ref) finds no member when the batch is collected and is dropped.
  await tx.$executeRaw`
    UPDATE provider_batch_groups SET user_ids = array_replace(user_ids, ${userId}::uuid, ${ERASED_MEMBER}::uuid)
    WHERE ${userId}::uuid = ANY(user_ids) AND (${orgId}::uuid IS NULL OR org_id = ${orgId}::uuid)`;
  return { memberships, registrations, engagements, snapshots, overrideHistory };
}

async function orgsWithoutActiveAdmin(tx: DbTx, orgIds: string[]): Promise<string[]> {
  if (orgIds.length === 0) return [];
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT o.id::text FROM organizations o
    WHERE o.id = ANY(${orgIds}::uuid[])
      AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = o.id AND m.role = 'admin' AND m.status = 'active')
    ORDER BY 1`;
  return rows.map((r) => r.id);
}

/** The user with this email (normalised), for an operator erasing by email. */
export async function findUserIdByEmail(db: Db, email: string): Promise<string | null> {
  const user = await db.user.findUnique({ where: { email: normaliseEmail(email) }, select: { id: true } });
  return user?.id ?? null;
}

export interface ErasureInfo {
  id: string;
  orgId: string | null;
  actorId: string | null;
  actorErasureId: string | null;
  counts: Partial<ErasureCounts>;
  createdAt: Date;
  liftedAt: Date | null;
  liftedBy: string | null;
}

const INFO = {
  id: true,
  orgId: true,
  actorId: true,
  actorErasureId: true,
  counts: true,
  createdAt: true,
  liftedAt: true,
  liftedBy: true,
} as const;
const toInfo = (row: Omit<ErasureInfo, "counts"> & { counts: unknown }): ErasureInfo => ({
  ...row,
  counts: row.counts as Partial<ErasureCounts>,
});

/** Erasures, newest first (an organisation's only, with `orgId`). */
export async function listErasures(db: Db, query: { limit: number; orgId?: string | undefined }): Promise<ErasureInfo[]> {
  const rows = await db.erasure.findMany({
    where: query.orgId ? { orgId: query.orgId } : {},
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: query.limit,
    select: INFO,
  });
  return rows.map(toInfo);
}

/**
 * Lifts an erasure (operators): its tombstones stop refusing imports, so the person may be imported again. What
 * was removed stays removed. Audited on the row (lifted_at, lifted_by); lifting twice changes nothing.
 */
export async function liftErasure(
  db: Db,
  input: { erasureId: string; actorId: string | null },
): Promise<{ status: "lifted" | "already_lifted"; erasure: ErasureInfo } | { status: "not_found" }> {
  const { count } = await db.erasure.updateMany({
    where: { id: input.erasureId, liftedAt: null },
    data: { liftedAt: new Date(), liftedBy: input.actorId },
  });
  const row = await db.erasure.findUnique({ where: { id: input.erasureId }, select: INFO });
  if (!row) return { status: "not_found" };
  return { status: count === 1 ? "lifted" : "already_lifted", erasure: toInfo(row) };
}

/**
 * Which of the values an import into `orgId` brings are tombstoned by an active (not lifted) erasure that applies
 * there (erased everywhere, or from this organisation). Returns the positions of the matching rows with the kind
 * that matched; the import refuses those rows, naming no one.
 */
export async function findTombstonedRows(
  db: Db | DbTx,
  orgId: string,
  rows: { email?: string | null | undefined; externalId?: string | null | undefined }[],
): Promise<{ index: number; kind: TombstoneKind }[]> {
  if (rows.length === 0) return [];
  const key = await erasureKey(db);
  const wanted = new Map<string, { index: number; kind: TombstoneKind }[]>();
  const want = (hash: string, index: number, kind: TombstoneKind) => wanted.set(hash, [...(wanted.get(hash) ?? []), { index, kind }]);
  rows.forEach((row, index) => {
    if (row.email) want(tombstoneHash(key, "email", null, row.email), index, "email");
    if (row.externalId) want(tombstoneHash(key, "external_id", orgId, row.externalId), index, "external_id");
  });
  const found = await db.$queryRaw<{ hash: string; kind: string }[]>`
    SELECT DISTINCT t.hash, t.kind FROM erasure_tombstones t JOIN erasures e ON e.id = t.erasure_id
    WHERE t.hash = ANY(${[...wanted.keys()]}::text[])
      AND e.lifted_at IS NULL
      AND (t.org_id IS NULL OR t.org_id = ${orgId}::uuid)`;
  return found
    .flatMap((f) => (wanted.get(f.hash) ?? []).filter((w) => w.kind === f.kind))
    .sort((a, b) => a.index - b.index || a.kind.localeCompare(b.kind));
}
