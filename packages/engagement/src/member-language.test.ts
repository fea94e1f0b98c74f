import { describe, expect, it } from "@jest/globals";
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
