import Anthropic from "@anthropic-ai/sdk";
import type { Classifier, ClassifyOptions, EngagementSignals } from "@engagement/engagement";
import {
  addUsage,
  buildSystemPrompt,
  type ClassificationResult,
  evaluateRubric,
  type FallbackReason,
  inputsFingerprint,
  isFactsDecided,
  LlmAbortedError,
  type RubricThresholds,
  resolveThresholds,
  resultFromRubric,
  zeroUsage,
} from "@engagement/engagement";
import { DEFAULT_ANTHROPIC_MODEL } from "@engagement/runtime";
import { toLlmError } from "./anthropic-errors.ts";
import { buildClassificationRequest } from "./classification-request.ts";
import { interpretResponse, usageOf } from "./classification-response.ts";
import { anthropicJudgeIdentity } from "./judge-identity.ts";

export { DEFAULT_ANTHROPIC_MODEL };

/** Content failures get one more try; a second failure usually means the case itself provokes it. */
const MAX_ATTEMPTS = 2;

export interface AnthropicClassifierConfig {
  apiKey: string;
  /** Defaults to the SDK's (ANTHROPIC_BASE_URL or the public API); tests point it at the fake server. */
  baseURL?: string;
  model?: string;
  maxTokens?: number;
  /** Per request. */
  timeoutMs?: number;
  /**
   * SDK-level retries of transient errors. 0 by default: the job queue owns retry and backoff, and
   * retrying inside a job as well would multiply attempts and hide rate limits from it.
   */
  maxRetries?: number;
  thresholds?: Partial<RubricThresholds>;
  /**
   * Awaited before every Messages API request, retries included: the worker waits here for the provider's
   * shared request budget (and any retry-after pause) so that the limit holds across processes.
   */
  beforeRequest?: (signal: AbortSignal | undefined) => Promise<void>;
  /** Called when an answer is not used (before the retry or the fallback), e.g. to log the detail. */
  onAttemptFailed?: (info: { attempt: number; reason: FallbackReason; detail: string }) => void;
}

export interface AnthropicClassifier extends Classifier {
  readonly name: "anthropic";
  readonly model: string;
}

/**
 * Rules first: members the facts decide (new, no events, no attendance) cost no call. For the rest, Claude
 * weighs the signals with the rubric's suggestion in hand. Content failures fall back to the rules;
 * transport failures throw typed errors (see errors.ts) for the caller's retry policy.
 */
export function createAnthropicClassifier(config: AnthropicClassifierConfig): AnthropicClassifier {
  const model = config.model ?? DEFAULT_ANTHROPIC_MODEL;
  const maxTokens = config.maxTokens ?? 1024;
  const timeoutMs = config.timeoutMs ?? 60_000;
  const thresholds = resolveThresholds(config.thresholds);
  const systemPrompt = buildSystemPrompt(thresholds);
  const judge = { identity: anthropicJudgeIdentity(model, systemPrompt), thresholds };
  const client = new Anthropic({
    apiKey: config.apiKey,
    ...(config.baseURL === undefined ? {} : { baseURL: config.baseURL }),
    timeout: timeoutMs,
    maxRetries: config.maxRetries ?? 0,
  });

  async function callOnce(body: ReturnType<typeof buildClassificationRequest>, signal: AbortSignal | undefined) {
    try {
      await config.beforeRequest?.(signal);
      return await client.messages.create(body, { signal: signal ?? null, timeout: timeoutMs });
    } catch (error) {
      throw toLlmError(error);
    }
  }

  async function classify(signals: EngagementSignals, options: ClassifyOptions = {}): Promise<ClassificationResult> {
    const rubric = evaluateRubric(signals, thresholds);
    const rules = resultFromRubric(signals, rubric);
    if (isFactsDecided(rubric)) return rules;

    const body = buildClassificationRequest({ model, maxTokens, systemPrompt, signals, rubricSuggestion: rubric.level });
    let usage = zeroUsage();
    let answeredBy = model;
    let lastReason: FallbackReason = "invalid_tool_input";

    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if (options.signal?.aborted) throw new LlmAbortedError(options.signal.reason);
      const message = await callOnce(body, options.signal);
      usage = addUsage(usage, usageOf(message));
      if (typeof message.model === "string" && message.model) answeredBy = message.model;

      const outcome = interpretResponse(message);
      if (outcome.ok) {
        return {
          level: outcome.input.level,
          source: "llm",
          adminExplanation: outcome.input.adminExplanation,
          memberExplanation: outcome.input.memberExplanation,
          keyFactors: outcome.input.keyFactors,
          rubricStep: rubric.step,
          model: answeredBy,
          fallbackReason: null,
          usage,
          inputsFingerprint: inputsFingerprint(signals, judge),
        };
      }
      lastReason = outcome.reason;
      config.onAttemptFailed?.({ attempt, reason: outcome.reason, detail: outcome.detail });
    }

    return { ...rules, source: "fallback", model: answeredBy, fallbackReason: lastReason, usage };
  }

  return { name: "anthropic", model, judgeIdentity: judge.identity, thresholds, classify };
}
