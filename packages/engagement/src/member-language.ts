import unhomoglyph from "unhomoglyph";
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

/**
 * Text is compared in "skeleton" space (Unicode TR39 confusable detection): look-alike characters from any
 * script ("at rіsk" with a Cyrillic і, "𝐫𝐢𝐬𝐤", "ｒｉｓｋ") read as the letters they imitate, through the
 * confusables table of the Unicode Consortium as shipped by the `unhomoglyph` package (not a hand-written
 * map). The table maps in its own way ("m" → "rn", "I" → "l"), so the deny list goes through it too.
 *
 * Each character is read on its own (the table maps single code points) and may have two readings: mapped
 * as written, and lower-cased first (a capital I reads as l as written and as i lower-cased; a Greek Ν reads
 * as N as written and, lower-cased to ν, as v). A character whose readings hold no letter is a combining mark
 * or an invisible format character such as a zero-width joiner, soft hyphen or bidi control (ignored), white
 * space, or punctuation. Punctuation between two letters is dropped ("r.i.s.k", "ri*sk", "at_risk"), words
 * are split on the rest, and runs of one-character words are joined ("r i s k"). A denied term is found when
 * some choice of readings spells it. The text is read after NFKC (full-width and mathematical letters) and
 * as written (TR39's own form: NFKC turns some look-alikes, such as the half-width ￨ the table reads as l,
 * into characters the table does not list).
 */
const MARKS = /\p{M}/gu;
const LETTERS = /[\p{L}\p{N}]/u;
// Combining marks (the grapheme joiner and variation selectors among them), format characters, Hangul fillers.
const IGNORABLE = /^(?:\p{M}|\p{Cf}|[\u115F\u1160\u3164\uFFA0])$/u;
const SPACE = /^\s$/u;

/** One letter of the text: the strings it may be read as (a skeleton may be two letters: "m" → "rn"). */
type Letter = readonly string[];
/** Words of the text, each a list of letters. */
type Reading = Letter[][];

const clean = (mapped: string) => mapped.toLowerCase().normalize("NFD").replace(MARKS, "");

function readingsOf(char: string): string[] {
  const asWritten = clean(unhomoglyph(unhomoglyph(char).toLowerCase()));
  const lowered = clean(unhomoglyph(char.toLowerCase()));
  return [...new Set([asWritten, lowered])].filter((r) => LETTERS.test(r));
}

function read(text: string): Reading {
  const words: Letter[][] = [];
  let word: Letter[] = [];
  let gap: "none" | "punctuation" | "space" = "none";
  for (const char of text.normalize("NFD")) {
    const options = readingsOf(char);
    if (options.length === 0) {
      if (IGNORABLE.test(char)) continue;
      if (SPACE.test(char)) gap = "space";
      else if (gap === "none") gap = "punctuation";
      continue;
    }
    // Punctuation between two letters joins them; a space (or punctuation next to a space) ends the word.
    if (gap === "space" && word.length > 0) {
      words.push(word);
      word = [];
    }
    word.push(options);
    gap = "none";
  }
  if (word.length > 0) words.push(word);
  // Consecutive one-letter words are one word spelled out: "r i s k" → "risk".
  const joined: Letter[][] = [];
  let spelled: Letter[] = [];
  for (const w of words) {
    if (w.length === 1) {
      spelled.push(...w);
      continue;
    }
    if (spelled.length > 0) joined.push(spelled);
    spelled = [];
    joined.push(w);
  }
  if (spelled.length > 0) joined.push(spelled);
  return joined;
}

/** The text as one sequence: letters, and " " between words. */
type Cell = Letter | " ";

function cells(reading: Reading): Cell[] {
  return reading.flatMap((w, i) => (i === 0 ? w : [" " as const, ...w]));
}

/** Whether `literal` (lower-case skeleton letters and spaces) can be read starting at cell `at`. */
function spells(text: Cell[], at: number, literal: string, wordEnd: boolean): boolean {
  if (literal === "") return !wordEnd || at === text.length || text[at] === " ";
  const cell = text[at];
  if (cell === undefined) return false;
  if (cell === " ") return literal.startsWith(" ") && spells(text, at + 1, literal.slice(1), wordEnd);
  return cell.some((option) => {
    if (literal.startsWith(option)) return spells(text, at + 1, literal.slice(option.length), wordEnd);
    // The literal ends inside a two-letter skeleton ("…r" against "rn"): a substring match, not a whole word.
    return !wordEnd && option.startsWith(literal);
  });
}

interface DeniedTerm {
  term: string;
  /** Spellings in skeleton space; any one found is the term. */
  spellings: string[];
  /** Only at a word start and a word end ("score" must not be found in "underscore"). */
  wholeWord?: boolean;
}

function found(text: Cell[], denied: DeniedTerm): boolean {
  for (let at = 0; at < text.length; at++) {
    if (text[at] === " ") continue;
    if (denied.wholeWord && at > 0 && text[at - 1] !== " ") continue;
    if (denied.spellings.some((s) => spells(text, at, s, denied.wholeWord ?? false))) return true;
  }
  return false;
}

/** Skeleton spellings of a literal: "m" becomes "rn" as in the text; "a b" also matches glued ("ab"). */
function spellings(...literals: string[]): string[] {
  const sk = (l: string) => [...l].map((c) => (c === " " ? c : (readingsOf(c)[0] ?? c))).join("");
  return [...new Set(literals.flatMap((l) => [sk(l), sk(l.replace(/ /g, ""))]))];
}

/**
 * Most stems match as substrings to catch inflections and glued forms ("atrisk", "Churned", "levels"); a
 * rare false positive only costs a retry or the template text, a miss reaches a member. "rating" and "score"
 * are whole words, or "celebrating" and "underscore" would be refused. The level name "new" is not denied:
 * it is ordinary welcoming English and carries no judgement.
 */
const DENIED_TERMS: readonly DeniedTerm[] = [
  { term: "at risk", spellings: spellings("at risk") },
  { term: "risk", spellings: spellings("risk") },
  { term: "churn", spellings: spellings("churn") },
  { term: "inactive", spellings: spellings("inactiv") },
  { term: "disengaged", spellings: spellings("dis engag") },
  { term: "declining", spellings: spellings("declining") },
  { term: "decline", spellings: spellings("declin") },
  { term: "score", spellings: spellings("score", "scores", "scored", "scoring"), wholeWord: true },
  { term: "rating", spellings: spellings("rating", "ratings"), wholeWord: true },
  { term: "rated", spellings: spellings("rated"), wholeWord: true },
  { term: "highly engaged", spellings: spellings("highly engaged") },
  { term: "moderate", spellings: spellings("moderate") },
  { term: "level", spellings: spellings("level") },
  { term: "classified", spellings: spellings("classif") },
];

/** The denied vocabulary, for prompts that must tell the model what not to write. */
export const MEMBER_DENIED_TERMS: readonly string[] = DENIED_TERMS.map((d) => d.term);

export interface MemberTextCheck {
  ok: boolean;
  /** The denied terms found, in deny-list order; empty when ok. */
  offending: string[];
}

/** Whether `text` may be shown to a member. */
export function checkMemberText(text: string): MemberTextCheck {
  const texts = [...new Set([text.normalize("NFKC"), text])].map((t) => cells(read(t)));
  const offending = DENIED_TERMS.filter((d) => texts.some((t) => found(t, d))).map((d) => d.term);
  return { ok: offending.length === 0, offending };
}
