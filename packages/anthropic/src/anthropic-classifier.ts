import Anthropic from "@anthropic-ai/sdk";
import type { Classifier, ClassifyOptions, EngagementSignals, RubricResult } from "@engagement/engagement";
import {
  addUsage,
  buildSystemPrompt,
  type ClassificationItem,
  type ClassificationResult,
  DEFAULT_OVERLOAD_RETRY_MS,
  evaluateRubric,
  type FallbackReason,
  inputsFingerprint,
  isFactsDecided,
  LlmAbortedError,
  LlmStalledError,
  LlmTransientError,
  MAX_MEMBERS_PER_REQUEST,
  memberRef,
  type RubricThresholds,
  resolveThresholds,
  resultFromRubric,
  type TokenUsage,
} from "@engagement/engagement";
import { DEFAULT_ANTHROPIC_MODEL } from "@engagement/runtime";
import { toLlmError } from "./anthropic-errors.ts";
import { createBatchJudge } from "./batch-judge.ts";
import { buildClassificationRequest, type ClassificationRequest } from "./classification-request.ts";
import { interpretResponse, splitUsage, usageOf } from "./classification-response.ts";
import { anthropicJudgeIdentity } from "./judge-identity.ts";
import { type ProviderRateLimits, readRateLimits } from "./rate-limit-headers.ts";

export { DEFAULT_ANTHROPIC_MODEL };

/** Content failures get one more try; a second failure usually means the case itself provokes it. */
const MAX_ATTEMPTS = 2;

/** Silence after which a streamed call counts as stuck (see stallTimeoutMs). */
export const DEFAULT_STALL_TIMEOUT_MS = 15_000;

/** Members per request by default: throughput under a request limit is this many times the requests per minute. */
export const DEFAULT_MEMBERS_PER_REQUEST = 20;

export interface AnthropicClassifierConfig {
  apiKey: string;
  /** Defaults to the SDK's (ANTHROPIC_BASE_URL or the public API); tests point it at the fake server. */
  baseURL?: string;
  model?: string;
  /** Output tokens allowed per member judged; a request's max_tokens is this times its members (capped). */
  maxTokens?: number;
  /** Judged members per request (1 to MAX_MEMBERS_PER_REQUEST); default DEFAULT_MEMBERS_PER_REQUEST. */
  membersPerRequest?: number;
  /** Per request, until the answer's headers arrive (the SDK's timeout). */
  timeoutMs?: number;
  /**
   * Answers are streamed, and a call that sends nothing for this long (no headers, no event) is abandoned with
   * LlmStalledError: a stuck call is told from a long answer, which sends events all along. Default 15 000 ms.
   */
  stallTimeoutMs?: number;
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
  /** The provider's rate-limit headers of every answer, for a budget that paces from them. */
  onRateLimits?: (limits: ProviderRateLimits) => void;
  /** Called when an answer is not used (before the retry or the fallback), e.g. to log the detail. */
  onAttemptFailed?: (info: { attempt: number; reason: FallbackReason; detail: string }) => void;
  /** Awaited before each Message Batches API call (create, retrieve, results, cancel), for their own limit. */
  beforeBatchApiCall?: () => Promise<void>;
}

export interface AnthropicClassifier extends Classifier {
  readonly name: "anthropic";
  readonly model: string;
}

/** A member the model is asked about, with where its result goes. */
interface Judged {
  index: number;
  signals: EngagementSignals;
  rubric: RubricResult;
}

/**
 * Rules first: members the facts decide (new, no events, no attendance) cost no call. The rest go to Claude
 * in requests of up to membersPerRequest members, each with the rubric's suggestion in hand. Every item of an
 * answer is checked on its own; a member whose item is missing or bad is asked about again alone, then falls
 * back to the rules. Transport failures throw typed errors (see errors.ts) for the caller's retry policy;
 * results decided before such a failure have already been handed to `onResult`.
 */
