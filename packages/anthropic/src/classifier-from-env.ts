// The classifier an app's environment asks for (ENGAGEMENT_CLASSIFIER and the ANTHROPIC_* variables, parsed by
// the runtime's classifierEnv): Claude when configured, the rules otherwise.
import type { Classifier } from "@engagement/engagement";
import { resolveClassifier } from "@engagement/runtime";
import { type AnthropicClassifierConfig, createClassifier } from "./create-classifier.ts";

export interface ClassifierEnvValues {
  ENGAGEMENT_CLASSIFIER: "auto" | "rules" | "anthropic";
  ANTHROPIC_API_KEY?: string | undefined;
  ANTHROPIC_BASE_URL?: string | undefined;
  ANTHROPIC_MODEL: string;
  ANTHROPIC_MAX_TOKENS: number;
  ANTHROPIC_TIMEOUT_MS: number;
  /** Absent: the classifier's default (DEFAULT_STALL_TIMEOUT_MS). */
  ANTHROPIC_STALL_TIMEOUT_MS?: number | undefined;
  LLM_MEMBERS_PER_REQUEST: number;
}

export function classifierFromEnv(
  env: ClassifierEnvValues,
  hooks: Pick<AnthropicClassifierConfig, "beforeRequest" | "onRateLimits" | "beforeBatchApiCall"> = {},
): Classifier {
  const kind = resolveClassifier(env);
  if (kind === "rules" || !env.ANTHROPIC_API_KEY) return createClassifier({ kind: "rules" });
  return createClassifier({
    kind: "anthropic",
    apiKey: env.ANTHROPIC_API_KEY,
    ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    model: env.ANTHROPIC_MODEL,
    maxTokens: env.ANTHROPIC_MAX_TOKENS,
    membersPerRequest: env.LLM_MEMBERS_PER_REQUEST,
    timeoutMs: env.ANTHROPIC_TIMEOUT_MS,
    ...(env.ANTHROPIC_STALL_TIMEOUT_MS === undefined ? {} : { stallTimeoutMs: env.ANTHROPIC_STALL_TIMEOUT_MS }),
    // The queue owns retries (rate limits, backoff); SDK retries inside a job would hide 429s from it.
    maxRetries: 0,
    ...hooks,
  });
}
