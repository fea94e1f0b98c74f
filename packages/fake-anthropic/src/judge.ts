import type { JudgeSignals } from "./classification-prompt.ts";
import { adminExplanation, memberExplanation } from "./judge-text.ts";
import type { Assessment, Classification, Factor, JudgeLevel } from "./judge-types.ts";

export { type Assessment, type Classification, JUDGE_LEVELS, type JudgeLevel } from "./judge-types.ts";

const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/**
 * A small, deterministic judge: weighs attendance share, trend against the previous 90 days, no-shows,
 * recency and upcoming registrations. The thresholds are the fake's own so that it can disagree with the
 * project's rubric on borderline members, which is what the real model does too.
 */
export function assess(s: JudgeSignals): Assessment {
  const factors: Factor[] = [];
  const add = (points: number, note: string) => factors.push({ points, note });

  if (s.orgEvents90 === 0) {
    add(0, "no organisation events in the last 90 days");
  } else {
    const share = s.attended90 / s.orgEvents90;
    const note = `attended ${s.attended90} of ${plural(s.orgEvents90, "event")} in 90 days (${pct(share)})`;
    if (share >= 0.6) add(2, note);
    else if (share >= 0.3) add(1, note);
    else if (share >= 0.1) add(0, note);
    // One missed event out of two says little; a pattern of missing many does.
    else add(s.orgEvents90 >= 3 ? -2 : -1, note);
  }
  if (s.attended90 >= 6) add(1, `${s.attended90} attendances in 90 days`);

  const prior = s.attended180 - s.attended90;
  const priorEvents = s.orgEvents180 - s.orgEvents90;
  if (priorEvents >= 2 && s.orgEvents90 >= 2) {
    const change = s.attended90 / s.orgEvents90 - prior / priorEvents;
    const note = `${prior} of ${plural(priorEvents, "event")} in the prior 90 days`;
    if (change <= -0.3) add(-1, `down from ${note}`);
    else if (change >= 0.3) add(1, `up from ${note}`);
  }

  if (s.registered90 >= 2 && s.noShows90 / s.registered90 >= 0.5) {
    add(-1, `${s.noShows90} of ${plural(s.registered90, "registration")} were no-shows`);
  }

  if (s.lastAttendedDaysAgo === null) add(-1, "never attended an event");
  else if (s.lastAttendedDaysAgo > 90) add(-2, `last attended ${s.lastAttendedDaysAgo} days ago`);
  else if (s.lastAttendedDaysAgo > 45) add(-1, `last attended ${s.lastAttendedDaysAgo} days ago`);

  if (s.upcomingRegistrations > 0) add(1, `${plural(s.upcomingRegistrations, "upcoming registration")}`);

  const points = factors.reduce((sum, f) => sum + f.points, 0);
  const level: JudgeLevel = points >= 3 ? "highly_engaged" : points <= -1 ? "at_risk" : "moderate";
  return { level, points, factors };
}

/** The factors worth naming: attendance first, then the heaviest contributions, at most four. */
export function keyFactors(a: Assessment): string[] {
  const [first, ...rest] = a.factors;
  const weighted = rest.filter((f) => f.points !== 0).sort((x, y) => Math.abs(y.points) - Math.abs(x.points));
  return [first, ...weighted]
    .filter((f): f is Factor => f !== undefined)
    .slice(0, 4)
    .map((f) => f.note);
}

export function classify(signals: JudgeSignals, rubricSuggestion?: string): Classification {
  const assessment = assess(signals);
  return {
    level: assessment.level,
    adminExplanation: adminExplanation(signals, assessment, rubricSuggestion),
    memberExplanation: memberExplanation(signals, assessment.level),
    keyFactors: keyFactors(assessment),
  };
}
