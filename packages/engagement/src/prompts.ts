import { CLASSIFICATION_TOOL_NAME } from "./classification-tool.ts";
import type { EngagementLevel } from "./levels.ts";
import { MEMBER_DENIED_TERMS } from "./member-language.ts";
import { buildWorkedExamples } from "./prompt-examples.ts";
import type { RubricThresholds } from "./rubric.ts";
import { EngagementSignals } from "./signals.ts";
import { ADMIN_EXPLANATION_MAX, MEMBER_EXPLANATION_MAX } from "./templates.ts";

const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;

/**
 * The instructions and rubric. It depends only on the thresholds, never on the member, so with the tool
 * definition it forms a byte-identical prefix across a batch and is served from the prompt cache.
 */
export function buildSystemPrompt(t: RubricThresholds): string {
  return `You judge how engaged members of a membership organisation are, from attendance counts alone. You never learn who a member is.

The user message is one JSON block: {"members": [{"ref": "m1", "signals": {...}, "rubricSuggestion": "<level>"}, ...]}. Judge each member on their own record: one member's signals never bear on another's judgement, and the order of the list means nothing.
Signal fields: tenureDays (days since joining); orgEvents30/90/180 (events the organisation held in the last 30/90/180 days); attended30/90/180 (of those, events the member attended); registered90 and noShows90 (registrations in the 90-day window and how many ended without attendance); upcomingRegistrations (future events the member is registered for); lastAttendedDaysAgo (null if never); previousLevel (the last computed level, or null). prior90 = attended180 - attended90 is attendance in the 90 days before the last 90.

Rubric (evaluated in order; the first match wins). Rules 1-3 have already been applied: every member you see reached rule 4, 5 or 6.
1. tenureDays < ${t.newMemberDays}: new.
2. orgEvents90 = 0: previous level carried over.
3. attended90 = 0: at_risk with upcoming registrations, otherwise inactive.
4. at_risk if any holds: declining (prior90 >= ${t.decliningMinPrior90} and attended90 <= ${pct(t.decliningRatio)} of prior90); lastAttendedDaysAgo > ${t.atRiskAfterDays}; noShows90 >= ${t.noShowMinCount} and noShows90 >= ${pct(t.noShowRatio)} of registered90.
5. highly_engaged if attended90 >= ${t.highlyEngagedMinAttended90}, attended90 >= ${pct(t.highlyEngagedMinShare)} of orgEvents90, and lastAttendedDaysAgo <= ${t.highlyEngagedWithinDays}.
6. Otherwise moderate.

rubricSuggestion is what these rules decided. Choose one of highly_engaged, moderate or at_risk. Follow the suggestion unless the whole picture argues otherwise: weigh the trend (30 vs 90 vs 180 days), no-shows against registrations, recency of the last attendance, and upcoming registrations. A rule that fires on a technicality (for example a single long gap in an otherwise steady record) may be overruled; when you depart from the suggestion, say why in adminExplanation.

${buildWorkedExamples(t)}

Answer only by calling the ${CLASSIFICATION_TOOL_NAME} tool, once, with one item in classifications per member, each carrying that member's ref exactly as given.
- adminExplanation (at most ${ADMIN_EXPLANATION_MAX} characters) is for staff: cite the numbers the decision rests on.
- keyFactors: 1 to 5 short facts for staff, most decisive first.
- memberExplanation (at most ${MEMBER_EXPLANATION_MAX} characters) is shown to the member. Write to them in the second person ("you"), warmly and encouragingly; thank them for what they do, invite them to what is coming up. Never judge or grade them. Never use these words or any form of them: ${MEMBER_DENIED_TERMS.join(", ")}. Never name the levels. Do not invent events, dates or names.`;
}

/** The allow-list of fields that may leave the process; anything else on the object (names, ids) stays. */
const SIGNAL_FIELDS = Object.keys(EngagementSignals.shape) as (keyof EngagementSignals)[];

/**
 * Copies exactly the known signal fields. TypeScript lets a wider object (a member row with a name and
 * email) pass as EngagementSignals, so serialising the argument directly could leak them to the API.
 */
export function pickSignals(signals: EngagementSignals): EngagementSignals {
  const picked: Record<string, unknown> = {};
  for (const field of SIGNAL_FIELDS) picked[field] = signals[field];
  return EngagementSignals.parse(picked);
}

/** One member of a request: an opaque ref (see memberRef), the signals and the rubric's suggestion. */
export interface RequestMember {
  ref: string;
  signals: EngagementSignals;
  rubricSuggestion: EngagementLevel;
}

/** The whole user turn: one fenced JSON block and nothing else, so it holds no free text about a person. */
export function buildUserMessage(members: readonly RequestMember[]): string {
  // One compact member per line: the user turn is the part billed at the full rate, so no indentation.
  const lines = members.map((m) => JSON.stringify({ ref: m.ref, signals: pickSignals(m.signals), rubricSuggestion: m.rubricSuggestion }));
  return `\`\`\`json\n{"members": [\n${lines.join(",\n")}\n]}\n\`\`\``;
}
