// Test data builders: each creates one row with sensible defaults and returns it; a test overrides only the
// fields its behaviour depends on, so what it protects stays visible. Unique columns (slug, email) get a
// per-process counter plus random suffix so builders can be called any number of times in one database.
import { randomBytes } from "node:crypto";
import type { Db } from "../client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type {
  EngagementLevel,
  EngagementSource,
  MembershipRole,
  MembershipStatus,
  OverrideAction,
  RegistrationStatus,
  RunStatus,
  RunTrigger,
} from "../generated/prisma/enums.ts";

let sequence = 0;
const unique = () => `${++sequence}-${randomBytes(3).toString("hex")}`;
const DAY_MS = 24 * 3600 * 1000;
export const daysAgo = (days: number, from = new Date()) => new Date(from.getTime() - days * DAY_MS);

export async function buildOrg(db: Db, fields: { name?: string; slug?: string } = {}) {
  const id = unique();
  return db.organization.create({ data: { name: fields.name ?? `Org ${id}`, slug: fields.slug ?? `org-${id}` } });
}

export async function buildUser(db: Db, fields: { name?: string; email?: string } = {}) {
  const id = unique();
  return db.user.create({ data: { name: fields.name ?? `Member ${id}`, email: fields.email ?? `member-${id}@example.test` } });
}

export async function buildMembership(
  db: Db,
  fields: { orgId: string; userId: string; role?: MembershipRole; status?: MembershipStatus; joinedAt?: Date; leftAt?: Date | null },
) {
  return db.membership.create({
    data: {
      orgId: fields.orgId,
      userId: fields.userId,
      role: fields.role ?? "member",
      status: fields.status ?? "active",
      joinedAt: fields.joinedAt ?? daysAgo(365),
      leftAt: fields.leftAt ?? null,
    },
  });
}

/** A user who is a member of `orgId`: the usual starting point. */
export async function buildMember(
  db: Db,
  orgId: string,
  fields: { name?: string; role?: MembershipRole; status?: MembershipStatus; joinedAt?: Date } = {},
) {
  const user = await buildUser(db, fields.name === undefined ? {} : { name: fields.name });
  const membership = await buildMembership(db, { orgId, userId: user.id, ...withoutName(fields) });
  return { user, membership };
}

function withoutName<T extends { name?: string }>(fields: T): Omit<T, "name"> {
  const { name: _name, ...rest } = fields;
  return rest;
}

export async function buildEvent(
  db: Db,
  fields: { orgId: string; title?: string; startsAt?: Date; durationHours?: number; cancelledAt?: Date | null },
) {
  const startsAt = fields.startsAt ?? daysAgo(7);
  return db.event.create({
    data: {
      orgId: fields.orgId,
      title: fields.title ?? `Event ${unique()}`,
      startsAt,
      endsAt: new Date(startsAt.getTime() + (fields.durationHours ?? 2) * 3600 * 1000),
      cancelledAt: fields.cancelledAt ?? null,
    },
  });
}

/** Many events in one statement (histories with dozens of events); ids may be given so registrations can name them. */
export async function buildEvents(
  db: Db,
  orgId: string,
  events: { id?: string; title: string; startsAt: Date; durationHours?: number; cancelledAt?: Date | null }[],
) {
  await db.event.createMany({
    data: events.map((e) => ({
      ...(e.id ? { id: e.id } : {}),
      orgId,
      title: e.title,
      startsAt: e.startsAt,
      endsAt: new Date(e.startsAt.getTime() + (e.durationHours ?? 2) * 3600 * 1000),
      cancelledAt: e.cancelledAt ?? null,
    })),
  });
}

/** Many registrations in one statement. */
export async function buildRegistrations(
  db: Db,
  rows: { eventId: string; userId: string; status: RegistrationStatus; registeredAt: Date }[],
) {
  await db.registration.createMany({ data: rows });
}

export async function buildRegistration(
  db: Db,
  fields: { eventId: string; userId: string; status?: RegistrationStatus; registeredAt?: Date; checkedInAt?: Date | null },
) {
  return db.registration.create({
    data: {
      eventId: fields.eventId,
      userId: fields.userId,
      status: fields.status ?? "attended",
      registeredAt: fields.registeredAt ?? daysAgo(14),
      checkedInAt: fields.checkedInAt ?? null,
    },
  });
}

