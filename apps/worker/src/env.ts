// The worker's configuration: the only file of this app that reads process.env.
import { classifierEnv, commonEnv, envTypes, parseEnv } from "@engagement/runtime";
import { z } from "zod";

export const workerEnvShape = {
  ...commonEnv,
  ...classifierEnv,
  /** The provider's request budget: at most this many LLM requests per window, across all workers. */
  LLM_RATE_MAX_REQUESTS: envTypes.positiveInt.default(50),
  LLM_RATE_WINDOW_MS: envTypes.positiveInt.default(60_000),
  /**
   * Members per classify job (best a multiple of LLM_MEMBERS_PER_REQUEST, so no request goes out half full),
   * and LLM requests in flight within one job.
   */
  CLASSIFY_CHUNK_SIZE: envTypes.positiveInt.max(200).default(100),
  CLASSIFY_CHUNK_CONCURRENCY: envTypes.positiveInt.default(5),
  /** Classify jobs one worker process runs at once. */
  CLASSIFY_WORKER_CONCURRENCY: envTypes.positiveInt.default(4),
  ORG_WORKER_CONCURRENCY: envTypes.positiveInt.default(2),
  /** How many 429/529 answers a classify job waits out (retry-after) before its remaining members get the rules. */
  CLASSIFY_MAX_RATE_LIMITED: envTypes.positiveInt.default(20),
  /**
   * realtime: classify jobs call the Messages API. batch: runs submit their judged members as provider Message
   * Batches (half the price, answered within 24 hours), polled by delayed jobs; what a batch leaves unanswered
   * goes through the real-time path.
   */
  LLM_MODE: z.enum(["realtime", "batch"]).default("realtime"),
  /** In batch mode, which runs use batches: scheduled (nightly) runs only, or manual runs too. */
  LLM_BATCH_RUNS: z.enum(["scheduled", "all"]).default("scheduled"),
  /** How often a run's pending batches are polled. */
  LLM_BATCH_POLL_MS: envTypes.positiveInt.default(60_000),
  /** Calls to the Message Batches endpoints (create, retrieve, results) per minute across all workers. */
  LLM_BATCH_API_MAX_REQUESTS: envTypes.positiveInt.default(50),
  /** Members computed more recently than this keep their level unless the run is forced. */
  SKIP_RECENT_HOURS: envTypes.positiveInt.default(24),
  /**
   * An LLM judgement whose inputs fingerprint is unchanged is reused (carried, inputs_unchanged) unless "off"…
   * for at most this many days after the judgement, after which the member is judged afresh.
   */
  LLM_FINGERPRINT: envTypes.onOff.default("on"),
  LLM_FINGERPRINT_MAX_AGE_DAYS: envTypes.positiveInt.default(7),
  /** BullMQ lock and stalled-job check; a crashed worker's jobs are taken over after about this long. */
  JOB_LOCK_MS: envTypes.positiveInt.default(30_000),
  STALLED_INTERVAL_MS: envTypes.positiveInt.default(30_000),
};

export type WorkerEnv = ReturnType<typeof loadWorkerEnv>;

export function loadWorkerEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv(workerEnvShape, source);
}
