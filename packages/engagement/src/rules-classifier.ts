import type { ClassificationResult } from "./classification-result.ts";
import { zeroUsage } from "./classification-result.ts";
import { evaluateRubric, type RubricResult, type RubricThresholds } from "./rubric.ts";
import type { EngagementSignals } from "./signals.ts";
import { adminExplanation, keyFactors, memberExplanation } from "./templates.ts";

/** The rubric's decision with template texts: deterministic, free, and the fallback for every LLM failure. */
export function classifyWithRules(signals: EngagementSignals, thresholds?: Partial<RubricThresholds>): ClassificationResult {
  return resultFromRubric(signals, evaluateRubric(signals, thresholds));
}

/** For callers that already evaluated the rubric (the LLM classifier) and must not evaluate it twice. */
export function resultFromRubric(signals: EngagementSignals, rubric: RubricResult): ClassificationResult {
  return {
    level: rubric.level,
    source: "rules",
    adminExplanation: adminExplanation(signals, rubric),
    memberExplanation: memberExplanation(rubric.level, signals),
    keyFactors: keyFactors(signals, rubric),
    rubricStep: rubric.step,
    model: null,
    fallbackReason: null,
    usage: zeroUsage(),
  };
}
