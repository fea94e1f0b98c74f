// Members from the organisation's own system, keyed by its external id: inserted, updated or left unchanged, so
// sending the same rows twice changes nothing the second time. A person is one user across organisations (found
// by normalised email). Rows are checked against the database as a whole before anything is written: with
// `partial` off, one bad row means nothing is written; with it on, the good rows are applied.
import type { Db, DbTx } from "../client.ts";
import type { MembershipRole, MembershipStatus } from "../generated/prisma/enums.ts";
import { normaliseEmail } from "./organizations.ts";

export interface MemberImportRow {
  externalId: string;
  name: string;
  email: string;
  joinedAt: Date;
  status: MembershipStatus;
  leftAt: Date | null;
  role: MembershipRole;
}

export interface ImportRowError {
  /** The row's position in the request (0-based). */
  index: number;
  field: string;
  message: string;
}

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export interface ImportResult extends ImportCounts {
  errors: ImportRowError[];
  /** False when a bad row stopped the whole request (all-or-nothing). */
  applied: boolean;
}

type Plan =
  | { kind: "insert"; index: number; row: MemberImportRow; userId: string | null }
  | { kind: "update"; index: number; row: MemberImportRow; membershipId: string; userId: string; userChanged: boolean }
  | { kind: "unchanged"; index: number };

export async function importMembers(db: Db, orgId: string, rows: MemberImportRow[], options: { partial: boolean }): Promise<ImportResult> {
  return db.$transaction(
    async (tx) => {
      const normalised = rows.map((r) => ({ ...r, email: normaliseEmail(r.email) }));
      const { plans, errors } = await planMembers(tx, orgId, normalised);
      if (errors.length > 0 && !options.partial) return { inserted: 0, updated: 0, unchanged: 0, errors, applied: false };
      return { ...(await applyPlans(tx, orgId, plans)), errors, applied: true };
    },
    { timeout: 120_000 },
  );
}

async function planMembers(tx: DbTx, orgId: string, rows: MemberImportRow[]): Promise<{ plans: Plan[]; errors: ImportRowError[] }> {
  const errors: ImportRowError[] = [];
  const seenIds = new Map<string, number>();
  const seenEmails = new Map<string, number>();
  rows.forEach((row, index) => {
    const id = seenIds.get(row.externalId);
    if (id !== undefined) errors.push({ index, field: "externalId", message: `repeats row ${id}` });
    else seenIds.set(row.externalId, index);
    const email = seenEmails.get(row.email);
    if (email !== undefined && id === undefined) errors.push({ index, field: "email", message: `repeats row ${email}'s email` });
    else if (email === undefined) seenEmails.set(row.email, index);
  });

  const [byExternalId, users] = await Promise.all([
    tx.membership.findMany({
      where: { orgId, externalId: { in: rows.map((r) => r.externalId) } },
      select: {
        id: true,
        externalId: true,
        role: true,
        status: true,
        joinedAt: true,
        leftAt: true,
        user: { select: { id: true, name: true, email: true } },
      },
    }),
    tx.user.findMany({
      where: { email: { in: rows.map((r) => r.email) } },
      select: { id: true, email: true, memberships: { where: { orgId }, select: { id: true, externalId: true } } },
    }),
  ]);
  const memberships = new Map(byExternalId.map((m) => [m.externalId as string, m]));
  const usersByEmail = new Map(users.map((u) => [u.email, u]));
  const bad = new Set(errors.map((e) => e.index));

  const plans: Plan[] = [];
  rows.forEach((row, index) => {
    if (bad.has(index)) return;
    const existing = memberships.get(row.externalId);
    const owner = usersByEmail.get(row.email);
    if (existing) {
      // Changing a member's email to one another person has is not an update we can make.
      if (owner && owner.id !== existing.user.id) {
        errors.push({ index, field: "email", message: "belongs to another person" });
        return;
      }
      const userChanged = existing.user.name !== row.name || existing.user.email !== row.email;
      const membershipChanged =
        existing.role !== row.role ||
        existing.status !== row.status ||
        existing.joinedAt.getTime() !== row.joinedAt.getTime() ||
        (existing.leftAt?.getTime() ?? null) !== (row.leftAt?.getTime() ?? null);
      plans.push(
        userChanged || membershipChanged
          ? { kind: "update", index, row, membershipId: existing.id, userId: existing.user.id, userChanged }
          : { kind: "unchanged", index },
      );
      return;
    }
    const here = owner?.memberships[0];
    if (here?.externalId) {
      errors.push({ index, field: "email", message: `belongs to the member with external id "${here.externalId}"` });
      return;
    }
    if (here) {
      // A member added before imports (no external id yet): this row names them from now on.
      plans.push({ kind: "update", index, row, membershipId: here.id, userId: owner.id, userChanged: true });
      return;
    }
    plans.push({ kind: "insert", index, row, userId: owner?.id ?? null });
  });
  errors.sort((a, b) => a.index - b.index);
  return { plans, errors };
}

async function applyPlans(tx: DbTx, orgId: string, plans: Plan[]): Promise<ImportCounts> {
  const counts: ImportCounts = { inserted: 0, updated: 0, unchanged: 0 };
  const inserts = plans.filter((p): p is Extract<Plan, { kind: "insert" }> => p.kind === "insert");
  // New people in one statement; people already known elsewhere keep their user row.
  const newUsers = inserts.filter((p) => p.userId === null);
  if (newUsers.length > 0) {
    const created = await tx.user.createManyAndReturn({
      data: newUsers.map((p) => ({ name: p.row.name, email: p.row.email })),
      select: { id: true, email: true },
    });
    const ids = new Map(created.map((u) => [u.email, u.id]));
    for (const p of newUsers) p.userId = ids.get(p.row.email) ?? null;
  }
  if (inserts.length > 0) {
    await tx.membership.createMany({
      data: inserts.map((p) => ({
        orgId,
        userId: p.userId as string,
        externalId: p.row.externalId,
        role: p.row.role,
        status: p.row.status,
        joinedAt: p.row.joinedAt,
        leftAt: p.row.leftAt,
      })),
    });
  }
  counts.inserted = inserts.length;
  for (const p of plans) {
    if (p.kind === "unchanged") counts.unchanged++;
    if (p.kind !== "update") continue;
    if (p.userChanged) await tx.user.update({ where: { id: p.userId }, data: { name: p.row.name, email: p.row.email } });
    await tx.membership.update({
      where: { id: p.membershipId },
      data: { externalId: p.row.externalId, role: p.row.role, status: p.row.status, joinedAt: p.row.joinedAt, leftAt: p.row.leftAt },
    });
    counts.updated++;
  }
  return counts;
}
