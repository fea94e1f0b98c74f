import { describe, expect, it } from "@jest/globals";
import { ENGAGEMENT_LEVELS } from "./levels.ts";
import { checkMemberText } from "./member-language.ts";
import { classifyWithRules } from "./rules-classifier.ts";
import { SIGNALS_BY_LEVEL } from "./testing/build-signals.ts";

describe("classifyWithRules", () => {
  it.each(ENGAGEMENT_LEVELS)("classifies the %s fixture as that level, from the rules, at no cost", (level) => {
    const result = classifyWithRules(SIGNALS_BY_LEVEL[level]);
    expect(result).toMatchObject({ level, source: "rules", model: null, fallbackReason: null });
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, llmCalls: 0 });
    expect(checkMemberText(result.memberExplanation).ok).toBe(true);
    expect(result.keyFactors.length).toBeGreaterThan(0);
  });

  it("records the rubric step that decided", () => {
    expect(classifyWithRules(SIGNALS_BY_LEVEL.inactive).rubricStep).toBe("no_attendance");
    expect(classifyWithRules(SIGNALS_BY_LEVEL.highly_engaged).rubricStep).toBe("highly_engaged");
  });

  it("applies threshold overrides", () => {
    expect(classifyWithRules(SIGNALS_BY_LEVEL.at_risk, { atRiskAfterDays: 100, decliningMinPrior90: 99, noShowMinCount: 9 }).level).toBe(
      "moderate",
    );
  });
});
