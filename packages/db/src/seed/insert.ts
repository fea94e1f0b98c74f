// Bulk insert of generated data: multi-row INSERT ... SELECT FROM unnest(...) in batches, not row by row.
import type { Db } from "../client.ts";
import type { SeedOrg } from "./generate.ts";

const BATCH = 5000;

async function inBatches<T>(rows: T[], insert: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += BATCH) await insert(rows.slice(i, i + BATCH));
}

export async function insertSeedOrg(db: Db, data: SeedOrg): Promise<void> {
  const { org } = data;
  await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`INSERT INTO organizations (id, name, slug) VALUES (${org.id}::uuid, ${org.name}, ${org.slug})`;
      await inBatches(
        data.users,
        (b) => tx.$executeRaw`
        INSERT INTO users (id, name, email)
        SELECT * FROM unnest(${b.map((u) => u.id)}::uuid[], ${b.map((u) => u.name)}::text[], ${b.map((u) => u.email)}::text[])`,
      );
      await inBatches(
        data.memberships,
        (b) => tx.$executeRaw`
        INSERT INTO memberships (id, user_id, org_id, role, status, joined_at)
        SELECT id, user_id, org_id, role::"MembershipRole", 'active', joined_at
        FROM unnest(${b.map((m) => m.id)}::uuid[], ${b.map((m) => m.userId)}::uuid[], ${b.map((m) => m.orgId)}::uuid[],
                    ${b.map((m) => m.role)}::text[], ${b.map((m) => m.joinedAt)}::timestamptz[])
             AS t(id, user_id, org_id, role, joined_at)`,
      );
      await inBatches(
        data.events,
        (b) => tx.$executeRaw`
        INSERT INTO events (id, org_id, title, starts_at, ends_at, cancelled_at)
        SELECT * FROM unnest(${b.map((e) => e.id)}::uuid[], ${b.map((e) => e.orgId)}::uuid[], ${b.map((e) => e.title)}::text[],
                             ${b.map((e) => e.startsAt)}::timestamptz[], ${b.map((e) => e.endsAt)}::timestamptz[],
                             ${b.map((e) => e.cancelledAt)}::timestamptz[])`,
      );
      await inBatches(
        data.registrations,
        (b) => tx.$executeRaw`
        INSERT INTO registrations (id, event_id, user_id, status, registered_at, checked_in_at)
        SELECT id, event_id, user_id, status::"RegistrationStatus", registered_at, checked_in_at
        FROM unnest(${b.map((x) => x.id)}::uuid[], ${b.map((x) => x.eventId)}::uuid[], ${b.map((x) => x.userId)}::uuid[],
                    ${b.map((x) => x.status)}::text[], ${b.map((x) => x.registeredAt)}::timestamptz[],
                    ${b.map((x) => x.checkedInAt)}::timestamptz[])
             AS t(id, event_id, user_id, status, registered_at, checked_in_at)`,
      );
    },
    { timeout: 120_000 },
  );
}

/** Empties every table (demo reseeding). */
export async function truncateAll(db: Db): Promise<void> {
  await db.$executeRawUnsafe(
    `TRUNCATE engagement_snapshots, engagement_override_history, member_engagements, engagement_runs,
              registrations, events, memberships, users, organizations CASCADE`,
  );
}