export interface EngagementFields {
  orgId: string;
  userId: string;
  level?: EngagementLevel;
  source?: EngagementSource;
  adminExplanation?: string;
  memberExplanation?: string;
  keyFactors?: string[];
  signals?: Prisma.InputJsonObject;
  inputsFingerprint?: string | null;
  computedAt?: Date;
  runId?: string | null;
  override?: { level: EngagementLevel; note?: string; by?: string | null; at?: Date; expiresAt?: Date | null };
}

/** Signals in the engagement package's shape, for rows whose signals a reader parses. */
export function buildSignals(fields: Prisma.InputJsonObject = {}): Prisma.InputJsonObject {
  return {
    tenureDays: 400,
    orgEvents30: 4,
    orgEvents90: 12,
    orgEvents180: 24,
    attended30: 2,
    attended90: 6,
    attended180: 12,
    registered90: 7,
    noShows90: 1,
    upcomingRegistrations: 1,
    lastAttendedDaysAgo: 5,
    previousLevel: null,
    ...fields,
  };
}

/** The member's current engagement row (what a run writes), optionally with an override already set. */
export async function buildMemberEngagement(db: Db, fields: EngagementFields) {
  const level = fields.level ?? "moderate";
  return db.memberEngagement.create({
    data: {
      orgId: fields.orgId,
      userId: fields.userId,
      level,
      source: fields.source ?? "rules",
      adminExplanation: fields.adminExplanation ?? `Admin note: rules chose ${level}.`,
      memberExplanation: fields.memberExplanation ?? "Thanks for being part of our community!",
      keyFactors: fields.keyFactors ?? ["Attended 6 of 12 events in 90 days"],
      signals: fields.signals ?? buildSignals(),
      inputsFingerprint: fields.inputsFingerprint === undefined ? `fp-${unique()}` : fields.inputsFingerprint,
      computedAt: fields.computedAt ?? new Date(),
      runId: fields.runId ?? null,
      overrideLevel: fields.override?.level ?? null,
      overrideNote: fields.override ? (fields.override.note ?? "set by a test") : null,
      overriddenBy: fields.override?.by ?? null,
      overriddenAt: fields.override ? (fields.override.at ?? new Date()) : null,
      overrideExpiresAt: fields.override?.expiresAt ?? null,
    },
  });
}

export async function buildRun(
  db: Db,
  fields: { orgId: string; status?: RunStatus; trigger?: RunTrigger; runKey?: string; membersTotal?: number; createdAt?: Date } & Partial<
    Record<"llmCalls" | "inputTokens" | "outputTokens" | "errors" | "rateLimitedResponses", number>
  > & {
      errorDetails?: Prisma.InputJsonObject;
      countsBySource?: Record<string, number>;
      countsByCarriedReason?: Record<string, number>;
    },
) {
  const { orgId, status, trigger, runKey, errorDetails, countsBySource, countsByCarriedReason, ...rest } = fields;
  return db.engagementRun.create({
    data: {
      orgId,
      status: status ?? "completed",
      trigger: trigger ?? "manual",
      runKey: runKey ?? `manual:${unique()}`,
      errorDetails: errorDetails ?? {},
      countsBySource: countsBySource ?? {},
      countsByCarriedReason: countsByCarriedReason ?? {},
      ...rest,
    },
  });
}

export async function buildSnapshot(
  db: Db,
  fields: { orgId: string; userId: string; runId: string; level?: EngagementLevel; source?: EngagementSource; createdAt?: Date },
) {
  return db.engagementSnapshot.create({
    data: {
      orgId: fields.orgId,
      userId: fields.userId,
      runId: fields.runId,
      level: fields.level ?? "moderate",
      source: fields.source ?? "rules",
      signals: buildSignals(),
      ...(fields.createdAt ? { createdAt: fields.createdAt } : {}),
    },
  });
}

export async function buildOverrideHistory(
  db: Db,
  fields: {
    orgId: string;
    userId: string;
    action?: OverrideAction;
    previousLevel?: EngagementLevel | null;
    newLevel?: EngagementLevel | null;
    note?: string | null;
    actorId?: string | null;
    createdAt?: Date;
  },
) {
  return db.engagementOverrideHistory.create({
    data: {
      orgId: fields.orgId,
      userId: fields.userId,
      action: fields.action ?? "set",
      previousLevel: fields.previousLevel ?? null,
      newLevel: fields.newLevel ?? null,
      note: fields.note ?? null,
      actorId: fields.actorId ?? null,
      ...(fields.createdAt ? { createdAt: fields.createdAt } : {}),
    },
  });
}
