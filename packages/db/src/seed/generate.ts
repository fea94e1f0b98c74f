// Demo data: organisations of different cadences, members of varied histories, 180 days of past events and a few
// upcoming ones. Deterministic for a given seed and "now".
import { DAY_MS, FIRST_NAMES, LAST_NAMES, type MemberShape, ORG_SHAPES, type OrgShape, pickMemberShape } from "./archetypes.ts";
import { createRandom, type Random } from "./random.ts";

export interface SeedOptions {
  orgs: number;
  members: number;
  seed: number;
  now: Date;
}

export interface SeedOrg {
  org: { id: string; name: string; slug: string; kind: string };
  users: { id: string; name: string; email: string }[];
  memberships: { id: string; userId: string; orgId: string; role: "admin" | "member"; joinedAt: Date; memberKind: string }[];
  events: { id: string; orgId: string; title: string; startsAt: Date; endsAt: Date; cancelledAt: Date | null }[];
  registrations: {
    id: string;
    eventId: string;
    userId: string;
    status: "registered" | "attended" | "no_show" | "cancelled";
    registeredAt: Date;
    checkedInAt: Date | null;
  }[];
}

const HISTORY_DAYS = 180;
const UPCOMING_DAYS = 30;

/** Yields one organisation at a time so 100 x 1,000 members never sit in memory at once. */
export function* generateSeed(options: SeedOptions): Generator<SeedOrg> {
  for (let o = 0; o < options.orgs; o++) {
    // One generator per org: adding orgs never changes the earlier ones.
    const r = createRandom(options.seed * 1_000_003 + o);
    const shape = ORG_SHAPES[o % ORG_SHAPES.length] as OrgShape;
    yield generateOrg(r, shape, o, options);
  }
}

function generateOrg(r: Random, shape: OrgShape, index: number, options: SeedOptions): SeedOrg {
  const now = options.now.getTime();
  const orgId = r.uuid();
  const name = `${shape.label} ${index + 1}`;
  const org = { id: orgId, name, slug: `${shape.kind}-${index + 1}`, kind: shape.kind };

  const events: SeedOrg["events"] = [];
  // Events at a fixed evening hour, cadence with a little jitter, from 180 days ago to 30 days ahead.
  for (let age = HISTORY_DAYS - r.int(0, shape.cadenceDays - 1); age > -UPCOMING_DAYS; age -= shape.cadenceDays) {
    const ageDays = age + r.int(-1, 1);
    if (shape.pausedForDays && ageDays < shape.pausedForDays) continue;
    const startsAt = new Date(Math.floor((now - ageDays * DAY_MS) / DAY_MS) * DAY_MS + 18 * 3_600_000);
    events.push({
      id: r.uuid(),
      orgId,
      title: `${shape.label} meetup #${events.length + 1}`,
      startsAt,
      endsAt: new Date(startsAt.getTime() + 2 * 3_600_000),
      cancelledAt: r.chance(0.04) ? new Date(startsAt.getTime() - 2 * DAY_MS) : null,
    });
  }

  const users: SeedOrg["users"] = [];
  const memberships: SeedOrg["memberships"] = [];
  const registrations: SeedOrg["registrations"] = [];
  for (let m = 0; m < options.members; m++) {
    const userId = r.uuid();
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    users.push({ id: userId, name: `${first} ${last}`, email: `member${m + 1}.${org.slug}@example.org` });
    const memberShape: MemberShape = m === 0 ? pickRegular() : pickMemberShape(r.next);
    const joinedAt = new Date(now - r.int(...memberShape.joinedDaysAgo) * DAY_MS - r.int(0, 86_399) * 1000);
    memberships.push({ id: r.uuid(), userId, orgId, role: m === 0 ? "admin" : "member", joinedAt, memberKind: memberShape.kind });
    for (const event of events) {
      if (event.startsAt < joinedAt) continue;
      const ageDays = (now - event.startsAt.getTime()) / DAY_MS;
      if (!r.chance(memberShape.register(ageDays))) continue;
      const registeredAt = new Date(Math.max(joinedAt.getTime(), event.startsAt.getTime() - r.int(1, 14) * DAY_MS));
      let status: SeedOrg["registrations"][number]["status"] = "registered";
      let checkedInAt: Date | null = null;
      if (event.cancelledAt) status = "cancelled";
      else if (event.endsAt.getTime() <= now) {
        if (r.chance(memberShape.attend(ageDays))) {
          status = "attended";
          checkedInAt = new Date(event.startsAt.getTime() + r.int(-10, 20) * 60_000);
        } else {
          // Some organisations mark no-shows, others leave the registration as it was.
          status = r.chance(0.6) ? "no_show" : "registered";
        }
      } else if (r.chance(0.05)) status = "cancelled";
      registrations.push({ id: r.uuid(), eventId: event.id, userId, status, registeredAt, checkedInAt });
    }
  }
  return { org, users, memberships, events, registrations };
}

/** The admin of each organisation is a regular attendee. */
function pickRegular(): MemberShape {
  return { kind: "regular", weight: 0, joinedDaysAgo: [400, 1500], register: () => 0.9, attend: () => 0.95 };
}
