// Writes histories.json: `pnpm --filter @engagement/eval exec tsx src/build-histories.ts`. Every label below is worked out by hand from the events
// (the comment or the family's rule says why); the rubric is never run here, so the evaluation can disagree.
import { writeFileSync } from "node:fs";
import type { EngagementLevel, RubricStep } from "@engagement/engagement";
import { HISTORIES_PATH, type HistorySet, type MemberHistory } from "./histories.ts";

type Status = "registered" | "attended" | "no_show" | "cancelled";
type Event = MemberHistory["events"][number];

const AS_OF = "2026-03-01T12:00:00.000Z";

/** Event days: `count` events every `step` days starting `first` days ago. */
const every = (first: number, step: number, count: number) => Array.from({ length: count }, (_, i) => first + i * step);

/**
 * STANDARD: a weekly organisation, events at 4, 11, …, 179 days ago (26 in 180 days, 13 in 90: 4…88, 4 in 30:
 * 4…25; the previous 90 days hold 95…179) and one upcoming event 3 days ahead.
 */
const STANDARD = [...every(4, 7, 26), -3];
/** EVEN: 12 events in 90 days (5…82), so "half" is a whole number. */
const EVEN = [...every(5, 7, 12), -4];
/** PAUSED: events only 95…179 days ago, then nothing (an organisation that stopped), one upcoming. */
const PAUSED = [...every(95, 7, 13), -10];

type Pattern = Record<number, Status>;

function history(events: Pattern & { cancelled?: number[] }, days: number[]): Event[] {
  const cancelled = new Set(events.cancelled ?? []);
  const all = [...new Set([...days, ...cancelled])].sort((a, b) => b - a);
  return all.map((d) => ({ daysAgo: d, cancelled: cancelled.has(d), registration: (events as Pattern)[d] ?? null }));
}

/** The member's registrations with one status on many days. */
const on = (status: Status, days: number[]): Pattern => Object.fromEntries(days.map((d) => [d, status]));

const cases: MemberHistory[] = [];
function add(
  id: string,
  expectedLevel: EngagementLevel,
  expectedStep: RubricStep,
  description: string,
  spec: { joined?: number; previous?: EngagementLevel | null; days?: number[]; regs?: Pattern; cancelled?: number[] },
) {
  cases.push({
    id,
    description,
    expectedLevel,
    expectedStep,
    joinedDaysAgo: spec.joined ?? 400,
    previousLevel: spec.previous ?? null,
    events: history({ ...(spec.regs ?? {}), cancelled: spec.cancelled ?? [] }, spec.days ?? STANDARD),
  });
}

// 1. new_member: tenure < 30 whatever else holds.
for (const joined of [0.2, 1, 7, 14, 21, 28]) {
  add(`new-tenure-${Math.floor(joined)}`, "new", "new_member", `Joined ${joined} days ago and attended every event since.`, {
    joined,
    regs: on(
      "attended",
      every(4, 7, 4).filter((d) => d < joined),
    ),
  });
}
add("new-tenure-29-boundary", "new", "new_member", "Tenure 29.9 days is 29 whole days: still new, though attending all.", {
  joined: 29.9,
  regs: on("attended", [4, 11, 18, 25]),
});
add("new-tenure-29-no-shows", "new", "new_member", "Joined 29 days ago and missed every event: new members are never judged.", {
  joined: 29.5,
  regs: on("no_show", [4, 11, 18, 25]),
});
add("new-upcoming-only", "new", "new_member", "Joined 15 days ago, only an upcoming registration.", {
  joined: 15,
  regs: on("registered", [-3]),
});
add("new-in-paused-org", "new", "new_member", "Joined 10 days ago in an organisation without recent events.", { joined: 10, days: PAUSED });
add("new-with-previous-at-risk", "new", "new_member", "Joined 20 days ago; a stale previous level does not matter.", {
  joined: 20,
  previous: "at_risk",
});
add("new-never-attended", "new", "new_member", "Joined 29.99 days ago, never registered.", { joined: 29.99 });

