import type { EngagementLevel } from "./levels.ts";
import type { EngagementSignals } from "./signals.ts";

/**
 * The numbers the rubric compares against. They are data rather than literals so an organisation can
 * override them later, and so the system prompt can quote the same values the rules use.
 */
export interface RubricThresholds {
  /** Members with tenureDays below this are "new". */
  newMemberDays: number;
  /** The previous 90 days must hold at least this many attendances before a drop counts as a decline. */
  decliningMinPrior90: number;
  /** Declining when attended90 <= prior90 × this ratio. */
  decliningRatio: number;
  /** At risk when the last attendance was more than this many days ago. */
  atRiskAfterDays: number;
  /** No-shows count as a risk signal from this many upwards… */
  noShowMinCount: number;
  /** …and when they are at least this share of the 90-day registrations. */
  noShowRatio: number;
  /** Highly engaged needs at least this many attendances in 90 days… */
  highlyEngagedMinAttended90: number;
  /** …at least this share of the organisation's 90-day events… */
  highlyEngagedMinShare: number;
  /** …and a last attendance no more than this many days ago. */
  highlyEngagedWithinDays: number;
}

export const DEFAULT_THRESHOLDS: Readonly<RubricThresholds> = Object.freeze({
  newMemberDays: 30,
  decliningMinPrior90: 2,
  decliningRatio: 0.5,
  atRiskAfterDays: 45,
  noShowMinCount: 2,
  noShowRatio: 0.5,
  highlyEngagedMinAttended90: 3,
  highlyEngagedMinShare: 0.5,
  highlyEngagedWithinDays: 30,
});

