import { classifyWithRules, createRulesClassifier } from "@engagement/engagement";
import { SIGNALS_BY_LEVEL } from "@engagement/engagement/testing";
import { describe, expect, it } from "@jest/globals";
import { createClassifier } from "./create-classifier.ts";

describe("createClassifier", () => {
  it("rules config gives the rules classifier, answering like classifyWithRules", async () => {
    const classifier = createClassifier({ kind: "rules" });
    expect(classifier.name).toBe("rules");
    await expect(classifier.classify(SIGNALS_BY_LEVEL.at_risk)).resolves.toEqual(classifyWithRules(SIGNALS_BY_LEVEL.at_risk));
  });

  it("passes threshold overrides to the rules", async () => {
    const classifier = createClassifier({ kind: "rules", thresholds: { newMemberDays: 500 } });
    expect((await classifier.classify(SIGNALS_BY_LEVEL.moderate)).level).toBe("new");
  });

  it("anthropic config gives the anthropic classifier with the configured model", () => {
    const classifier = createClassifier({ kind: "anthropic", apiKey: "sk-test", baseURL: "http://127.0.0.1:9", model: "claude-haiku-4-5" });
    expect(classifier.name).toBe("anthropic");
    expect(classifier).toMatchObject({ model: "claude-haiku-4-5" });
  });

  it("rules classifier rejects with an AbortError once the signal has fired", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(createRulesClassifier().classify(SIGNALS_BY_LEVEL.moderate, { signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});
