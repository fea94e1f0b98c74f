import type { EngagementLevel } from "./levels.ts";
import { prior90, type RubricResult } from "./rubric.ts";
import type { EngagementSignals } from "./signals.ts";

/** Length limits shared with the classification tool, so template and model texts fit the same columns. */
export const ADMIN_EXPLANATION_MAX = 600;
export const MEMBER_EXPLANATION_MAX = 400;
export const KEY_FACTOR_MAX = 120;
export const KEY_FACTORS_MAX_COUNT = 5;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function lastAttended(s: EngagementSignals): string {
  return s.lastAttendedDaysAgo === null ? "never attended" : `last attended ${plural(s.lastAttendedDaysAgo, "day")} ago`;
}

/** Cuts at a word boundary and marks the cut; the limits are hard column and tool limits. */
export function clampText(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(" ");
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** For staff: which rule decided, and every number the decision rests on. */
export function adminExplanation(s: EngagementSignals, rubric: RubricResult): string {
  const facts =
    `Facts: tenure ${plural(s.tenureDays, "day")}; attended ${s.attended30}/${s.orgEvents30} events (30d), ` +
    `${s.attended90}/${s.orgEvents90} (90d), ${s.attended180}/${s.orgEvents180} (180d); ` +
    `${s.registered90} registrations and ${s.noShows90} no-shows (90d); ` +
    `${s.upcomingRegistrations} upcoming; ${lastAttended(s)}; previous level ${s.previousLevel ?? "none"}.`;
  const text = `Rules: ${rubric.level} (step ${rubric.step}). ${rubric.reasons.join(" ")} ${facts}`;
  return clampText(text, ADMIN_EXPLANATION_MAX);
}

/**
 * For the member: warm, second person, never a judgement. Every branch must pass `checkMemberText`; the
 * tests run each level and edge case through it.
 */
export function memberExplanation(level: EngagementLevel, s: EngagementSignals): string {
  const upcoming =
    s.upcomingRegistrations > 0
      ? `We're looking forward to seeing you at your ${s.upcomingRegistrations === 1 ? "upcoming event" : `${s.upcomingRegistrations} upcoming events`}.`
      : "Take a look at what's coming up; there's always a place for you.";
  const text = ((): string => {
    switch (level) {
      case "new":
        return `Welcome! You joined us recently and we're so glad you're here. ${upcoming}`;
      case "highly_engaged":
        return s.attended90 > 0
          ? `Thank you for being such a regular! You've joined us for ${plural(s.attended90, "event")} over the last three months, and it's wonderful to have you with us.`
          : "Thank you for being such a regular! It's wonderful to have you with us, and we can't wait for our next events together.";
      case "moderate":
        return s.attended90 > 0
          ? `Thanks for taking part! You've come along to ${plural(s.attended90, "event")} in the last three months. ${upcoming}`
          : `Thanks for being part of our community! ${upcoming}`;
      case "at_risk":
        return `We've missed you! It's been a little while since we saw you, and we'd love to have you back. ${upcoming}`;
      case "inactive":
        return "We'd love to see you again! There's always a place for you at our events, so have a look at what's coming up and join us whenever it suits you.";
    }
  })();
  return clampText(text, MEMBER_EXPLANATION_MAX);
}

/** Short admin-facing bullet points, at most five, most decisive first. */
export function keyFactors(s: EngagementSignals, rubric: RubricResult): string[] {
  const attendance = `Attended ${s.attended90} of ${s.orgEvents90} events in 90 days`;
  const factors = ((): string[] => {
    switch (rubric.step) {
      case "new_member":
        return [`Joined ${plural(s.tenureDays, "day")} ago`, `${plural(s.upcomingRegistrations, "upcoming registration")}`];
      case "no_opportunity":
        return ["No organisation events in 90 days", `Previous level: ${s.previousLevel ?? "none"}`];
      case "no_attendance":
        return [attendance, `${plural(s.upcomingRegistrations, "upcoming registration")}`];
      case "at_risk_signals":
        return rubric.atRiskTriggers.map((trigger) => {
          if (trigger === "declining") return `Attendance down from ${prior90(s)} to ${s.attended90} (previous vs last 90 days)`;
          if (trigger === "not_recent")
            return s.lastAttendedDaysAgo === null
              ? "No last attendance recorded"
              : `Last attended ${plural(s.lastAttendedDaysAgo, "day")} ago`;
          return `${plural(s.noShows90, "no-show")} of ${plural(s.registered90, "registration")} in 90 days`;
        });
      case "highly_engaged":
      case "default_moderate":
        return [
          attendance,
          s.lastAttendedDaysAgo === null ? "No last attendance recorded" : `Last attended ${plural(s.lastAttendedDaysAgo, "day")} ago`,
        ];
    }
  })();
  return factors.slice(0, KEY_FACTORS_MAX_COUNT).map((f) => clampText(f, KEY_FACTOR_MAX));
}
