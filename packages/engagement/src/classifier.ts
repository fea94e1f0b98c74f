import type { BatchJudge } from "./batch-judge.ts";
import type { ClassificationResult } from "./classification-result.ts";
import { LlmAbortedError } from "./errors.ts";
import { rulesJudgeIdentity } from "./inputs-fingerprint.ts";
import { type RubricThresholds, resolveThresholds } from "./rubric.ts";
import { classifyWithRules } from "./rules-classifier.ts";
import type { EngagementSignals } from "./signals.ts";

export interface ClassifyOptions {
  /** Cancels an in-flight LLM call; the promise then rejects with an error named "AbortError". */
  signal?: AbortSignal;
  /**
   * classifyMany hands each result here as soon as it is decided, so a caller keeps what was paid for even when
   * a later request of the same call fails and the call rejects.
   */
  onResult?: (index: number, result: ClassificationResult) => void;
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
  /** How many judged members one provider request carries (1 for the rules, which make no request). */
  readonly membersPerRequest: number;
  classify(signals: EngagementSignals, options?: ClassifyOptions): Promise<ClassificationResult>;
  /**
   * Several members at once, results in the same order. The LLM classifier sends the judged ones together,
   * up to membersPerRequest per request; each answer is still checked on its own.
   */
  classifyMany(signals: readonly EngagementSignals[], options?: ClassifyOptions): Promise<ClassificationResult[]>;
  /** Message Batches, when the classifier's provider offers them (the rules need none). */
  readonly batches?: BatchJudge;
}

export function createRulesClassifier(thresholds?: Partial<RubricThresholds>): Classifier {
  const resolved = resolveThresholds(thresholds);
  return {
    name: "rules",
    judgeIdentity: rulesJudgeIdentity(resolved),
    thresholds: resolved,
    // Async like the LLM classifier, so callers treat both alike; the abort check keeps the contract too.
    membersPerRequest: 1,
    async classify(signals, options = {}) {
      if (options.signal?.aborted) throw new LlmAbortedError(options.signal.reason);
      return classifyWithRules(signals, resolved);
    },
    async classifyMany(list, options = {}) {
      if (options.signal?.aborted) throw new LlmAbortedError(options.signal.reason);
      return list.map((signals, i) => {
        const result = classifyWithRules(signals, resolved);
        options.onResult?.(i, result);
        return result;
      });
    },
  };
}
