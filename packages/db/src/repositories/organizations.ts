// Organisations and the people who run them: created by an operator with a first admin, listed for operators.
// A person is one user however many organisations they belong to, found by their normalised email.
import type { Db } from "../client.ts";

/** The form an email is stored and matched in: trimmed and lower-case. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** What a slug may be: lower-case letters and digits in words joined by single hyphens ("running-club-nord"). */
export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** A URL-safe slug from a name ("Running Club Nord" → "running-club-nord"); empty when nothing is left. */
export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/, "");
}

export type CreateOrganizationResult =
  | { status: "created"; orgId: string; slug: string; adminUserId: string; adminWasKnown: boolean }
  | { status: "slug_taken"; slug: string };

/**
 * Creates the organisation and its first admin in one transaction. An admin whose email is already known
 * (another organisation's member) becomes a member here too, keeping the name on record.
 */
export async function createOrganizationWithAdmin(
  db: Db,
  input: { name: string; slug: string; admin: { email: string; name: string }; now?: Date },
): Promise<CreateOrganizationResult> {
  const email = normaliseEmail(input.admin.email);
  try {
    return await createInTransaction(db, input, email);
  } catch (err) {
    // Two requests for one slug at once: the unique index decides, and the loser hears "taken", not a 500.
    if (isUniqueViolation(err, "organizations_slug_key")) return { status: "slug_taken", slug: input.slug };
    // The same new admin for two organisations at once: the other request created the user; this one joins it.
    if (isUniqueViolation(err, "users_email_key")) return createOrganizationWithAdmin(db, input);
    throw err;
  }
}

/** A unique violation of `index` (the pg adapter reports the index name; other drivers the fields). */
function isUniqueViolation(err: unknown, index: string): boolean {
  const e = err as { code?: string; meta?: { target?: unknown; driverAdapterError?: { cause?: { constraint?: unknown } } } };
  if (e?.code !== "P2002") return false;
  return JSON.stringify(e.meta?.driverAdapterError?.cause?.constraint ?? e.meta?.target ?? "").includes(index);
}

async function createInTransaction(
  db: Db,
  input: Parameters<typeof createOrganizationWithAdmin>[1],
  email: string,
): Promise<CreateOrganizationResult> {
  return db.$transaction(async (tx) => {
    const existing = await tx.organization.findUnique({ where: { slug: input.slug }, select: { id: true } });
    if (existing) return { status: "slug_taken" as const, slug: input.slug };
    const org = await tx.organization.create({ data: { name: input.name, slug: input.slug } });
    const known = await tx.user.findUnique({ where: { email }, select: { id: true } });
    const user = known ?? (await tx.user.create({ data: { email, name: input.admin.name }, select: { id: true } }));
    await tx.membership.create({
      data: { userId: user.id, orgId: org.id, role: "admin", status: "active", joinedAt: input.now ?? new Date() },
    });
    return { status: "created" as const, orgId: org.id, slug: org.slug, adminUserId: user.id, adminWasKnown: known !== null };
  });
}

export interface OrganizationListItem {
  orgId: string;
  name: string;
  slug: string;
  createdAt: Date;
  activeMembers: number;
}

/** Organisations by slug, a page at a time (`after`: the last slug of the previous page). */
export async function listOrganizations(db: Db, query: { limit: number; after?: string | undefined }) {
  const orgs = await db.organization.findMany({
    where: query.after ? { slug: { gt: query.after } } : {},
    orderBy: { slug: "asc" },
    take: query.limit + 1,
    select: { id: true, name: true, slug: true, createdAt: true, _count: { select: { memberships: { where: { status: "active" } } } } },
  });
  const page = orgs.slice(0, query.limit);
  const items: OrganizationListItem[] = page.map((o) => ({
    orgId: o.id,
    name: o.name,
    slug: o.slug,
    createdAt: o.createdAt,
    activeMembers: o._count.memberships,
  }));
  return { items, nextCursor: orgs.length > query.limit ? (page.at(-1)?.slug ?? null) : null };
}
