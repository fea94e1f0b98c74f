// Worked examples for the system prompt. They calibrate the model on the cases the rubric leaves to judgement
// (steps 4-6), including when to depart from the suggestion. They also make the system prompt + tool definition
// (about 4,600 tokens) long enough to be cached on every model this project may be pointed at: Anthropic only
// caches a prefix above a model-specific minimum, 512 tokens on the default Claude Haiku 5.5 but 4,096 on
// Haiku 4.5 (platform documentation, Prompt caching), and a shorter prefix is silently not cached.

import type { JudgedLevel } from "./levels.ts";
import { DEFAULT_THRESHOLDS, evaluateRubric, type RubricThresholds } from "./rubric.ts";
import type { EngagementSignals } from "./signals.ts";

type Spec = Partial<EngagementSignals> & { judge?: JudgedLevel; why?: string };

const BASE: EngagementSignals = {
  tenureDays: 420,
  orgEvents30: 4,
  orgEvents90: 12,
  orgEvents180: 24,
  attended30: 2,
  attended90: 5,
  attended180: 10,
  registered90: 6,
  noShows90: 1,
  upcomingRegistrations: 1,
  lastAttendedDaysAgo: 8,
  previousLevel: "moderate",
};

/** Hand-picked situations; `judge`/`why` mark the departures a careful reader would make. */
const SPECS: Spec[] = [
  {
    attended30: 4,
    attended90: 11,
    attended180: 22,
    registered90: 11,
    noShows90: 0,
    lastAttendedDaysAgo: 2,
    previousLevel: "highly_engaged",
  },
  { attended30: 3, attended90: 8, attended180: 14, registered90: 9, noShows90: 1, lastAttendedDaysAgo: 5 },
  { attended30: 1, attended90: 6, attended180: 12, registered90: 7, noShows90: 1, lastAttendedDaysAgo: 20 },
  {
    attended30: 0,
    attended90: 6,
    attended180: 12,
    registered90: 6,
    noShows90: 0,
    lastAttendedDaysAgo: 33,
    upcomingRegistrations: 2,
    judge: "highly_engaged",
    why: "a steady record of half the events with a single gap just past the recency limit and two upcoming registrations; the gap looks like a holiday, not a change",
  },
  {
    orgEvents30: 1,
    orgEvents90: 3,
    orgEvents180: 6,
    attended30: 1,
    attended90: 3,
    attended180: 6,
    registered90: 3,
    noShows90: 0,
    lastAttendedDaysAgo: 12,
  },
  {
    orgEvents30: 1,
    orgEvents90: 3,
    orgEvents180: 6,
    attended30: 0,
    attended90: 2,
    attended180: 5,
    registered90: 2,
    noShows90: 0,
    lastAttendedDaysAgo: 40,
  },
  { attended30: 1, attended90: 3, attended180: 5, registered90: 4, noShows90: 1, lastAttendedDaysAgo: 10 },
  { attended30: 0, attended90: 2, attended180: 4, registered90: 3, noShows90: 1, lastAttendedDaysAgo: 38 },
  { attended30: 0, attended90: 2, attended180: 9, registered90: 3, noShows90: 1, lastAttendedDaysAgo: 50, previousLevel: "highly_engaged" },
  { attended30: 1, attended90: 3, attended180: 10, registered90: 4, noShows90: 1, lastAttendedDaysAgo: 9, previousLevel: "highly_engaged" },
  {
    attended30: 1,
    attended90: 4,
    attended180: 12,
    registered90: 5,
    noShows90: 1,
    lastAttendedDaysAgo: 6,
    judge: "moderate",
    why: "the drop from 8 to 4 meets the declining rule exactly, but the member attended 6 days ago and is registered again; a halving that has already stopped is not yet a reason for concern",
  },
  { attended30: 0, attended90: 1, attended180: 6, registered90: 2, noShows90: 1, lastAttendedDaysAgo: 60, upcomingRegistrations: 0 },
  { attended30: 1, attended90: 4, attended180: 7, registered90: 9, noShows90: 5, lastAttendedDaysAgo: 14 },
  {
    attended30: 2,
    attended90: 5,
    attended180: 9,
    registered90: 7,
    noShows90: 2,
    lastAttendedDaysAgo: 4,
    judge: "moderate",
    why: "two no-shows out of seven registrations stays under half; recent attendance is regular",
  },
  {
    attended30: 1,
    attended90: 2,
    attended180: 3,
    registered90: 4,
    noShows90: 2,
    lastAttendedDaysAgo: 21,
    judge: "at_risk",
    why: "the no-show rule fires on two of four registrations and attendance is thin; the suggestion stands",
  },
  {
    attended30: 0,
    attended90: 1,
    attended180: 1,
    registered90: 1,
    noShows90: 0,
    lastAttendedDaysAgo: 47,
    tenureDays: 75,
    previousLevel: "new",
  },
  {
    attended30: 1,
    attended90: 1,
    attended180: 1,
    registered90: 1,
    noShows90: 0,
    lastAttendedDaysAgo: 11,
    tenureDays: 40,
    previousLevel: "new",
    upcomingRegistrations: 2,
    judge: "moderate",
    why: "a member of 40 days who came once and has two upcoming registrations is settling in",
  },
  {
    attended30: 2,
    attended90: 3,
    attended180: 3,
    registered90: 3,
    noShows90: 0,
    lastAttendedDaysAgo: 3,
    tenureDays: 60,
    previousLevel: "new",
  },
  {
    orgEvents30: 8,
    orgEvents90: 26,
    orgEvents180: 52,
    attended30: 3,
    attended90: 9,
    attended180: 17,
    registered90: 10,
    noShows90: 1,
    lastAttendedDaysAgo: 2,
  },
  {
    orgEvents30: 8,
    orgEvents90: 26,
    orgEvents180: 52,
    attended30: 4,
    attended90: 12,
    attended180: 24,
    registered90: 12,
    noShows90: 0,
    lastAttendedDaysAgo: 1,
    judge: "moderate",
    why: "twelve events is frequent in absolute terms but under half of the 26 held; the suggestion of moderate stands",
  },
  {
    attended30: 0,
    attended90: 3,
    attended180: 3,
    registered90: 3,
    noShows90: 0,
    lastAttendedDaysAgo: 46,
    upcomingRegistrations: 3,
    judge: "moderate",
    why: "one day past the recency limit with three upcoming registrations: the member has plans to come back",
  },
  {
    attended30: 0,
    attended90: 1,
    attended180: 2,
    registered90: 1,
    noShows90: 0,
    lastAttendedDaysAgo: 80,
    upcomingRegistrations: 0,
    previousLevel: "at_risk",
  },
  { attended30: 3, attended90: 7, attended180: 8, registered90: 7, noShows90: 0, lastAttendedDaysAgo: 3, previousLevel: "at_risk" },
  { attended30: 2, attended90: 4, attended180: 4, registered90: 5, noShows90: 1, lastAttendedDaysAgo: 10, previousLevel: "inactive" },
  { attended30: 0, attended90: 2, attended180: 2, registered90: 6, noShows90: 4, lastAttendedDaysAgo: 70, upcomingRegistrations: 1 },
  {
    attended30: 1,
    attended90: 2,
    attended180: 2,
    registered90: 2,
    noShows90: 0,
    lastAttendedDaysAgo: 25,
    orgEvents30: 1,
    orgEvents90: 2,
    orgEvents180: 2,
    judge: "highly_engaged",
    why: "the organisation held only two events in 90 days and the member came to both; three attendances were not possible",
  },
  { attended30: 2, attended90: 6, attended180: 13, registered90: 8, noShows90: 2, lastAttendedDaysAgo: 15 },
  { attended30: 0, attended90: 4, attended180: 9, registered90: 5, noShows90: 1, lastAttendedDaysAgo: 31 },
  { attended30: 1, attended90: 2, attended180: 5, registered90: 3, noShows90: 1, lastAttendedDaysAgo: 18 },
  { attended30: 1, attended90: 3, attended180: 3, registered90: 8, noShows90: 5, lastAttendedDaysAgo: 9, upcomingRegistrations: 4 },
  { attended30: 2, attended90: 7, attended180: 15, registered90: 8, noShows90: 1, lastAttendedDaysAgo: 6, previousLevel: "highly_engaged" },
  { attended30: 0, attended90: 5, attended180: 8, registered90: 6, noShows90: 1, lastAttendedDaysAgo: 35, upcomingRegistrations: 0 },
  {
    attended30: 1,
    attended90: 1,
    attended180: 4,
    registered90: 3,
    noShows90: 2,
    lastAttendedDaysAgo: 29,
    upcomingRegistrations: 0,
    judge: "at_risk",
    why: "attendance fell from three to one and two of three registrations were missed; both signals point the same way",
  },
  {
    orgEvents30: 2,
    orgEvents90: 6,
    orgEvents180: 12,
    attended30: 2,
    attended90: 5,
    attended180: 9,
    registered90: 5,
    noShows90: 0,
    lastAttendedDaysAgo: 7,
  },
];