// Tenure boundary: 30 whole days is judged.
add("tenure-30-attends-since-joining", "moderate", "default_moderate", "Tenure 30: attended 4 of 13 events (under half).", {
  joined: 30.5,
  regs: on("attended", [4, 11, 18, 25]),
});
add("tenure-30-never-attended", "inactive", "no_attendance", "Tenure exactly 30 days, no attendance, nothing upcoming.", { joined: 30 });
add("tenure-30-upcoming-only", "at_risk", "no_attendance", "Tenure 30, no attendance but registered for the next event.", {
  joined: 30,
  regs: on("registered", [-3]),
});

// 2. no_opportunity: no countable events in 90 days → previous level carried, else moderate.
const carried: [EngagementLevel | null, EngagementLevel][] = [
  ["highly_engaged", "highly_engaged"],
  ["moderate", "moderate"],
  ["at_risk", "at_risk"],
  ["inactive", "inactive"],
  ["new", "moderate"],
  [null, "moderate"],
];
for (const [previous, expected] of carried) {
  const p = previous ?? "none";
  add(`paused-prev-${p}-was-regular`, expected, "no_opportunity", `Paused org; attended every earlier event; previous ${p}.`, {
    days: PAUSED,
    previous,
    regs: on("attended", every(95, 7, 13)),
  });
  add(`paused-prev-${p}-never-came`, expected, "no_opportunity", `Paused org; never attended; previous ${p}.`, { days: PAUSED, previous });
}
add(
  "paused-upcoming-prev-inactive",
  "inactive",
  "no_opportunity",
  "Paused org; an upcoming registration does not override the carried level.",
  {
    days: PAUSED,
    previous: "inactive",
    regs: on("registered", [-10]),
  },
);
add(
  "paused-only-cancelled-in-window-prev-at-risk",
  "at_risk",
  "no_opportunity",
  "Every event in 90 days was cancelled: still no opportunity.",
  {
    days: PAUSED,
    cancelled: [5, 30, 60],
    previous: "at_risk",
    regs: on("attended", [5, 30, 60]),
  },
);
add("paused-only-cancelled-in-window-no-prev", "moderate", "no_opportunity", "Only cancelled events in 90 days, no previous level.", {
  days: PAUSED,
  cancelled: [20, 40],
});
add("paused-edge-90-days", "moderate", "no_opportunity", "Last event started exactly 90 days ago: outside the window.", {
  days: [90, 97, 104],
  regs: on("attended", [90, 97, 104]),
});
add("org-without-events", "moderate", "no_opportunity", "The organisation never held an event.", { days: [] });

// 3. no_attendance: nothing attended in 90 days → at_risk with an upcoming registration, else inactive.
add("never-attended", "inactive", "no_attendance", "Never registered for anything.", {});
add("never-attended-prev-highly", "inactive", "no_attendance", "No attendance in 90 days; the previous level is not carried.", {
  previous: "highly_engaged",
});
add("upcoming-only", "at_risk", "no_attendance", "No attendance, registered for the upcoming event.", { regs: on("registered", [-3]) });
add("upcoming-two", "at_risk", "no_attendance", "No attendance, two upcoming registrations.", {
  days: [...STANDARD, -10],
  regs: on("registered", [-3, -10]),
});
add("upcoming-cancelled-registration", "inactive", "no_attendance", "Cancelled their upcoming registration.", {
  regs: on("cancelled", [-3]),
});
add("upcoming-cancelled-event", "inactive", "no_attendance", "Registered only for an upcoming event that was cancelled.", {
  cancelled: [-8],
  regs: on("registered", [-8]),
});
add("lapsed-after-prior-90", "inactive", "no_attendance", "Attended every event 91–180 days ago, none since.", {
  regs: on("attended", every(95, 7, 13)),
});
add("lapsed-after-prior-90-upcoming", "at_risk", "no_attendance", "Lapsed regular with an upcoming registration.", {
  regs: { ...on("attended", every(95, 7, 13)), [-3]: "registered" },
});
add("attended-exactly-90-days-ago", "inactive", "no_attendance", "Only attendance was exactly 90 days ago: outside the window.", {
  days: [...STANDARD, 90],
  regs: on("attended", [90]),
});
add("all-no-shows", "inactive", "no_attendance", "Registered for six events in 90 days, marked no-show at each.", {
  regs: on("no_show", [4, 11, 18, 25, 32, 39]),
});
add("registered-never-marked", "inactive", "no_attendance", "Registrations left as 'registered' after the events ended.", {
  regs: on("registered", [4, 11, 18]),
});
add("attended-only-cancelled-events", "inactive", "no_attendance", "Marked attended only at events that were cancelled.", {
  cancelled: [6, 20],
  regs: on("attended", [6, 20]),
});
add("no-shows-with-upcoming", "at_risk", "no_attendance", "No-shows only, but registered for the next event.", {
  regs: { ...on("no_show", [4, 11]), [-3]: "registered" },
});
add("cancelled-registrations-only", "inactive", "no_attendance", "Cancelled registrations only in 90 days.", {
  regs: on("cancelled", [4, 11, 18]),
});

