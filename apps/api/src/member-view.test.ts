import { buildSignals } from "@engagement/db/testing";
import { checkMemberText, ENGAGEMENT_LEVELS } from "@engagement/engagement";
import { describe, expect, it } from "@jest/globals";
import { memberView } from "./member-view.ts";

const signals = buildSignals();

describe("member view", () => {
  it("shows the stored member text and the member-facing label when no override changes the level", () => {
    expect(memberView({ level: "moderate", computedLevel: "moderate", memberExplanation: "Thanks for coming along!", signals })).toEqual({
      label: "Taking part",
      memberExplanation: "Thanks for coming along!",
    });
  });

  it("never shows an at_risk member the words at risk: the label is the invitation", () => {
    const view = memberView({ level: "at_risk", computedLevel: "at_risk", memberExplanation: "We've missed you!", signals });
    expect(view.label).toBe("We miss you");
    expect(JSON.stringify(view)).not.toMatch(/at.?risk/i);
  });

  it("uses the template text of the overridden level, since the stored text was written for the computed level", () => {
    const view = memberView({ level: "highly_engaged", computedLevel: "at_risk", memberExplanation: "We've missed you!", signals });
    expect(view.label).toBe("Regular");
    expect(view.memberExplanation).toMatch(/regular/i);
    expect(view.memberExplanation).not.toMatch(/missed/);
  });

  it.each([
    ["a Cyrillic і", "You are at r\u0456sk right now."],
    ["letters split by punctuation", "You are a.t r-i-s-k right now."],
    ["mathematical letters", "You are \u{1D41A}\u{1D42D} \u{1D42B}\u{1D422}\u{1D42C}\u{1D424}."],
  ])("never shows stored text that spells at risk with %s: the template is shown instead", (_what, stored) => {
    const view = memberView({ level: "at_risk", computedLevel: "at_risk", memberExplanation: stored, signals });
    expect(view.memberExplanation).not.toBe(stored);
    expect(checkMemberText(view.memberExplanation).ok).toBe(true);
  });

  it("replaces stored text that fails the member-language check", () => {
    const view = memberView({ level: "at_risk", computedLevel: "at_risk", memberExplanation: "You are at risk of churning.", signals });
    expect(checkMemberText(view.memberExplanation).ok).toBe(true);
    expect(view.memberExplanation).not.toMatch(/risk|churn/i);
  });

  it("falls back to neutral text when the stored signals cannot be read", () => {
    const view = memberView({ level: "moderate", computedLevel: "inactive", memberExplanation: "x", signals: { old: true } });
    expect(checkMemberText(view.memberExplanation).ok).toBe(true);
  });

  it.each(ENGAGEMENT_LEVELS)("every label and template for %s passes the member-language check", (level) => {
    const view = memberView({ level, computedLevel: level === "new" ? "moderate" : "new", memberExplanation: "", signals });
    expect(checkMemberText(`${view.label} ${view.memberExplanation}`).ok).toBe(true);
  });
});
