import { createClassifier } from "@engagement/anthropic";
import type { Classifier } from "@engagement/engagement";
import type { RequestBudget } from "@engagement/queue";
import { resolveClassifier } from "@engagement/runtime";
import type { WorkerEnv } from "./env.ts";

/** Claude when configured (ANTHROPIC_API_KEY, or the fake server via ANTHROPIC_BASE_URL), the rules otherwise. */
export function classifierFromEnv(env: WorkerEnv, budget: RequestBudget): Classifier {
  const kind = resolveClassifier(env);
  if (kind === "rules" || !env.ANTHROPIC_API_KEY) return createClassifier({ kind: "rules" });
  return createClassifier({
    kind: "anthropic",
    apiKey: env.ANTHROPIC_API_KEY,
    ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    model: env.ANTHROPIC_MODEL,
    maxTokens: env.ANTHROPIC_MAX_TOKENS,
    timeoutMs: env.ANTHROPIC_TIMEOUT_MS,
    // The queue owns retries (rate limits, backoff); SDK retries inside a job would hide 429s from it.
    maxRetries: 0,
    beforeRequest: (signal) => budget.acquire(signal),
  });
}