// 4a. Declining: prior90 = attended180 - attended90 ≥ 2 and attended90 ≤ prior90 / 2.
const prior = (n: number) => every(95, 7, n);
const recent = (n: number) => every(4, 7, n);
const declining: [number, number, EngagementLevel, RubricStep][] = [
  [2, 1, "at_risk", "at_risk_signals"], // 1 ≤ 1
  [1, 1, "moderate", "default_moderate"], // prior 1 < 2: no decline
  [3, 1, "at_risk", "at_risk_signals"], // 1 ≤ 1.5
  [3, 2, "moderate", "default_moderate"], // 2 > 1.5
  [4, 2, "at_risk", "at_risk_signals"], // exactly half
  [4, 3, "moderate", "default_moderate"], // 3 > 2, and 3 < 6.5 of 13
  [6, 3, "at_risk", "at_risk_signals"], // exactly half
  [13, 6, "at_risk", "at_risk_signals"], // 6 ≤ 6.5
  [13, 7, "highly_engaged", "highly_engaged"], // 7 > 6.5 and 7 ≥ half of 13, last 4 days ago
  [2, 2, "moderate", "default_moderate"], // steady
];
for (const [p, now, expected, step] of declining) {
  add(`prior-${p}-now-${now}`, expected, step, `Attended ${p} events 91–180 days ago and ${now} in the last 90 (latest 4 days ago).`, {
    regs: on("attended", [...prior(p), ...recent(now)]),
  });
}

// 4b. Recency: at_risk when the last attendance was more than 45 days ago.
for (const d of [46, 53, 60, 67, 74, 81, 88]) {
  add(`only-attended-${d}-days-ago`, "at_risk", "at_risk_signals", `Single attendance ${d} days ago (> 45).`, {
    regs: on("attended", [d]),
  });
}
for (const d of [4, 11, 18, 25, 32, 39]) {
  add(`only-attended-${d}-days-ago`, "moderate", "default_moderate", `Single attendance ${d} days ago (≤ 45), 1 of 13.`, {
    regs: on("attended", [d]),
  });
}
add("last-attended-45-days", "moderate", "default_moderate", "Last attendance exactly 45 days ago: not over the line.", {
  days: [...STANDARD, 45],
  regs: on("attended", [45, 53, 60]),
});
add("last-attended-45-9-days", "moderate", "default_moderate", "Last attendance 45.9 days ago is 45 whole days.", {
  days: [...STANDARD, 45.9],
  regs: on("attended", [45.9]),
});
add("last-attended-46-many-before", "at_risk", "at_risk_signals", "Seven attendances, the latest 46 days ago.", {
  regs: on("attended", every(46, 7, 7)),
});
add(
  "last-attended-46-ignores-cancelled-later",
  "at_risk",
  "at_risk_signals",
  "Attended 46 days ago; a later 'attendance' was at a cancelled event.",
  {
    cancelled: [10],
    regs: on("attended", [46, 10]),
  },
);

