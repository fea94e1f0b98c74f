// Attendance recorded after the fact, as a door list would: registrations of events that have now happened
// become attended or no-show. The night benchmark's simulated week writes each day's check-ins this way.
import type { Db } from "../client.ts";

export interface OpenRegistration {
  eventId: string;
  userId: string;
  orgId: string;
  startsAt: Date;
}

/** Registrations still "registered" for events (not cancelled) that start in [from, to). */
export async function listOpenRegistrations(db: Db, from: Date, to: Date): Promise<OpenRegistration[]> {
  return db.$queryRaw<OpenRegistration[]>`
    SELECT r.event_id AS "eventId", r.user_id AS "userId", e.org_id AS "orgId", e.starts_at AS "startsAt"
    FROM registrations r JOIN events e ON e.id = r.event_id
    WHERE r.status = 'registered' AND e.cancelled_at IS NULL AND e.starts_at >= ${from} AND e.starts_at < ${to}
    ORDER BY r.event_id, r.user_id`;
}

export interface CheckIn {
  eventId: string;
  userId: string;
  status: "attended" | "no_show";
  checkedInAt: Date | null;
}

/** Sets the outcome of existing registrations; returns how many rows changed. */
export async function recordCheckIns(db: Db, rows: CheckIn[]): Promise<number> {
  let changed = 0;
  for (let i = 0; i < rows.length; i += 5000) {
    const b = rows.slice(i, i + 5000);
    changed += await db.$executeRaw`
      UPDATE registrations r SET status = t.status::"RegistrationStatus", checked_in_at = t.checked_in_at
      FROM unnest(${b.map((x) => x.eventId)}::uuid[], ${b.map((x) => x.userId)}::uuid[], ${b.map((x) => x.status)}::text[],
                  ${b.map((x) => x.checkedInAt)}::timestamptz[]) AS t(event_id, user_id, status, checked_in_at)
      WHERE r.event_id = t.event_id AND r.user_id = t.user_id`;
  }
  return changed;
}
