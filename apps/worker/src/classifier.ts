import { classifierFromEnv as fromEnv } from "@engagement/anthropic";
import type { Classifier } from "@engagement/engagement";
import type { RequestBudget } from "@engagement/queue";
import type { WorkerEnv } from "./env.ts";

/** Claude when configured (ANTHROPIC_API_KEY, or the fake server via ANTHROPIC_BASE_URL), the rules otherwise. */
export function classifierFromEnv(env: WorkerEnv, budget: RequestBudget, batchApiBudget: RequestBudget): Classifier {
  // Every request, retries included, waits for the provider's budget shared by all worker processes, and every
  // answer's rate-limit headers tell that budget what the provider has left.
  return fromEnv(env, {
    beforeRequest: (signal) => budget.acquire(signal),
    // A lost observation (Redis briefly away) only paces less tightly; the 429 path still holds.
    onRateLimits: (limits) => void budget.observe(limits).catch(() => undefined),
    beforeBatchApiCall: () => batchApiBudget.acquire(),
  });
}