// 4c. No-shows: noShows90 ≥ 2 and ≥ half of registered90 (registered = any status but cancelled).
add("no-shows-2-of-4", "at_risk", "at_risk_signals", "Attended 2, no-show at 2: ratio exactly 0.5.", {
  regs: { ...on("attended", [4, 11]), ...on("no_show", [18, 25]) },
});
add("no-shows-2-of-5", "moderate", "default_moderate", "Attended 3, no-show at 2: ratio 0.4.", {
  regs: { ...on("attended", [4, 11, 18]), ...on("no_show", [25, 32]) },
});
add("no-shows-1-of-2", "moderate", "default_moderate", "One no-show is below the minimum count even at ratio 0.5.", {
  regs: { ...on("attended", [4]), ...on("no_show", [11]) },
});
add("no-shows-3-of-4", "at_risk", "at_risk_signals", "Attended 1, no-show at 3.", {
  regs: { ...on("attended", [11]), ...on("no_show", [4, 18, 25]) },
});
add("unmarked-no-shows-2-of-4", "at_risk", "at_risk_signals", "Two registrations never marked after the event ended count as no-shows.", {
  regs: { ...on("attended", [4, 11]), ...on("registered", [18, 25]) },
});
add("mixed-no-shows-2-of-4", "at_risk", "at_risk_signals", "One marked no-show plus one never marked.", {
  regs: { ...on("attended", [4, 11]), 18: "no_show", 25: "registered" },
});
add(
  "cancelled-registrations-not-registered",
  "at_risk",
  "at_risk_signals",
  "2 no-shows of 4 registrations; 2 cancelled registrations do not count.",
  {
    regs: { ...on("attended", [4, 11]), ...on("no_show", [18, 25]), ...on("cancelled", [32, 39]) },
  },
);
add("no-shows-at-cancelled-events", "moderate", "default_moderate", "No-shows at cancelled events never count.", {
  cancelled: [20, 27],
  regs: { ...on("attended", [4, 11, 18]), ...on("no_show", [20, 27]) },
});
add("no-shows-before-90-days", "moderate", "default_moderate", "No-shows 91–180 days ago are outside the window.", {
  regs: { ...on("attended", [4, 11, 18]), ...on("no_show", [95, 102, 109]) },
});
add(
  "registered-for-event-under-way",
  "moderate",
  "default_moderate",
  "A registration for an event starting at asOf has not ended: not a no-show.",
  {
    days: [...STANDARD, 0],
    regs: { ...on("attended", [4, 11]), ...on("no_show", [25]), ...on("registered", [0]) },
  },
);
add("all-three-triggers", "at_risk", "at_risk_signals", "Declining, last seen 60 days ago and mostly no-shows.", {
  regs: { ...on("attended", [...prior(6), 60]), ...on("no_show", [4, 11, 18]) },
});
add("highly-numbers-but-no-shows", "at_risk", "at_risk_signals", "Attended 3 of 6 events but no-show at the other 3.", {
  days: [2, 12, 22, 32, 42, 52],
  regs: { ...on("attended", [2, 12, 22]), ...on("no_show", [32, 42, 52]) },
});

