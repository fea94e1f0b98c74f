// Members from the organisation's own system, keyed by its external id: inserted, updated or left unchanged, so
// sending the same rows twice changes nothing the second time. A person is one user across organisations (found
// by normalised email), but what an organisation imports stays its own: the name lives on the membership
// (displayName), and a person who also belongs elsewhere keeps the email on record. The rows arrive staged (see
// import-stage.ts) and are planned a chunk at a time inside the import's transaction, so memory stays flat
// however many members a file holds; repeats are found set-based across the whole file first.
import type { DbTx } from "../client.ts";
import type { MembershipRole, MembershipStatus } from "../generated/prisma/enums.ts";
import { findTombstonedRows } from "./erasures.ts";
import {
  type ImportCounts,
  type KindApplyOptions,
  notRefused,
  type Refusals,
  type RowRefusal,
  repeatsSql,
  type StageColumn,
  stagedChunks,
  stopsWriting,
} from "./import-stage.ts";

export interface MemberImportRow {
  externalId: string;
  name: string;
  /** Normalised (trimmed, lower-case) when staged. */
  email: string;
  joinedAt: Date;
  status: MembershipStatus;
  leftAt: Date | null;
  /** Omitted: a new member is a member, an existing one keeps their role (a sync never demotes an admin). */
  role?: MembershipRole | null | undefined;
}

/** The staging table's columns for members, in the order their values are staged. */
export const MEMBER_STAGE_COLUMNS: StageColumn[] = [
  { name: "external_id", type: "text" },
  { name: "name", type: "text" },
  { name: "email", type: "text" },
  { name: "joined_at", type: "timestamptz(3)" },
  { name: "status", type: "text" },
  { name: "left_at", type: "timestamptz(3)" },
  { name: "role", type: "text" },
];

type Plan =
  | { kind: "insert"; row: MemberImportRow; userId: string | null }
  | { kind: "update"; row: MemberImportRow; membershipId: string; userId: string; userChanged: boolean }
  | { kind: "unchanged" };

/** Members planned and written per round trip: a chunk's lookups are a few `IN` lists of this size. */
const MEMBER_CHUNK = 2_000;

/** Checks and writes the staged members; refused rows go to `refusals`. */
export async function applyMembers(
  tx: DbTx,
  orgId: string,
  table: string,
  refusals: Refusals,
  options: KindApplyOptions,
): Promise<ImportCounts> {
  await refusals.addQuery(repeatsSql(table, ["external_id"], "externalId", "repeats an earlier row's external id"));
  // A row already refused for its id is not refused twice for its email.
  await refusals.addQuery(repeatsSql(table, ["email"], "email", "repeats an earlier row's email", "external_id"));
  const counts: ImportCounts = { inserted: 0, updated: 0, unchanged: 0 };
  const select = `external_id AS "externalId", name, email, joined_at AS "joinedAt", status, left_at AS "leftAt", role`;
  for await (const chunk of stagedChunks<MemberImportRow & { position: number }>(tx, table, select, MEMBER_CHUNK, notRefused(refusals))) {
    // The people this chunk may attach a membership to are locked first (FOR KEY SHARE: an erasure deleting one
    // waits for this import; one that deleted first has committed its tombstones before the lock is granted), and
    // only then are tombstones checked: an erasure in another organisation can neither fail the insert nor slip
    // the erased person back in.
    await tx.$queryRaw`SELECT 1 FROM users WHERE email = ANY(${chunk.map((r) => r.email)}::text[]) FOR KEY SHARE`;
    // A person erased on request is not re-created by a later import until an operator lifts the erasure.
    const erased = await findTombstonedRows(tx, orgId, chunk);
    const erasedAt = new Set(erased.map((e) => e.index));
    await refusals.add(
      erased.map(({ index, kind }) => ({
        position: (chunk[index] as { position: number }).position,
        field: kind === "email" ? "email" : "externalId",
        message: "belongs to a person erased on request; an operator must lift the erasure before they can be imported again",
      })),
    );
    const { plans, errors } = await planMembers(
      tx,
      orgId,
      chunk.filter((_, i) => !erasedAt.has(i)),
      options.byKey ?? false,
    );
    await refusals.add(errors);
    // Without partial, a refused row means nothing is written: the rest is planned only to list every refusal, so a
    // dry run of several files never shows later files members the real import would not write.
    if (stopsWriting(refusals, options)) continue;
    const done = await applyPlans(tx, orgId, plans);
    counts.inserted += done.inserted;
    counts.updated += done.updated;
    counts.unchanged += done.unchanged;
  }
  return counts;
}

