import type { ClassificationResult } from "./classification-result.ts";
import { LlmAbortedError } from "./errors.ts";
import type { RubricThresholds } from "./rubric.ts";
import { classifyWithRules } from "./rules-classifier.ts";
import type { EngagementSignals } from "./signals.ts";

export interface ClassifyOptions {
  /** Cancels an in-flight LLM call; the promise then rejects with an error named "AbortError". */
  signal?: AbortSignal;
}

/** What a worker or the CLI holds: it need not know whether rules or a model answer. */
export interface Classifier {
  readonly name: "rules" | "anthropic";
  classify(signals: EngagementSignals, options?: ClassifyOptions): Promise<ClassificationResult>;
}

export function createRulesClassifier(thresholds?: Partial<RubricThresholds>): Classifier {
  return {
    name: "rules",
    // Async like the LLM classifier, so callers treat both alike; the abort check keeps the contract too.
    async classify(signals, options = {}) {
      if (options.signal?.aborted) throw new LlmAbortedError(options.signal.reason);
      return classifyWithRules(signals, thresholds);
    },
  };
}
