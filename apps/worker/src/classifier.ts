import { classifierFromEnv as fromEnv } from "@engagement/anthropic";
import type { Classifier } from "@engagement/engagement";
import type { RequestBudget } from "@engagement/queue";
import type { WorkerEnv } from "./env.ts";

/** Claude when configured (ANTHROPIC_API_KEY, or the fake server via ANTHROPIC_BASE_URL), the rules otherwise. */
export function classifierFromEnv(env: WorkerEnv, budget: RequestBudget): Classifier {
  // Every request, retries included, waits for the provider's budget shared by all worker processes.
  return fromEnv(env, { beforeRequest: (signal) => budget.acquire(signal) });
}
