import { createRequire } from "node:module";
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { ENGAGEMENT_LEVELS } from "./levels.ts";
import { checkMemberText, MEMBER_DENIED_TERMS, MEMBER_LABELS, memberLabel } from "./member-language.ts";

describe("member labels", () => {
  it.each(ENGAGEMENT_LEVELS)("the label for %s passes the language guard and does not leak the level name", (level) => {
    const label = memberLabel(level);
    expect(checkMemberText(label)).toEqual({ ok: true, offending: [] });
    expect(label.toLowerCase()).not.toContain(level.replace("_", " "));
  });
  it("gives every level a distinct label", () => {
    expect(new Set(Object.values(MEMBER_LABELS)).size).toBe(ENGAGEMENT_LEVELS.length);
  });
  it("shows at_risk as an invitation", () => {
    expect(memberLabel("at_risk")).toBe("We miss you");
  });
});

describe("checkMemberText", () => {
  it.each([
    ["risk", "There is some risk here."],
    ["at risk", "You are at risk."],
    ["churn", "We want to reduce churn."],
    ["inactive", "You have been inactive."],
    ["disengaged", "You seem disengaged."],
    ["declining", "Your attendance is declining."],
    ["decline", "We noticed a decline."],
    ["score", "Your score is 7."],
    ["rating", "Your rating went down."],
    ["highly engaged", "You are highly engaged!"],
    ["moderate", "Your attendance is moderate."],
    ["level", "Your level changed."],
  ])("refuses %s", (term, text) => {
    const check = checkMemberText(text);
    expect(check.ok).toBe(false);
    expect(check.offending).toContain(term);
  });

  it.each([
    "At Risk",
    "at-risk",
    "AT  RISK",
    "at_risk",
    "At\nRisk",
    "at\u00a0risk",
    "at \u2013 risk",
    "AtRisk",
    "at\u200Brisk",
    "ＡＴ ＲＩＳＫ",
  ])("catches the variant %j of at risk", (text) => {
    expect(checkMemberText(`We think you are ${text} right now.`).offending).toContain("at risk");
  });

  it.each([
    ["churn", "You Churned last year."],
    ["inactive", "INACTIVITY is fine"],
    ["decline", "Your visits declined."],
    ["score", "You scored well."],
    ["rating", "Ratings are in."],
    ["highly engaged", "highly_engaged"],
    ["highly engaged", "Highly-Engaged member"],
    ["level", "Engagement levels"],
    ["disengaged", "dis-engaged"],
  ])("catches inflected or glued forms (%s in %j)", (term, text) => {
    expect(checkMemberText(text).offending).toContain(term);
  });

  it("lists every offending term once, in deny-list order", () => {
    expect(checkMemberText("Risk score: risk, RISK").offending).toEqual(["risk", "score"]);
  });

  it.each([
    "Thanks for coming along to 4 events in the last three months!",
    "We're celebrating our anniversary, come along.",
    "Welcome! You're new here and we're glad you joined.",
    "We miss you, and we'd love to see you again soon.",
    "Separate fields with an underscore.",
  ])("accepts warm text with no denied word: %j", (text) => {
    expect(checkMemberText(text)).toEqual({ ok: true, offending: [] });
  });

  it("exposes the denied vocabulary for the prompt, including the raw level names' words", () => {
    expect(MEMBER_DENIED_TERMS).toEqual(expect.arrayContaining(["risk", "at risk", "churn", "inactive", "highly engaged", "moderate"]));
  });
});

describe("checkMemberText false positives it must avoid", () => {
  it("does not read 'in activities' as inactive", () => {
    expect(checkMemberText("Join us in activities this spring!").ok).toBe(true);
  });
});

