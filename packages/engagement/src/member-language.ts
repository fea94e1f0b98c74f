import type { EngagementLevel } from "./levels.ts";

/**
 * The only place a level becomes words a member reads. Members never see the internal level names, and
 * never a word that grades them: "at risk" is shown as an invitation, not a verdict.
 */
export const MEMBER_LABELS: Readonly<Record<EngagementLevel, string>> = Object.freeze({
  highly_engaged: "Regular",
  moderate: "Taking part",
  at_risk: "We miss you",
  new: "Welcome",
  inactive: "We'd love to see you again",
});

export function memberLabel(level: EngagementLevel): string {
  return MEMBER_LABELS[level];
}

interface DeniedTerm {
  term: string;
  pattern: RegExp;
}

/**
 * Matched against normalised text (see `normalise`), so "At-Risk", "AT  RISK" and "at_risk" all read
 * "at risk". Most stems match as substrings to catch inflections and glued forms ("atrisk", "Churned",
 * "levels"); a rare false positive only costs a retry or the template text, a miss reaches a member.
 * "rating" and "score" need a word start, or "celebrating" and "underscore" would be refused. The level
 * name "new" is not denied: it is ordinary welcoming English and carries no judgement.
 */
const DENIED_TERMS: readonly DeniedTerm[] = [
  { term: "at risk", pattern: /at ?risk/ },
  { term: "risk", pattern: /risk/ },
  { term: "churn", pattern: /churn/ },
  { term: "inactive", pattern: /inactiv/ },
  { term: "disengaged", pattern: /dis ?engag/ },
  { term: "declining", pattern: /declining/ },
  { term: "decline", pattern: /declin/ },
  { term: "score", pattern: /\bscor(e|es|ed|ing)\b/ },
  { term: "rating", pattern: /\bratings?\b/ },
  { term: "rated", pattern: /\brated\b/ },
  { term: "highly engaged", pattern: /highly ?engaged/ },
  { term: "moderate", pattern: /moderate/ },
  { term: "level", pattern: /level/ },
  { term: "classified", pattern: /classif/ },
];

/** The denied vocabulary, for prompts that must tell the model what not to write. */
export const MEMBER_DENIED_TERMS: readonly string[] = DENIED_TERMS.map((d) => d.term);

// Zero-width characters and the soft hyphen can hide a word from a plain match while rendering identically.
const INVISIBLE = /[\u00AD\u200B-\u200D\u2060\uFEFF]/g;
// Underscores, hyphens (ASCII and Unicode dashes) and any whitespace run all separate words the same way.
const SEPARATORS = /[\s_\-\u2010-\u2015]+/g;

function normalise(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(INVISIBLE, "").replace(SEPARATORS, " ");
}

export interface MemberTextCheck {
  ok: boolean;
  /** The denied terms found, in deny-list order; empty when ok. */
  offending: string[];
}

/** Whether `text` may be shown to a member. */
export function checkMemberText(text: string): MemberTextCheck {
  const normalised = normalise(text);
  const offending = DENIED_TERMS.filter((d) => d.pattern.test(normalised)).map((d) => d.term);
  return { ok: offending.length === 0, offending };
}
