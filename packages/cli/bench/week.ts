// Mode d, a simulated week: a first (cold) night, then seven nights on successive dates. Before each night the
// events of the day before are settled as a door list would: each registration still open becomes attended
// (80 %) or a no-show. Weekly clubs meet every week, fortnightly circles every other week and monthly associations
// mostly not in a given week (the seed's cadences), so the share of members with new attendance varies per day.
import { type Db, listOpenRegistrations, recordCheckIns } from "@engagement/db";
import { seededChance } from "./fake-options.ts";
import type { NightContext, NightResult } from "./night-run.ts";
import { runNight } from "./night-run.ts";

export const DAY_MS = 86_400_000;
/** The nightly tick's hour (UTC), as NIGHTLY_CRON's default "0 4 * * *". */
export const NIGHT_HOUR_MS = 4 * 3_600_000;

export interface WeekNight {
  night: number;
  result: NightResult;
  checkIns: number;
  membersWithNewAttendance: number;
  orgsMeeting: number;
  /** Fake stats of this night alone (the fake runs all week). */
  answered: number;
  rateLimited: number;
}

export async function settleDay(db: Db, from: Date, to: Date, seed: number) {
  const open = await listOpenRegistrations(db, from, to);
  const chance = seededChance(seed);
  const rows = open.map((r) => {
    const attended = chance() < 0.8;
    return {
      eventId: r.eventId,
      userId: r.userId,
      status: attended ? ("attended" as const) : ("no_show" as const),
      checkedInAt: attended ? new Date(r.startsAt.getTime() + 5 * 60_000) : null,
    };
  });
  await recordCheckIns(db, rows);
  return {
    checkIns: rows.length,
    members: new Set(rows.filter((r) => r.status === "attended").map((r) => r.userId)).size,
    orgs: new Set(open.map((r) => r.orgId)).size,
  };
}

/** Runs night 0 (cold) and nights 1..7; `day0` is the seed's "now" (a midnight UTC). */
export async function runWeek(ctx: NightContext, day0: Date, log: (line: string) => void, nextDay: () => void): Promise<WeekNight[]> {
  const nights: WeekNight[] = [];
  let before = ctx.fake.stats();
  for (let n = 0; n <= 7; n++) {
    const due = new Date(day0.getTime() + n * DAY_MS + NIGHT_HOUR_MS);
    if (n > 0) nextDay();
    const settled = n === 0 ? { checkIns: 0, members: 0, orgs: 0 } : await settleDay(ctx.db, new Date(due.getTime() - DAY_MS), due, n);
    const result = await runNight(ctx, due, `week-${n}`, null);
    // The week's fake runs on a clock a day ahead per night: its arrival times do not line up with the tick.
    result.timeline = [];
    const after = ctx.fake.stats();
    nights.push({
      night: n,
      result,
      checkIns: settled.checkIns,
      membersWithNewAttendance: settled.members,
      orgsMeeting: settled.orgs,
      answered: after.answered - before.answered,
      rateLimited: after.rateLimited - before.rateLimited,
    });
    before = after;
    log(`  week night ${n} (${result.runDate}): ${(result.wallMs / 1000).toFixed(1)} s, ${nights.at(-1)?.answered} LLM requests`);
  }
  return nights;
}
