import type { Db } from "@engagement/db";
import type { Classifier } from "@engagement/engagement";
import type { Queues, RequestBudget } from "@engagement/queue";
import type { Logger } from "@engagement/runtime";

/** What the processors need; main.ts builds it from the environment, tests from their own services. */
export interface WorkerDeps {
  db: Db;
  queues: Queues;
  classifier: Classifier;
  /** The provider's request budget shared by all workers; the classify processor pauses it on a 429. */
  budget: RequestBudget;
  logger: Logger;
  settings: WorkerSettings;
}

export interface WorkerSettings {
  classifyChunkSize: number;
  classifyChunkConcurrency: number;
  maxRateLimited: number;
  skipRecentHours: number;
}
