// Members from the organisation's own system, keyed by its external id: inserted, updated or left unchanged, so
// sending the same rows twice changes nothing the second time. A person is one user across organisations (found
// by normalised email), but what an organisation imports stays its own: the name lives on the membership
// (displayName), and a person who also belongs elsewhere keeps the email on record. Rows are checked against the
// database as a whole before anything is written: with `partial` off, one bad row means nothing is written; with
// it on, the good rows are applied. Imports of one organisation run one at a time (an advisory lock).
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
  /** Omitted: a new member is a member, an existing one keeps their role (a sync never demotes an admin). */
  role?: MembershipRole | undefined;
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

/** Thrown to roll a dry run's transaction back, carrying what the import would have done. */
class DryRun<T> extends Error {
  constructor(readonly result: T) {
    super("dry run");
  }
}

/**
 * Runs imports in one transaction; a dry run does everything, counts included, then rolls it back, so what it
 * reports is exactly what the real import would do at that moment (several files in one dry run see each other:
 * attendance finds the members and events of the same run).
 */
export async function importTransaction<T>(db: Db | DbTx, dryRun: boolean, work: (tx: DbTx) => Promise<T>): Promise<T> {
  // Already inside a caller's transaction (a dry run of several files): work there; the caller rolls back.
  if (!("$transaction" in db)) return work(db);
  try {
    return await db.$transaction(
      async (tx) => {
        const result = await work(tx);
        if (dryRun) throw new DryRun(result);
        return result;
      },
      { timeout: 120_000 },
    );
  } catch (err) {
    if (err instanceof DryRun) return err.result as T;
    throw err;
  }
}

/** Rows repeating an earlier row's key are errors: which one should win is the caller's to say. */
export function repeats<T>(rows: T[], key: (row: T) => string, field: string, message: string, skip?: Set<number>): ImportRowError[] {
  const seen = new Set<string>();
  const errors: ImportRowError[] = [];
  rows.forEach((row, index) => {
    const k = key(row);
    if (!seen.has(k)) seen.add(k);
    else if (!skip?.has(index)) errors.push({ index, field, message });
  });
  return errors;
}

