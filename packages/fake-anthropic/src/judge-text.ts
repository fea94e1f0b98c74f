import type { JudgeSignals } from "./classification-prompt.ts";
import type { Assessment, JudgeLevel } from "./judge-types.ts";
import { deniedTermsIn } from "./member-language.ts";

export const ADMIN_EXPLANATION_MAX = 600;
export const MEMBER_EXPLANATION_MAX = 400;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const sentenceEnd = cut.lastIndexOf(". ");
  return sentenceEnd > max / 2 ? cut.slice(0, sentenceEnd + 1) : `${cut.trimEnd()}…`;
}

/**
 * The conclusion comes first so that clipping to the limit can only drop supporting detail, never the
 * verdict or the note that the judge departed from the rubric.
 */
export function adminExplanation(s: JudgeSignals, a: Assessment, rubricSuggestion?: string): string {
  const parts = [`Judged ${a.level} (weight ${a.points}).`];
  if (rubricSuggestion !== undefined && rubricSuggestion !== a.level) {
    const driver = [...a.factors].sort((x, y) => Math.abs(y.points) - Math.abs(x.points))[0];
    const why = driver && driver.points !== 0 ? `chiefly for this: ${driver.note}` : "as the signals are balanced";
    parts.push(`Departs from the rubric suggestion ${rubricSuggestion}, ${why}.`);
  }
  parts.push(`Signals: ${a.factors.map((f) => f.note).join("; ")}.`);
  const registered = s.registered90 > 0 ? `${s.noShows90} no-shows of ${plural(s.registered90, "registration")} in 90 days; ` : "";
  parts.push(`${registered}${s.attended30} of ${plural(s.orgEvents30, "event")} attended in 30 days; tenure ${s.tenureDays} days.`);
  if (s.previousLevel !== null) parts.push(`Previous level ${s.previousLevel}.`);
  return clip(parts.join(" "), ADMIN_EXPLANATION_MAX);
}

function attendancePhrase(s: JudgeSignals): string {
  return `${s.attended90} of our ${plural(s.orgEvents90, "event")}`;
}

function upcomingPhrase(s: JudgeSignals): string {
  return s.upcomingRegistrations > 0 ? `, and you are already signed up for ${s.upcomingRegistrations} more` : "";
}

const SAFE_FALLBACK = "Thank you for being part of our community. We would love to see you at an event that suits you soon.";

/** Second person and warm; it describes what the member did, never how the organisation rates them. */
export function memberExplanation(s: JudgeSignals, level: JudgeLevel): string {
  let text: string;
  if (level === "highly_engaged") {
    text =
      s.orgEvents90 > 0 && s.attended90 > 0
        ? `Thank you for being such a familiar face: you joined ${attendancePhrase(s)} over the past three months${upcomingPhrase(s)}. It is always a pleasure to see you!`
        : `Thank you for staying so involved with us${upcomingPhrase(s)}. It is always a pleasure to see you!`;
  } else if (level === "moderate") {
    text =
      s.attended90 > 0
        ? `It has been good to see you at ${attendancePhrase(s)} over the past three months${upcomingPhrase(s)}. Whenever something on the calendar catches your eye, we would love to have you along.`
        : `Thank you for being with us${upcomingPhrase(s)}. Whenever something on the calendar catches your eye, we would love to have you along.`;
  } else {
    const lastSeen =
      s.lastAttendedDaysAgo === null
        ? "We would love to meet you at one of our events!"
        : `We have missed you: it has been ${s.lastAttendedDaysAgo} days since we last saw you.`;
    text = `${lastSeen} There is plenty coming up on the calendar, and you would be very welcome at whatever suits you best.`;
  }
  // The guard is the contract; the templates are only expected to satisfy it.
  if (deniedTermsIn(text).length > 0 || text.length > MEMBER_EXPLANATION_MAX) return SAFE_FALLBACK;
  return text;
}