async function planMembers(
  tx: DbTx,
  orgId: string,
  rows: (MemberImportRow & { position: number })[],
  byKey: boolean,
): Promise<{ plans: Plan[]; errors: RowRefusal[] }> {
  // Repeats were refused across the whole file before: no two rows here share an external id or an email.
  const errors: RowRefusal[] = [];

  // Two set-based reads per chunk (raw SQL: Prisma's nested selects of 2,000 rows cost more time and memory than
  // the whole plan), shaped as the plan below reads them.
  const externalIds = rows.map((r) => r.externalId);
  const emails = rows.map((r) => r.email);
  const [found, owners, [admins]] = await Promise.all([
    tx.$queryRaw<
      {
        id: string;
        externalId: string;
        displayName: string | null;
        role: MembershipRole;
        status: MembershipStatus;
        joinedAt: Date;
        leftAt: Date | null;
        userId: string;
        userName: string;
        userEmail: string;
        userMemberships: number;
      }[]
    >`SELECT m.id, m.external_id AS "externalId", m.display_name AS "displayName", m.role::text AS role, m.status::text AS status,
             m.joined_at AS "joinedAt", m.left_at AS "leftAt", u.id AS "userId", u.name AS "userName", u.email AS "userEmail",
             (SELECT count(*)::int FROM memberships x WHERE x.user_id = u.id) AS "userMemberships"
      FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.org_id = ${orgId}::uuid AND m.external_id = ANY(${externalIds}::text[])`,
    tx.$queryRaw<
      {
        id: string;
        email: string;
        hereId: string | null;
        hereExternalId: string | null;
        hereRole: MembershipRole | null;
        hereStatus: MembershipStatus | null;
      }[]
    >`SELECT u.id, u.email, h.id AS "hereId", h.external_id AS "hereExternalId", h.role::text AS "hereRole", h.status::text AS "hereStatus"
      FROM users u LEFT JOIN memberships h ON h.user_id = u.id AND h.org_id = ${orgId}::uuid
      WHERE u.email = ANY(${emails}::text[])`,
    tx.$queryRaw<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM memberships WHERE org_id = ${orgId}::uuid AND role = 'admin' AND status = 'active'`,
  ]);
  const memberships = new Map(
    found.map((m) => [
      m.externalId,
      { ...m, user: { id: m.userId, name: m.userName, email: m.userEmail, _count: { memberships: m.userMemberships } } },
    ]),
  );
  const users = owners.map((u) => ({
    id: u.id,
    email: u.email,
    memberships: u.hereId ? [{ id: u.hereId, externalId: u.hereExternalId }] : [],
  }));
  const byEmailHere = new Map(
    owners.flatMap((u) =>
      u.hereId ? [[u.hereId, { id: u.hereId, role: u.hereRole as MembershipRole, status: u.hereStatus as MembershipStatus }] as const] : [],
    ),
  );
  let adminsLeft = admins?.n ?? 0;
  const usersByEmail = new Map(users.map((u) => [u.email, u]));
  const plans: Plan[] = [];
  for (const row of rows) {
    const { position } = row;
    const existing = memberships.get(row.externalId);
    const owner = usersByEmail.get(row.email);
    if (byKey && (row.role === "admin" || (existing?.role === "admin" && row.role === "member"))) {
      errors.push({ position, field: "role", message: "granting or removing the admin role needs an admin's token, not an API key" });
      continue;
    }
    // A sync must not leave the organisation without anyone who can manage it.
    const keepsAdmins = (current: { role: MembershipRole; status: MembershipStatus } | undefined, role: MembershipRole) => {
      if (current?.role !== "admin" || current.status !== "active" || (role === "admin" && row.status === "active")) return true;
      if (adminsLeft <= 1) return false;
      adminsLeft--;
      return true;
    };
    if (existing) {
      const emailChanges = existing.user.email !== row.email;
      // The same neutral answer whoever has the address: an import must not tell which emails exist elsewhere.
      if (emailChanges && (owner || existing.user._count.memberships > 1)) {
        errors.push({ position, field: "email", message: "cannot be changed to this address by an import" });
        continue;
      }
      const role = row.role ?? existing.role;
      if (!keepsAdmins(existing, role)) {
        errors.push({ position, field: row.role ? "role" : "status", message: "would leave the organisation without an active admin" });
        continue;
      }
      // The person's own row changes only when they belong to this organisation alone.
      const userChanged = emailChanges || (existing.user._count.memberships === 1 && existing.user.name !== row.name);
      const membershipChanged =
        existing.displayName !== row.name ||
        existing.role !== role ||
        existing.status !== row.status ||
        existing.joinedAt.getTime() !== row.joinedAt.getTime() ||
        (existing.leftAt?.getTime() ?? null) !== (row.leftAt?.getTime() ?? null);
      plans.push(
        userChanged || membershipChanged
          ? { kind: "update", row: { ...row, role }, membershipId: existing.id, userId: existing.user.id, userChanged }
          : { kind: "unchanged" },
      );
      continue;
    }
    const here = owner?.memberships[0];
    if (here?.externalId) {
      errors.push({ position, field: "email", message: `belongs to the member with external id "${here.externalId}"` });
      continue;
    }
    if (here && owner) {
      // A member added before imports (the first admin, say): this row names them from now on; their role stays
      // unless the row gives one.
      const current = byEmailHere.get(here.id);
      const role = row.role ?? current?.role ?? "member";
      if (!keepsAdmins(current, role)) {
        errors.push({ position, field: row.role ? "role" : "status", message: "would leave the organisation without an active admin" });
        continue;
      }
      plans.push({ kind: "update", row: { ...row, role }, membershipId: here.id, userId: owner.id, userChanged: false });
      continue;
    }
    plans.push({ kind: "insert", row, userId: owner?.id ?? null });
  }
  return { plans, errors };
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * Writes a chunk's plans in a few set-based statements (arrays bound as parameters and unnested): Prisma's
 * createMany and one update per row cost over a second per 2,000 members.
 */
async function applyPlans(tx: DbTx, orgId: string, plans: Plan[]): Promise<ImportCounts> {
  const inserts = plans.filter((p): p is Extract<Plan, { kind: "insert" }> => p.kind === "insert");
  const updates = plans.filter((p): p is Extract<Plan, { kind: "update" }> => p.kind === "update");
  // New people in one statement; people already known elsewhere keep their user row.
  const newUsers = inserts.filter((p) => p.userId === null);
  if (newUsers.length > 0) {
    const emails = newUsers.map((p) => p.row.email);
    // Another organisation's import may create the same person at the same moment: skip, then read them back.
    await tx.$executeRaw`INSERT INTO users (name, email)
      SELECT * FROM unnest(${newUsers.map((p) => p.row.name)}::text[], ${emails}::text[]) ON CONFLICT (email) DO NOTHING`;
    const found = await tx.$queryRaw<{ id: string; email: string }[]>`SELECT id, email FROM users WHERE email = ANY(${emails}::text[])`;
    const ids = new Map(found.map((u) => [u.email, u.id]));
    for (const p of newUsers) p.userId = ids.get(p.row.email) ?? null;
  }
  if (inserts.length > 0) {
    await tx.$executeRaw`INSERT INTO memberships (org_id, user_id, external_id, display_name, role, status, joined_at, left_at)
      SELECT ${orgId}::uuid, u, x, n, r::"MembershipRole", s::"MembershipStatus", j, l FROM unnest(
        ${inserts.map((p) => p.userId)}::uuid[], ${inserts.map((p) => p.row.externalId)}::text[], ${inserts.map((p) => p.row.name)}::text[],
        ${inserts.map((p) => p.row.role ?? "member")}::text[], ${inserts.map((p) => p.row.status)}::text[],
        ${inserts.map((p) => iso(p.row.joinedAt))}::timestamptz[], ${inserts.map((p) => iso(p.row.leftAt))}::timestamptz[]
      ) AS t(u, x, n, r, s, j, l)`;
  }
  // The person's own row changes only when they belong to this organisation alone (the planner decided).
  const userUpdates = updates.filter((p) => p.userChanged);
  if (userUpdates.length > 0) {
    await tx.$executeRaw`UPDATE users SET name = t.n, email = t.e
      FROM unnest(${userUpdates.map((p) => p.userId)}::uuid[], ${userUpdates.map((p) => p.row.name)}::text[], ${userUpdates.map((p) => p.row.email)}::text[]) AS t(id, n, e)
      WHERE users.id = t.id`;
  }
  if (updates.length > 0) {
    // role: kept when the row gives none (the planner resolved it to the current one anyway).
    await tx.$executeRaw`UPDATE memberships SET external_id = t.x, display_name = t.n, role = COALESCE(t.r::"MembershipRole", memberships.role),
        status = t.s::"MembershipStatus", joined_at = t.j, left_at = t.l
      FROM unnest(
        ${updates.map((p) => p.membershipId)}::uuid[], ${updates.map((p) => p.row.externalId)}::text[], ${updates.map((p) => p.row.name)}::text[],
        ${updates.map((p) => p.row.role ?? null)}::text[], ${updates.map((p) => p.row.status)}::text[],
        ${updates.map((p) => iso(p.row.joinedAt))}::timestamptz[], ${updates.map((p) => iso(p.row.leftAt))}::timestamptz[]
      ) AS t(id, x, n, r, s, j, l)
      WHERE memberships.id = t.id`;
  }
  return { inserted: inserts.length, updated: updates.length, unchanged: plans.length - inserts.length - updates.length };
}
