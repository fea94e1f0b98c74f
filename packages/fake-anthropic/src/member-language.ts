/**
 * Words the member-facing explanation must never contain, matched case-insensitively as substrings so that
 * inflections ("declined", "levels", "scores") are caught too. The project's own language guard is stricter
 * or equal; the fake keeps its own copy so it never depends on the code it is used to test.
 */
export const MEMBER_DENIED_TERMS = [
  "risk",
  "at-risk",
  "at risk",
  "churn",
  "inactive",
  "disengaged",
  "declining",
  "decline",
  "score",
  "highly_engaged",
  "at_risk",
  "moderate",
  "level",
] as const;

/** The denied terms found in `text`, lower-cased; empty when the text is safe to show a member. */
export function deniedTermsIn(text: string): string[] {
  const lower = text.toLowerCase();
  return MEMBER_DENIED_TERMS.filter((term) => lower.includes(term));
}