describe("checkMemberText against look-alikes and spelled-out words", () => {
  it.each([
    ["at r\u0456sk (Cyrillic і)", "You are at r\u0456sk."],
    ["\u0430t risk (Cyrillic а)", "You are \u0430t risk."],
    ["mathematical bold", "You are \u{1D41A}\u{1D42D} \u{1D42B}\u{1D422}\u{1D42C}\u{1D424}."],
    ["Greek ο in moderate", "Your attendance is m\u03BFderate."],
    ["dotless ı", "You have been \u0131nactive."],
    ["combining marks", "You are at ri\u0301s\u0308k."],
    ["letters split by dots", "You are at r.i.s.k."],
    ["letters split by spaces", "You are a t r i s k."],
    ["letters split by hyphens and stars", "c-h-u-r-n and ri*sk"],
    ["zero-width joiners and a bidi mark", "at r\u200Di\u200Es\u2060k"],
    ["Cherokee and Latin small capitals mixed", "You seem \u13A0isengaged."],
    ["score with an em dash", "Your score\u2014and rating\u2014went up"],
    ["rating before a colon", "Thanks! Your rating:4/5"],
    ["score glued to a hyphen", "Your score-card is ready"],
    ["score in an underscore name", "your_score is ready"],
    ["rated before a hyphen", "You rated-A"],
    ["score glued to Japanese", "\u3042\u306a\u305f\u306escore\u306f"],
  ])("refuses %s", (_what, text) => {
    expect(checkMemberText(text).ok).toBe(false);
  });

  it.each([
    "Thank you for coming to the cafe\u0301 evenings!",
    "Merci d'être venu, à bientôt !",
    "Спасибо, что были с нами!",
    "I hope to see you at the AGM, and a big thanks from all of us.",
    "It's a big milestone: 10 events this year.",
  ])("accepts ordinary text in other scripts and with accents: %j", (text) => {
    expect(checkMemberText(text)).toEqual({ ok: true, offending: [] });
  });

  // Look-alikes drawn from the same Unicode confusables table the guard uses, inverted: for each ASCII letter,
  // every single character the table maps to it (or to its capital).
  const table = createRequire(import.meta.url)("unhomoglyph/data.json") as Record<string, string>;
  const lookAlikes = new Map<string, string[]>();
  for (const [from, to] of Object.entries(table)) {
    const letter = to.toLowerCase();
    if (/^[a-z]$/.test(letter) && [...from].length === 1) lookAlikes.set(letter, [...(lookAlikes.get(letter) ?? []), from]);
  }
  const SEPARATORS = [".", "-", "_", "*", "·", "/", "\u200B", "\u00AD", "\u2060"];
  const COMBINING = ["\u0301", "\u0308", "\u0323", "\u0336"];
  const disguisedLetter = (letter: string) =>
    fc
      .tuple(
        fc.constantFrom(letter, letter.toUpperCase(), ...(lookAlikes.get(letter) ?? [])),
        fc.option(fc.constantFrom(...COMBINING), { freq: 4 }),
      )
      .map(([ch, mark]) => ch + (mark ?? ""));

  it("refuses every deny-listed word rewritten with random look-alikes, separators, marks and case", () => {
    const words = ["risk", "churn", "inactive", "disengaged", "declining", "moderate", "level", "classified", "rating", "score", "rated"];
    const disguised = fc.constantFrom(...words).chain((word) =>
      fc
        .tuple(
          fc.tuple(...[...word].map(disguisedLetter)),
          // Either the same kind of separator between every letter (a spaced-out word), or punctuation here and there.
          fc.oneof(
            fc.constant(" "),
            fc.constantFrom(...SEPARATORS).map((s) => [s] as const),
            fc.constant(null),
          ),
          fc.array(fc.constantFrom(...SEPARATORS), { minLength: word.length, maxLength: word.length }),
          fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }),
        )
        .map(([letters, everywhere, seps, where]) =>
          letters
            .map((l, i) => {
              if (i === letters.length - 1) return l;
              if (everywhere === " ") return `${l} `;
              if (everywhere) return l + everywhere[0];
              return where[i] ? l + seps[i] : l;
            })
            .join(""),
        )
        .map((text) => ({ word, text })),
    );
    fc.assert(
      fc.property(
        disguised,
        fc.constantFrom("You are ", "We noticed: ", "", "(", "\u2014"),
        fc.constantFrom(" this month.", "\u2014and more", ":5", "-wise"),
        ({ text }, prefix, suffix) => {
          expect(checkMemberText(`${prefix}${text}${suffix}`).ok).toBe(false);
        },
      ),
      { numRuns: 2000, seed: 20261201 },
    );
  });
});
