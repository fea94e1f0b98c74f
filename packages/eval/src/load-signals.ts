// Turns each labelled history into rows and computes its signals with the production SQL (computeSignals).
// Each history gets its own organisation, so histories never see each other's events.
import { randomUUID } from "node:crypto";
import { computeSignals, type Db } from "@engagement/db";
import { buildEvents, buildMember, buildMemberEngagement, buildOrg, buildRegistrations } from "@engagement/db/testing";
import type { EngagementSignals } from "@engagement/engagement";
import type { HistorySet, MemberHistory } from "./histories.ts";

const DAY_MS = 86_400_000;
const EVENT_HOURS = 2;

export interface LoadedHistory {
  history: MemberHistory;
  signals: EngagementSignals;
}

async function insertHistory(db: Db, history: MemberHistory, asOf: Date): Promise<{ orgId: string; userId: string }> {
  const at = (daysAgo: number) => new Date(asOf.getTime() - daysAgo * DAY_MS);
  const orgId = (await buildOrg(db)).id;
  const userId = (await buildMember(db, orgId, { joinedAt: at(history.joinedDaysAgo) })).user.id;
  const events = history.events.map((e) => ({ ...e, id: randomUUID(), startsAt: at(e.daysAgo) }));
  await buildEvents(
    db,
    orgId,
    events.map((e) => ({
      id: e.id,
      title: `Event ${e.daysAgo} days before asOf`,
      startsAt: e.startsAt,
      durationHours: EVENT_HOURS,
      cancelledAt: e.cancelled ? new Date(e.startsAt.getTime() - DAY_MS) : null,
    })),
  );
  await buildRegistrations(
    db,
    events.flatMap((e) =>
      e.registration === null
        ? []
        : [{ eventId: e.id, userId, status: e.registration, registeredAt: new Date(e.startsAt.getTime() - 7 * DAY_MS) }],
    ),
  );
  if (history.previousLevel !== null) {
    await buildMemberEngagement(db, { orgId, userId, level: history.previousLevel, computedAt: at(7) });
  }
  return { orgId, userId };
}

/** Signals of every history at the set's asOf, in the set's order; a few histories are loaded at a time. */
export async function loadHistorySignals(db: Db, set: HistorySet, concurrency = 4): Promise<LoadedHistory[]> {
  const asOf = new Date(set.asOf);
  const out: LoadedHistory[] = new Array(set.histories.length);
  let next = 0;
  async function worker() {
    while (next < set.histories.length) {
      const index = next++;
      const history = set.histories[index] as MemberHistory;
      const { orgId, userId } = await insertHistory(db, history, asOf);
      const [row] = await computeSignals(db, orgId, asOf, [userId]);
      if (!row) throw new Error(`history ${history.id}: computeSignals returned no row`);
      out[index] = { history, signals: row.signals };
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
