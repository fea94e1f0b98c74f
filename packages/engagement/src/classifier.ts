import type { ClassificationResult } from "./classification-result.ts";
import { LlmAbortedError } from "./errors.ts";
import { rulesJudgeIdentity } from "./inputs-fingerprint.ts";
import { type RubricThresholds, resolveThresholds } from "./rubric.ts";
import { classifyWithRules } from "./rules-classifier.ts";
import type { EngagementSignals } from "./signals.ts";

export interface ClassifyOptions {
  /** Cancels an in-flight LLM call; the promise then rejects with an error named "AbortError". */
  signal?: AbortSignal;
}

/** What a worker or the CLI holds: it need not know whether rules or a model answer. */
export interface Classifier {
  readonly name: "rules" | "anthropic";
  /**
   * Who judges, as a string that changes whenever the judgement could (thresholds; for a model, the model, its
   * prompt and tool): part of every inputs fingerprint, so no judgement outlives a change of judge.
   */
  readonly judgeIdentity: string;
  /** The thresholds its rubric uses: the suggestion it works from, and the buckets of its inputs fingerprint. */
  readonly thresholds: Readonly<RubricThresholds>;
  classify(signals: EngagementSignals, options?: ClassifyOptions): Promise<ClassificationResult>;
}

export function createRulesClassifier(thresholds?: Partial<RubricThresholds>): Classifier {
  const resolved = resolveThresholds(thresholds);
  return {
    name: "rules",
    judgeIdentity: rulesJudgeIdentity(resolved),
    thresholds: resolved,
    // Async like the LLM classifier, so callers treat both alike; the abort check keeps the contract too.
    async classify(signals, options = {}) {
      if (options.signal?.aborted) throw new LlmAbortedError(options.signal.reason);
      return classifyWithRules(signals, resolved);
    },
  };
}