export function resolveThresholds(overrides?: Partial<RubricThresholds>): Readonly<RubricThresholds> {
  // The rubric runs several times per member of a nightly run: the common case need not copy anything.
  if (overrides === undefined || overrides === DEFAULT_THRESHOLDS) return DEFAULT_THRESHOLDS;
  const merged: RubricThresholds = { ...DEFAULT_THRESHOLDS };
  for (const [key, value] of Object.entries(overrides ?? {}) as [keyof RubricThresholds, number | undefined][]) {
    // An explicit `undefined` in a partial override means "not overridden", not "erase the default".
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** Which rule decided, in evaluation order. Stored with each result so an admin can see why. */
export const RUBRIC_STEPS = [
  "new_member",
  "no_opportunity",
  "no_attendance",
  "at_risk_signals",
  "highly_engaged",
  "default_moderate",
] as const;
export type RubricStep = (typeof RUBRIC_STEPS)[number];

/** The three independent reasons step 4 may fire for; more than one can hold at once. */
export type AtRiskTrigger = "declining" | "not_recent" | "no_shows";

export interface RubricResult {
  level: EngagementLevel;
  step: RubricStep;
  /** Admin-facing sentences with the numbers that decided; never shown to the member. */
  reasons: string[];
  /** Set only for step "at_risk_signals". */
  atRiskTriggers: AtRiskTrigger[];
}

const CARRIED_WHEN_NO_EVENTS: ReadonlySet<EngagementLevel> = new Set(["highly_engaged", "moderate", "at_risk", "inactive"]);

/** Attendances in days 91–180: the window the current 90 days are compared with. */
export function prior90(signals: EngagementSignals): number {
  return Math.max(0, signals.attended180 - signals.attended90);
}

/** Evaluates the rules in order; the first that matches decides. */
export function evaluateRubric(signals: EngagementSignals, overrides?: Partial<RubricThresholds>): RubricResult {
  const t = resolveThresholds(overrides);
  const s = signals;

  if (s.tenureDays < t.newMemberDays) {
    return decided("new", "new_member", [`Joined ${s.tenureDays} days ago (under ${t.newMemberDays} days).`]);
  }

  if (s.orgEvents90 === 0) {
    // Nobody could attend anything, so the last judgement stands; "new" is not carried because tenure
    // has already ruled it out, and no history at all defaults to the neutral level.
    const carried = s.previousLevel !== null && CARRIED_WHEN_NO_EVENTS.has(s.previousLevel);
    const level = carried && s.previousLevel !== null ? s.previousLevel : "moderate";
    const why = carried ? `previous level ${s.previousLevel} kept` : "no usable previous level, moderate by default";
    return decided(level, "no_opportunity", [`The organisation held no events in the last 90 days; ${why}.`]);
  }

  if (s.attended90 === 0) {
    const missed = `Attended none of ${s.orgEvents90} events in the last 90 days`;
    if (s.upcomingRegistrations > 0) {
      return decided("at_risk", "no_attendance", [`${missed}, but has ${s.upcomingRegistrations} upcoming registration(s).`]);
    }
    return decided("inactive", "no_attendance", [`${missed} and has no upcoming registrations.`]);
  }

  const triggers = atRiskTriggers(s, t);
  if (triggers.length > 0) {
    return {
      level: "at_risk",
      step: "at_risk_signals",
      reasons: triggers.map((trigger) => describeTrigger(trigger, s, t)),
      atRiskTriggers: triggers,
    };
  }

  if (isHighlyEngaged(s, t)) {
    return decided("highly_engaged", "highly_engaged", [
      `Attended ${s.attended90} of ${s.orgEvents90} events in the last 90 days, most recently ${s.lastAttendedDaysAgo} days ago.`,
    ]);
  }

  return decided("moderate", "default_moderate", [
    `Attended ${s.attended90} of ${s.orgEvents90} events in the last 90 days (${prior90(s)} in the 90 days before); no at-risk rule fired.`,
  ]);
}

/** Steps 1–3 are settled by facts alone; only steps 4–6 are worth asking a model to weigh. */
export function isFactsDecided(result: Pick<RubricResult, "step">): boolean {
  return result.step === "new_member" || result.step === "no_opportunity" || result.step === "no_attendance";
}

function atRiskTriggers(s: EngagementSignals, t: RubricThresholds): AtRiskTrigger[] {
  const triggers: AtRiskTrigger[] = [];
  const prior = prior90(s);
  if (prior >= t.decliningMinPrior90 && s.attended90 <= prior * t.decliningRatio) triggers.push("declining");
  // Null here contradicts attended90 > 0; unknown recency cannot vouch for the member, so it counts as stale.
  if (s.lastAttendedDaysAgo === null || s.lastAttendedDaysAgo > t.atRiskAfterDays) triggers.push("not_recent");
  if (s.noShows90 >= t.noShowMinCount && s.noShows90 >= t.noShowRatio * s.registered90) triggers.push("no_shows");
  return triggers;
}

function isHighlyEngaged(s: EngagementSignals, t: RubricThresholds): boolean {
  return (
    s.attended90 >= t.highlyEngagedMinAttended90 &&
    s.attended90 >= t.highlyEngagedMinShare * s.orgEvents90 &&
    s.lastAttendedDaysAgo !== null &&
    s.lastAttendedDaysAgo <= t.highlyEngagedWithinDays
  );
}

function describeTrigger(trigger: AtRiskTrigger, s: EngagementSignals, t: RubricThresholds): string {
  switch (trigger) {
    case "declining":
      return `Attendance fell from ${prior90(s)} in the previous 90 days to ${s.attended90} in the last 90 days.`;
    case "not_recent":
      return s.lastAttendedDaysAgo === null
        ? "No recorded date of last attendance."
        : `Last attended ${s.lastAttendedDaysAgo} days ago (more than ${t.atRiskAfterDays}).`;
    case "no_shows":
      return `${s.noShows90} no-shows out of ${s.registered90} registrations in the last 90 days.`;
  }
}

function decided(level: EngagementLevel, step: RubricStep, reasons: string[]): RubricResult {
  return { level, step, reasons, atRiskTriggers: [] };
}
