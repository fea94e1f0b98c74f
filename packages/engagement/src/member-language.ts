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
 * space, or punctuation. Punctuation between two letters is skipped when spelling a term ("r.i.s.k", "ri*sk",
 * "at_risk") and is a word edge for whole-word terms ("score—and", "rating:4"); words are split on the rest,
 * and runs of one-character words are joined ("r i s k"). A denied term is found when
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
/** Punctuation between two letters: skipped when spelling a term, a word edge for whole-word terms. */
const SOFT = "·" as const;
/** The text as one sequence: letters, soft edges, and " " between words. */
type Cell = Letter | typeof SOFT | " ";

const clean = (mapped: string) => mapped.toLowerCase().normalize("NFD").replace(MARKS, "");

const LATIN = /^[a-z0-9]+$/;

/**
 * A letter's readings. Punctuation and symbols count as letters only where they imitate a Latin one ("|" reads
 * as l); the table also maps some to letters of other scripts (an em dash to the katakana ー), which would
 * otherwise glue words together.
 */
function readingsOf(char: string): string[] {
  const asWritten = clean(unhomoglyph(unhomoglyph(char).toLowerCase()));
  const lowered = clean(unhomoglyph(char.toLowerCase()));
  const isLetter = LETTERS.test(char);
  return [...new Set([asWritten, lowered])].filter((r) => LETTERS.test(r) && (isLetter || LATIN.test(r)));
}

function read(text: string): Cell[] {
  const words: (Letter | typeof SOFT)[][] = [];
  let word: (Letter | typeof SOFT)[] = [];
  let gap: "none" | "punctuation" | "space" = "none";
  for (const char of text.normalize("NFD")) {
    const options = readingsOf(char);
    if (options.length === 0) {
      if (IGNORABLE.test(char)) continue;
      if (SPACE.test(char)) gap = "space";
      else if (gap === "none") gap = "punctuation";
      continue;
    }
    // A space (or punctuation next to a space) ends the word; punctuation between letters is a soft edge.
    if (gap === "space" && word.length > 0) {
      words.push(word);
      word = [];
    } else if (gap === "punctuation" && word.length > 0) {
      word.push(SOFT);
    }
    word.push(options);
    gap = "none";
  }
  if (word.length > 0) words.push(word);
  // A spelled-out word may end or start glued to the next by punctuation ("r i s k-wise", "and—r i s k"):
  // that letter belongs to the spelled-out run.
  const isSingle = (w: (Letter | typeof SOFT)[] | undefined) => w?.length === 1 && w[0] !== SOFT;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as (Letter | typeof SOFT)[];
    // The rest keeps its soft edge, so it is never taken for one more spelled-out letter ("s c o r e:5").
    if (w.length >= 3 && w[1] === SOFT && isSingle(words[i - 1])) words.splice(i, 1, [w[0] as Letter], w.slice(1));
    else if (w.length >= 3 && w[w.length - 2] === SOFT && isSingle(words[i + 1])) words.splice(i, 1, w.slice(0, -1), [w.at(-1) as Letter]);
  }
  // Consecutive one-letter words are one word spelled out: "r i s k" → "risk".
  const joined: (Letter | typeof SOFT)[][] = [];
  let spelled: Letter[] = [];
  for (const w of words) {
    if (w.length === 1 && w[0] !== SOFT) {
      spelled.push(w[0] as Letter);
      continue;
    }
    if (spelled.length > 0) joined.push(spelled);
    spelled = [];
    joined.push(w);
  }
  if (spelled.length > 0) joined.push(spelled);
  return joined.flatMap((w, i) => (i === 0 ? w : [" " as const, ...w]));
}

/** Whether `literal` (lower-case skeleton letters and spaces) can be read starting at cell `at`. */
function spells(text: Cell[], at: number, literal: string, wordEnd: boolean): boolean {
  if (literal === "") return !wordEnd || isEdge(text[at]);
  const cell = text[at];
  if (cell === undefined) return false;
  if (cell === SOFT) return spells(text, at + 1, literal, wordEnd);
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

/**
 * A word edge for whole-word terms: a space, the text's start or end, or a character that reads as no Latin
 * letter, so "score" is found in "あなたのscoreは" but not in "underscore".
 */
function isEdge(cell: Cell | undefined): boolean {
  return cell === undefined || cell === " " || cell === SOFT || !cell.some((option) => LATIN.test(option));
}

function found(text: Cell[], denied: DeniedTerm): boolean {
  for (let at = 0; at < text.length; at++) {
    if (text[at] === " " || text[at] === SOFT) continue;
    if (denied.wholeWord && !isEdge(text[at - 1])) continue;
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
  const forms = [...new Set([text.normalize("NFKC"), text])];
  const texts = forms.map(read);
  const offending = DENIED_TERMS.filter((d) => texts.some((t) => found(t, d))).map((d) => d.term);
  return { ok: offending.length === 0, offending };
}
