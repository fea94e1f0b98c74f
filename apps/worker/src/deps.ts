import type { Db } from "@engagement/db";
import type { Classifier } from "@engagement/engagement";
import type { JobKind, JobPayload, Queues, RequestBudget } from "@engagement/queue";
import type { Logger } from "@engagement/runtime";
import type { Job } from "bullmq";

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

/** What a handler receives: its job, the payload parsed once from the catalog's schema, and BullMQ's extras. */
export interface HandlerInput<K extends JobKind> {
  job: Job;
  payload: JobPayload<K>;
  /** The lock token, for step jobs that move themselves to waiting-children. */
  token: string | undefined;
  /** Aborts when the job is cancelled or the worker shuts down. */
  signal: AbortSignal | undefined;
}

export interface WorkerSettings {
  classifyChunkSize: number;
  classifyChunkConcurrency: number;
  maxRateLimited: number;
  skipRecentHours: number;
  /**
   * Reuse of an LLM judgement whose inputs fingerprint is unchanged (LLM_FINGERPRINT, ..._MAX_AGE_DAYS): null
   * when off; otherwise judgements older than maxAgeDays are made afresh.
   */
  fingerprint: { maxAgeDays: number } | null;
  /** See LLM_MODE and LLM_BATCH_RUNS in env.ts. */
  llmMode: "realtime" | "batch";
  batchRuns: "scheduled" | "all";
  batchPollMs: number;
}
