// Events and attendance from the organisation's own system, keyed by its external ids; the same rows sent twice
// change nothing. Like the member import: checked as a whole, then written in one transaction, all or nothing
// unless `partial` applies the good rows.
import type { Db, DbTx } from "../client.ts";
import type { RegistrationStatus } from "../generated/prisma/enums.ts";
import {
  type ImportCounts,
  type ImportOptions,
  type ImportResult,
  type ImportRowError,
  importTransaction,
  lockOrgImports,
  repeats,
} from "./member-import.ts";

export interface EventImportRow {
  externalId: string;
  title: string;
  startsAt: Date;
  endsAt: Date;
  cancelledAt: Date | null;
}

export interface AttendanceImportRow {
  eventExternalId: string;
  memberExternalId: string;
  status: RegistrationStatus;
  registeredAt: Date;
  checkedInAt: Date | null;
}

const same = (a: Date | null, b: Date | null) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

export async function importEvents(db: Db | DbTx, orgId: string, rows: EventImportRow[], options: ImportOptions): Promise<ImportResult> {
  return importTransaction(db, options.dryRun ?? false, async (tx) => {
    await lockOrgImports(tx, orgId);
    const errors = repeats(rows, (r) => r.externalId, "externalId", "repeats an earlier row's key");
    if (errors.length > 0 && !options.partial) return { inserted: 0, updated: 0, unchanged: 0, errors, applied: false };
    const bad = new Set(errors.map((e) => e.index));
    const good = rows.filter((_, i) => !bad.has(i));
    const existing = new Map(
      (await tx.event.findMany({ where: { orgId, externalId: { in: good.map((r) => r.externalId) } } })).map((e) => [
        e.externalId as string,
        e,
      ]),
    );
    const counts: ImportCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const inserts = good.filter((r) => !existing.has(r.externalId));
    if (inserts.length > 0) await tx.event.createMany({ data: inserts.map((r) => ({ orgId, ...r })) });
    counts.inserted = inserts.length;
    for (const r of good) {
      const e = existing.get(r.externalId);
      if (!e) continue;
      if (e.title === r.title && same(e.startsAt, r.startsAt) && same(e.endsAt, r.endsAt) && same(e.cancelledAt, r.cancelledAt)) {
        counts.unchanged++;
        continue;
      }
      await tx.event.update({
        where: { id: e.id },
        data: { title: r.title, startsAt: r.startsAt, endsAt: r.endsAt, cancelledAt: r.cancelledAt },
      });
      counts.updated++;
    }
    return { ...counts, errors, applied: true };
  });
}

export async function importAttendance(
  db: Db | DbTx,
  orgId: string,
  rows: AttendanceImportRow[],
  options: ImportOptions,
): Promise<ImportResult> {
  return importTransaction(db, options.dryRun ?? false, async (tx) => {
    await lockOrgImports(tx, orgId);
    const errors = repeats(
      rows,
      (r) => `${r.eventExternalId}\u0000${r.memberExternalId}`,
      "memberExternalId",
      "repeats an earlier row's key",
    );
    const [events, members] = await Promise.all([
      tx.event.findMany({
        where: { orgId, externalId: { in: rows.map((r) => r.eventExternalId) } },
        select: { id: true, externalId: true },
      }),
      tx.membership.findMany({
        where: { orgId, externalId: { in: rows.map((r) => r.memberExternalId) } },
        select: { userId: true, externalId: true },
      }),
    ]);
    const eventIds = new Map(events.map((e) => [e.externalId as string, e.id]));
    const userIds = new Map(members.map((m) => [m.externalId as string, m.userId]));
    const bad = new Set(errors.map((e) => e.index));
    const resolved: { index: number; row: AttendanceImportRow; eventId: string; userId: string }[] = [];
    rows.forEach((row, index) => {
      if (bad.has(index)) return;
      const eventId = eventIds.get(row.eventExternalId);
      const userId = userIds.get(row.memberExternalId);
      if (!eventId) errors.push({ index, field: "eventExternalId", message: "no event of this organisation has this external id" });
      if (!userId) errors.push({ index, field: "memberExternalId", message: "no member of this organisation has this external id" });
      if (eventId && userId) resolved.push({ index, row, eventId, userId });
    });
    errors.sort((a, b) => a.index - b.index);
    if (errors.length > 0 && !options.partial) return { inserted: 0, updated: 0, unchanged: 0, errors, applied: false };

    const existing = await tx.registration.findMany({
      where: { OR: resolved.map((r) => ({ eventId: r.eventId, userId: r.userId })) },
      select: { id: true, eventId: true, userId: true, status: true, registeredAt: true, checkedInAt: true },
    });
    const byKey = new Map(existing.map((e) => [`${e.eventId}:${e.userId}`, e]));
    const counts: ImportCounts = { inserted: 0, updated: 0, unchanged: 0 };
    const inserts = resolved.filter((r) => !byKey.has(`${r.eventId}:${r.userId}`));
    if (inserts.length > 0) {
      await tx.registration.createMany({
        data: inserts.map((r) => ({
          eventId: r.eventId,
          userId: r.userId,
          status: r.row.status,
          registeredAt: r.row.registeredAt,
          checkedInAt: r.row.checkedInAt,
        })),
      });
    }
    counts.inserted = inserts.length;
    for (const r of resolved) {
      const e = byKey.get(`${r.eventId}:${r.userId}`);
      if (!e) continue;
      if (e.status === r.row.status && same(e.registeredAt, r.row.registeredAt) && same(e.checkedInAt, r.row.checkedInAt)) {
        counts.unchanged++;
        continue;
      }
      await tx.registration.update({
        where: { id: e.id },
        data: { status: r.row.status, registeredAt: r.row.registeredAt, checkedInAt: r.row.checkedInAt },
      });
      counts.updated++;
    }
    return { ...counts, errors, applied: true };
  });
}