/** One import of an organisation at a time: concurrent ones would plan against the same rows and collide. */
export async function lockOrgImports(tx: DbTx, orgId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('engagement-import:' || ${orgId}::uuid::text))`;
}

export interface ImportOptions {
  /** Apply the good rows and report the bad; otherwise one bad row means nothing is written. */
  partial: boolean;
  /** Report what would happen, write nothing. */
  dryRun?: boolean;
}

export async function importMembers(
  db: Db | DbTx,
  orgId: string,
  rows: MemberImportRow[],
  options: ImportOptions & { /** An API key may not grant or remove the admin role. */ byKey?: boolean },
): Promise<ImportResult> {
  return importTransaction(db, options.dryRun ?? false, async (tx) => {
    await lockOrgImports(tx, orgId);
    const normalised = rows.map((r) => ({ ...r, email: normaliseEmail(r.email) }));
    const { plans, errors } = await planMembers(tx, orgId, normalised, options.byKey ?? false);
    if (errors.length > 0 && !options.partial) return { inserted: 0, updated: 0, unchanged: 0, errors, applied: false };
    return { ...(await applyPlans(tx, orgId, plans)), errors, applied: true };
  });
}

async function planMembers(
  tx: DbTx,
  orgId: string,
  rows: MemberImportRow[],
  byKey: boolean,
): Promise<{ plans: Plan[]; errors: ImportRowError[] }> {
  const idRepeats = repeats(rows, (r) => r.externalId, "externalId", "repeats an earlier row's external id");
  // A row already refused for its id is not refused twice for its email.
  const skip = new Set(idRepeats.map((e) => e.index));
  const errors = [...idRepeats, ...repeats(rows, (r) => r.email, "email", "repeats an earlier row's email", skip)];

  const [byExternalId, users] = await Promise.all([
    tx.membership.findMany({
      where: { orgId, externalId: { in: rows.map((r) => r.externalId) } },
      select: {
        id: true,
        externalId: true,
        displayName: true,
        role: true,
        status: true,
        joinedAt: true,
        leftAt: true,
        user: { select: { id: true, name: true, email: true, _count: { select: { memberships: true } } } },
      },
    }),
    tx.user.findMany({
      where: { email: { in: rows.map((r) => r.email) } },
      select: { id: true, email: true, memberships: { where: { orgId }, select: { id: true, externalId: true } } },
    }),
  ]);
  const memberships = new Map(byExternalId.map((m) => [m.externalId as string, m]));
  const hereIds = users.flatMap((u) => u.memberships.map((m) => m.id));
  const byEmailHere = new Map(
    (await tx.membership.findMany({ where: { id: { in: hereIds } }, select: { id: true, role: true, status: true } })).map((m) => [
      m.id,
      m,
    ]),
  );
  let adminsLeft = await tx.membership.count({ where: { orgId, role: "admin", status: "active" } });
  const usersByEmail = new Map(users.map((u) => [u.email, u]));
  const bad = new Set(errors.map((e) => e.index));

  const plans: Plan[] = [];
  rows.forEach((row, index) => {
    if (bad.has(index)) return;
    const existing = memberships.get(row.externalId);
    const owner = usersByEmail.get(row.email);
    if (byKey && (row.role === "admin" || (existing?.role === "admin" && row.role === "member"))) {
      errors.push({ index, field: "role", message: "granting or removing the admin role needs an admin's token, not an API key" });
      return;
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
        errors.push({ index, field: "email", message: "cannot be changed to this address by an import" });
        return;
      }
      const role = row.role ?? existing.role;
      if (!keepsAdmins(existing, role)) {
        errors.push({ index, field: row.role ? "role" : "status", message: "would leave the organisation without an active admin" });
        return;
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
          ? { kind: "update", index, row: { ...row, role }, membershipId: existing.id, userId: existing.user.id, userChanged }
          : { kind: "unchanged", index },
      );
      return;
    }
    const here = owner?.memberships[0];
    if (here?.externalId) {
      errors.push({ index, field: "email", message: `belongs to the member with external id "${here.externalId}"` });
      return;
    }
    if (here && owner) {
      // A member added before imports (the first admin, say): this row names them from now on; their role stays
      // unless the row gives one.
      const current = byEmailHere.get(here.id);
      const role = row.role ?? current?.role ?? "member";
      if (!keepsAdmins(current, role)) {
        errors.push({ index, field: row.role ? "role" : "status", message: "would leave the organisation without an active admin" });
        return;
      }
      plans.push({ kind: "update", index, row: { ...row, role }, membershipId: here.id, userId: owner.id, userChanged: false });
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
    // Another organisation's import may create the same person at the same moment: skip, then read them back.
    await tx.user.createMany({ data: newUsers.map((p) => ({ name: p.row.name, email: p.row.email })), skipDuplicates: true });
    const found = await tx.user.findMany({ where: { email: { in: newUsers.map((p) => p.row.email) } }, select: { id: true, email: true } });
    const ids = new Map(found.map((u) => [u.email, u.id]));
    for (const p of newUsers) p.userId = ids.get(p.row.email) ?? null;
  }
  if (inserts.length > 0) {
    await tx.membership.createMany({
      data: inserts.map((p) => ({
        orgId,
        userId: p.userId as string,
        externalId: p.row.externalId,
        displayName: p.row.name,
        role: p.row.role ?? "member",
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
      data: {
        externalId: p.row.externalId,
        displayName: p.row.name,
        ...(p.row.role ? { role: p.row.role } : {}),
        status: p.row.status,
        joinedAt: p.row.joinedAt,
        leftAt: p.row.leftAt,
      },
    });
    counts.updated++;
  }
  return counts;
}