function compact(s: EngagementSignals): string {
  return JSON.stringify(s);
}

/** The examples section of the system prompt: signals, the rubric's suggestion, and the judgement with reasons. */
export function buildWorkedExamples(thresholds: RubricThresholds): string {
  // The hand-written departures reason with the default thresholds (30, 45 days, 3 events...): with an
  // organisation's own thresholds they could contradict the rubric, so then every example follows it.
  const defaults = (Object.keys(DEFAULT_THRESHOLDS) as (keyof RubricThresholds)[]).every((k) => thresholds[k] === DEFAULT_THRESHOLDS[k]);
  const lines = SPECS.map((spec, i) => {
    const { judge: handJudge, why: handWhy, ...fields } = spec;
    const judge = defaults ? handJudge : undefined;
    const why = defaults ? handWhy : undefined;
    const signals: EngagementSignals = { ...BASE, ...fields };
    const rubric = evaluateRubric(signals, thresholds);
    const level = judge ?? rubric.level;
    const reason = why ?? `${rubric.reasons.join(" ")} The whole picture agrees.`;
    const verdict = level === rubric.level ? `follow the suggestion: ${level}` : `depart from the suggestion: ${level}`;
    return `Example ${i + 1}. signals ${compact(signals)}; rubricSuggestion ${rubric.level}.\nJudgement: ${verdict}. Why: ${reason}`;
  });
  return `Worked examples (how a careful reviewer judged past cases; the member texts you write are always new):\n\n${lines.join("\n\n")}`;
}