// 5. highly_engaged: attended90 ≥ 3, ≥ half of orgEvents90, last attendance ≤ 30 days ago.
for (let n = 1; n <= 13; n++) {
  // Attends the n most recent of the 13 events: last 4 days ago, no prior attendance, no no-shows.
  const level: EngagementLevel = n >= 7 ? "highly_engaged" : "moderate";
  add(`recent-${n}-of-13`, level, n >= 7 ? "highly_engaged" : "default_moderate", `Attended the ${n} latest of 13 events.`, {
    regs: on("attended", recent(n)),
  });
}
add("even-6-of-12", "highly_engaged", "highly_engaged", "Attended exactly half of 12 events.", {
  days: EVEN,
  regs: on("attended", every(5, 7, 6)),
});
add("even-5-of-12", "moderate", "default_moderate", "Attended 5 of 12 events, just under half.", {
  days: EVEN,
  regs: on("attended", every(5, 7, 5)),
});
add("three-of-four", "highly_engaged", "highly_engaged", "Small org: 3 of 4 events, the minimum count.", {
  days: [2, 12, 22, 32],
  regs: on("attended", [2, 12, 22]),
});
add("two-of-four", "moderate", "default_moderate", "Small org: 2 of 4 is half but under the minimum of 3.", {
  days: [2, 12, 22, 32],
  regs: on("attended", [2, 12]),
});
add("three-of-six-with-2-no-shows", "highly_engaged", "highly_engaged", "3 of 6 attended, 2 no-shows of 5 registrations.", {
  days: [2, 12, 22, 32, 42, 52],
  regs: { ...on("attended", [2, 12, 22]), ...on("no_show", [32, 42]) },
});
add("last-attended-30-days", "highly_engaged", "highly_engaged", "3 of 6 events, the latest exactly 30 days ago.", {
  days: every(30, 7, 6),
  regs: on("attended", [30, 37, 44]),
});
add("last-attended-31-days", "moderate", "default_moderate", "3 of 6 events, the latest 31 days ago.", {
  days: every(31, 7, 6),
  regs: on("attended", [31, 38, 45]),
});
add("every-event-180-days", "highly_engaged", "highly_engaged", "Attended all 26 events.", { regs: on("attended", every(4, 7, 26)) });
add("regular-one-no-show", "highly_engaged", "highly_engaged", "12 of 13 attended, one no-show.", {
  regs: { ...on("attended", every(4, 7, 12)), 88: "no_show" },
});
add("regular-two-no-shows", "highly_engaged", "highly_engaged", "11 of 13 attended, two no-shows (ratio 2/13).", {
  regs: { ...on("attended", every(4, 7, 11)), ...on("no_show", [81, 88]) },
});
add("cancelled-events-not-in-denominator", "highly_engaged", "highly_engaged", "4 of 8 held events (4 more were cancelled).", {
  days: every(4, 10, 8),
  cancelled: [9, 19, 29, 39],
  regs: on("attended", [4, 14, 24, 34]),
});
add("highly-with-upcoming", "highly_engaged", "highly_engaged", "Regular attender already registered for the next event.", {
  regs: { ...on("attended", every(4, 7, 10)), [-3]: "registered" },
});
add("highly-previous-at-risk", "highly_engaged", "highly_engaged", "Came back strongly; the previous level does not matter.", {
  previous: "at_risk",
  regs: on("attended", every(4, 7, 9)),
});
add(
  "highly-attended-at-as-of",
  "highly_engaged",
  "highly_engaged",
  "Attending the event starting at asOf counts, last attended 0 days ago.",
  {
    days: [0, 7, 14, 21, 28, 35],
    regs: on("attended", [0, 7, 14]),
  },
);

// 6. default_moderate: attends, no risk signal, not enough for highly engaged.
add("occasional-spread", "moderate", "default_moderate", "Attended 3 of 13, spread over the quarter.", {
  regs: on("attended", [4, 32, 60]),
});
add("moderate-previous-highly", "moderate", "default_moderate", "Half-hearted quarter after a strong one (5 vs 6: no decline).", {
  previous: "highly_engaged",
  regs: on("attended", [...prior(6), ...recent(5)]),
});
add("moderate-one-no-show", "moderate", "default_moderate", "Attended 4, one no-show.", {
  regs: { ...on("attended", recent(4)), 60: "no_show" },
});
add("moderate-with-upcoming", "moderate", "default_moderate", "Attended 2 with a registration for the next event.", {
  regs: { ...on("attended", [11, 25]), [-3]: "registered" },
});

const set: HistorySet = { asOf: AS_OF, histories: cases };
// One line per event keeps the file reviewable: a history reads top to bottom like a calendar.
const json = JSON.stringify(set, null, 1).replace(
  /\{\n\s*("daysAgo": [^,]+),\n\s*("cancelled": \w+),\n\s*("registration": [^\n]+)\n\s*\}/g,
  "{ $1, $2, $3 }",
);
writeFileSync(HISTORIES_PATH, `${json}\n`);
console.log(`wrote ${cases.length} histories to ${HISTORIES_PATH.pathname}`);
