import { buildSystemPrompt, DEFAULT_THRESHOLDS, resolveThresholds } from "@engagement/engagement";
import { describe, expect, it } from "@jest/globals";
import { createAnthropicClassifier } from "./anthropic-classifier.ts";
import { anthropicJudgeIdentity } from "./judge-identity.ts";

describe("anthropicJudgeIdentity", () => {
  const prompt = buildSystemPrompt(DEFAULT_THRESHOLDS);

  it("is stable for one model and prompt, and differs for another model or another prompt", () => {
    expect(anthropicJudgeIdentity("claude-haiku-5-5", prompt)).toBe(anthropicJudgeIdentity("claude-haiku-5-5", prompt));
    expect(anthropicJudgeIdentity("claude-sonnet-5", prompt)).not.toBe(anthropicJudgeIdentity("claude-haiku-5-5", prompt));
    expect(anthropicJudgeIdentity("claude-haiku-5-5", `${prompt} `)).not.toBe(anthropicJudgeIdentity("claude-haiku-5-5", prompt));
  });

  it("is what the classifier reports, and follows its thresholds through the prompt", () => {
    const base = createAnthropicClassifier({ apiKey: "k", model: "claude-haiku-5-5" });
    const stricter = createAnthropicClassifier({ apiKey: "k", model: "claude-haiku-5-5", thresholds: { atRiskAfterDays: 60 } });
    expect(base.judgeIdentity).toBe(anthropicJudgeIdentity("claude-haiku-5-5", prompt));
    expect(stricter.judgeIdentity).not.toBe(base.judgeIdentity);
    expect(stricter.thresholds).toEqual(resolveThresholds({ atRiskAfterDays: 60 }));
  });
});
