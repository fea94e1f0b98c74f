// What a member reads about themself. The words come from the engagement package (memberLabel, the member
// text templates and checkMemberText); this decides which of them applies:
//   - the label is always the member-facing label of the EFFECTIVE level (never a level name like at_risk);
//   - the stored member text was written for the computed level, so while an override changes the level the
//     template text of the overridden level is shown instead (the stored text could contradict the label);
//   - text that fails the member-language check is never shown (defence in depth: runs check it on write).
import { checkMemberText, type EngagementLevel, EngagementSignals, memberExplanation, memberLabel } from "@engagement/engagement";

/** Shown only when neither the stored text nor a template can be used (signals stored in an older shape). */
const NEUTRAL_TEXT = "Thanks for being part of our community! Have a look at what's coming up; there's always a place for you.";

export interface MemberView {
  label: string;
  memberExplanation: string;
}

export function memberView(input: {
  level: EngagementLevel;
  computedLevel: EngagementLevel;
  memberExplanation: string;
  signals: unknown;
}): MemberView {
  const template = () => {
    const signals = EngagementSignals.safeParse(input.signals);
    return signals.success ? memberExplanation(input.level, signals.data) : NEUTRAL_TEXT;
  };
  // Each text is checked once (the check reads the text through the confusables skeleton: the member view's
  // largest CPU cost under load, and the same stored text was checked twice before).
  const label = memberLabel(input.level);
  if (input.level === input.computedLevel && checkMemberText(input.memberExplanation).ok) {
    return { label, memberExplanation: input.memberExplanation };
  }
  const text = template();
  return { label, memberExplanation: checkMemberText(text).ok ? text : NEUTRAL_TEXT };
}