export function createAnthropicClassifier(config: AnthropicClassifierConfig): AnthropicClassifier {
  const model = config.model ?? DEFAULT_ANTHROPIC_MODEL;
  const maxTokensPerMember = config.maxTokens ?? 1024;
  const membersPerRequest = config.membersPerRequest ?? DEFAULT_MEMBERS_PER_REQUEST;
  if (!Number.isInteger(membersPerRequest) || membersPerRequest < 1 || membersPerRequest > MAX_MEMBERS_PER_REQUEST) {
    throw new RangeError(`membersPerRequest must be a whole number from 1 to ${MAX_MEMBERS_PER_REQUEST}, got ${membersPerRequest}`);
  }
  const timeoutMs = config.timeoutMs ?? 60_000;
  const stallTimeoutMs = config.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const thresholds = resolveThresholds(config.thresholds);
  const systemPrompt = buildSystemPrompt(thresholds);
  const judge = { identity: anthropicJudgeIdentity(model, systemPrompt), thresholds };
  const client = new Anthropic({
    apiKey: config.apiKey,
    ...(config.baseURL === undefined ? {} : { baseURL: config.baseURL }),
    timeout: timeoutMs,
    maxRetries: config.maxRetries ?? 0,
  });

  /**
   * One streamed request. The stall timer runs from the moment the budget lets the request go and restarts at the
   * headers and at every event; when it fires the call is aborted through its own controller (the caller's signal
   * aborts it too) and reported as LlmStalledError, not as the caller's abort.
   */
  async function streamOnce(body: ClassificationRequest, signal: AbortSignal | undefined) {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    // Aborted while the budget let it through (after callOnce's own check): the listener above will never fire,
    // and the call would run to its end.
    if (signal?.aborted) onAbort();
    let stalled = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, stallTimeoutMs);
    };
    try {
      arm();
      const stream = client.messages.stream(body, { signal: controller.signal, timeout: timeoutMs });
      stream.on("connect", arm).on("streamEvent", arm);
      const [data, { response }] = await Promise.all([stream.finalMessage(), stream.withResponse()]);
      return { data, response };
    } catch (error) {
      if (stalled && !signal?.aborted) {
        throw new LlmStalledError(`Anthropic API sent nothing for ${stallTimeoutMs} ms: call abandoned`, null, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  async function callOnce(body: ClassificationRequest, signal: AbortSignal | undefined) {
    if (signal?.aborted) throw new LlmAbortedError(signal.reason);
    try {
      await config.beforeRequest?.(signal);
      const { data, response } = await streamOnce(body, signal);
      if (config.onRateLimits) {
        const u = data.usage;
        const used = { inputTokens: u.input_tokens + (u.cache_creation_input_tokens ?? 0), outputTokens: u.output_tokens };
        config.onRateLimits({ ...readRateLimits(response.headers), used });
      }
      return data;
    } catch (error) {
      const llmError = toLlmError(error);
      // In the same tick the refusal arrives, before the error travels up: no other call may start inside the wait.
      if (error instanceof Anthropic.APIError && config.onRateLimits) {
        const refused = llmError instanceof LlmTransientError && error.status !== null && [429, 529].includes(error.status);
        // A refusal says how long to wait (retry-after); its "remaining 0, full again at reset" would turn a
        // one-second wait into a whole window, so only the wait is passed on.
        if (refused) config.onRateLimits({ retryAfterMs: llmError.retryAfterMs ?? DEFAULT_OVERLOAD_RETRY_MS });
        else config.onRateLimits(readRateLimits(error.headers));
      }
      throw llmError;
    }
  }

  const request = (members: readonly Judged[], cacheTtl: "5m" | "1h" = "5m") =>
    buildClassificationRequest({
      model,
      maxTokensPerMember,
      systemPrompt,
      members: members.map((m, i) => ({ ref: memberRef(i), signals: m.signals, rubricSuggestion: m.rubric.level })),
      cacheTtl,
    });
  const judgedOf = (signals: readonly EngagementSignals[]): Judged[] =>
    signals.map((s, index) => ({ index, signals: s, rubric: evaluateRubric(s, thresholds) }));

  const llmResult = (m: Judged, item: ClassificationItem, answeredBy: string, usage: TokenUsage): ClassificationResult => ({
    level: item.level,
    source: "llm",
    adminExplanation: item.adminExplanation,
    memberExplanation: item.memberExplanation,
    keyFactors: item.keyFactors,
    rubricStep: m.rubric.step,
    model: answeredBy,
    fallbackReason: null,
    usage,
    inputsFingerprint: inputsFingerprint(m.signals, judge),
  });

  /** One member asked about alone, from `attempt` on, after `usage` already spent on it; then the rules. */
  async function judgeAlone(m: Judged, attempt: number, usage: TokenUsage, lastReason: FallbackReason, signal?: AbortSignal) {
    let answeredBy = model;
    for (; attempt <= MAX_ATTEMPTS; attempt++) {
      const message = await callOnce(request([m]), signal);
      usage = addUsage(usage, usageOf(message));
      if (typeof message.model === "string" && message.model) answeredBy = message.model;
      const outcome = interpretResponse(message, [memberRef(0)]).get(memberRef(0));
      if (outcome?.ok) return llmResult(m, outcome.item, answeredBy, usage);
      if (outcome) {
        lastReason = outcome.reason;
        config.onAttemptFailed?.({ attempt, reason: outcome.reason, detail: outcome.detail });
      }
    }
    return { ...resultFromRubric(m.signals, m.rubric), source: "fallback" as const, model: answeredBy, fallbackReason: lastReason, usage };
  }

  /** One request for a group; members whose item failed are asked again alone. */
  async function judgeGroup(group: Judged[], deliver: (m: Judged, r: ClassificationResult) => void, signal?: AbortSignal) {
    const refs = group.map((_, i) => memberRef(i));
    const message = await callOnce(request(group), signal);
    const answeredBy = typeof message.model === "string" && message.model ? message.model : model;
    const outcomes = interpretResponse(message, refs);
    const shares = splitUsage(usageOf(message), group.length);
    const retry: { m: Judged; usage: TokenUsage; reason: FallbackReason }[] = [];
    group.forEach((m, i) => {
      const outcome = outcomes.get(refs[i] as string);
      const usage = shares[i] as TokenUsage;
      if (outcome?.ok) deliver(m, llmResult(m, outcome.item, answeredBy, usage));
      else if (outcome) {
        config.onAttemptFailed?.({ attempt: 1, reason: outcome.reason, detail: outcome.detail });
        retry.push({ m, usage, reason: outcome.reason });
      }
    });
    for (const r of retry) deliver(r.m, await judgeAlone(r.m, 2, r.usage, r.reason, signal));
  }

  async function classifyMany(list: readonly EngagementSignals[], options: ClassifyOptions = {}): Promise<ClassificationResult[]> {
    const results: ClassificationResult[] = new Array(list.length);
    const deliver = (m: Judged, r: ClassificationResult) => {
      results[m.index] = r;
      options.onResult?.(m.index, r);
    };
    const judged: Judged[] = [];
    list.forEach((signals, index) => {
      const rubric = evaluateRubric(signals, thresholds);
      if (isFactsDecided(rubric)) deliver({ index, signals, rubric }, resultFromRubric(signals, rubric));
      else judged.push({ index, signals, rubric });
    });
    for (let i = 0; i < judged.length; i += membersPerRequest) {
      await judgeGroup(judged.slice(i, i + membersPerRequest), deliver, options.signal);
    }
    return results;
  }

  async function classify(signals: EngagementSignals, options: ClassifyOptions = {}): Promise<ClassificationResult> {
    const [result] = await classifyMany([signals], options);
    return result as ClassificationResult;
  }

  /**
   * A batch answer, item by item as in real time. Members whose item failed go back to the real-time path (which
   * asks them again alone), so the request's usage is shared among the members it did answer.
   */
  function readBatchAnswer(message: Anthropic.Message, signals: readonly EngagementSignals[]): (ClassificationResult | null)[] {
    const members = judgedOf(signals);
    const outcomes = interpretResponse(
      message,
      members.map((_, i) => memberRef(i)),
    );
    const answeredBy = typeof message.model === "string" && message.model ? message.model : model;
    const ok = members.filter((_, i) => outcomes.get(memberRef(i))?.ok).length;
    const shares = splitUsage(usageOf(message), Math.max(1, ok));
    let next = 0;
    return members.map((m, i) => {
      const outcome = outcomes.get(memberRef(i));
      if (!outcome?.ok) {
        if (outcome) config.onAttemptFailed?.({ attempt: 1, reason: outcome.reason, detail: outcome.detail });
        return null;
      }
      return llmResult(m, outcome.item, answeredBy, shares[next++] as TokenUsage);
    });
  }

  // Batches are processed over minutes to hours: the 1-hour cache lifetime lets their requests share one prefix.
  const batches = createBatchJudge({
    client,
    buildRequest: (signals) => request(judgedOf(signals), "1h"),
    readAnswer: readBatchAnswer,
    ...(config.beforeBatchApiCall ? { beforeApiCall: config.beforeBatchApiCall } : {}),
  });

  return { name: "anthropic", model, judgeIdentity: judge.identity, thresholds, membersPerRequest, classify, classifyMany, batches };
}
