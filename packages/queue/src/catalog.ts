// The job catalog: every queue, its payload schema and its job options in one place.
//
// Queue names are stored data: jobs already in Redis live under them. Renaming one strands those jobs, so a
// rename needs a migration plan (drain the old queue first, or run workers on both names for a night).
//
// Payloads carry ids only, never names or emails: Redis is not where personal data lives. New payload fields
// must be optional so that jobs queued by an older version still validate.
import { type JobsOptions, UnrecoverableError } from "bullmq";
import { z } from "zod";

export const QUEUE_NAMES = {
  scheduler: "engagement-scheduler",
  orgRun: "engagement-org-run",
  classify: "engagement-classify",
  providerBatch: "engagement-provider-batch",
  batchSubmit: "engagement-batch-submit",
  batchPoll: "engagement-batch-poll",
} as const;

/**
 * Options of the jobs that exist at most once (a fixed job id): removed when done, even when failed, so the id is
 * free for the next one (the runs waiting on them add one again on every poll, so a failed one is retried by them
 * too).
 */
const SINGLETON_OPTIONS = {
  attempts: 8,
  backoff: { type: "exponential", delay: 15_000 },
  removeOnComplete: true,
  removeOnFail: true,
} as const satisfies JobsOptions;

export const catalog = {
  /** The nightly tick: enqueues one org run per organisation with active members. */
  scheduler: {
    queue: QUEUE_NAMES.scheduler,
    jobName: "nightly",
    payload: z.object({
      /** Only for manual ticks (CLI --all); a scheduled tick derives the run date from its own timestamp. */
      runDate: z.iso.date().optional(),
    }),
    options: {
      attempts: 5,
      backoff: { type: "exponential", delay: 10_000 },
      removeOnComplete: { age: 30 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  },
  /** One organisation's run: computes signals, decides facts, fans out classify jobs, finalizes the run. */
  orgRun: {
    queue: QUEUE_NAMES.orgRun,
    jobName: "org-run",
    payload: z.object({
      runId: z.uuid(),
      /** Step state the job writes for itself (BullMQ step jobs); absent on a new job. */
      step: z.enum(["prepare", "finalize"]).optional(),
      /** How many classify children the prepare step added. */
      classifyJobs: z.number().int().nonnegative().optional(),
    }),
    options: {
      attempts: 3,
      backoff: { type: "exponential", delay: 30_000 },
      // Kept for 8 days: the deterministic job id only deduplicates while the job still exists in Redis
      // (the run_key unique index in PostgreSQL is the lasting guard).
      removeOnComplete: { age: 8 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  },
  /** A chunk of members of one run for the LLM classifier. */
  classify: {
    queue: QUEUE_NAMES.classify,
    jobName: "classify-chunk",
    payload: z.object({
      runId: z.uuid(),
      orgId: z.uuid(),
      userIds: z.array(z.uuid()).min(1).max(200),
    }),
    options: {
      // Counts real failures (5xx, timeouts); a 429 is waited out inside the job and uses no attempt.
      attempts: 4,
      backoff: { type: "exponential", delay: 5_000 },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  },
  /**
   * A run's part in the provider's Message Batches (batch mode), as a step job: queue the run's requests (its
   * judged members, K per request) in PostgreSQL, then wait as a delayed job (no process waits in a loop) until
   * the poller has collected them; members left unanswered go to classify jobs added to the same run.
   */
  providerBatch: {
    queue: QUEUE_NAMES.providerBatch,
    jobName: "provider-batch",
    payload: z.object({
      runId: z.uuid(),
      orgId: z.uuid(),
      /** Step state the job writes for itself; absent on a new job. */
      step: z.enum(["queue", "wait"]).optional(),
    }),
    options: {
      // Waits are delays, not attempts; attempts count failures of the database or the queue.
      attempts: 6,
      backoff: { type: "exponential", delay: 30_000 },
      removeOnComplete: { age: 8 * 24 * 3600 },
      removeOnFail: { age: 30 * 24 * 3600 },
    },
  },
  /**
   * One at a time (a fixed job id): puts every queued request of every waiting run into provider batches, so a
   * night of many organisations costs a few Batches API calls, not a few per organisation.
   */
  batchSubmit: {
    queue: QUEUE_NAMES.batchSubmit,
    jobName: "batch-submit",
    payload: z.object({}),
    options: SINGLETON_OPTIONS,
  },
  /** One at a time (a fixed job id): polls the open provider batches and collects each one that ended. */
  batchPoll: {
    queue: QUEUE_NAMES.batchPoll,
    jobName: "batch-poll",
    payload: z.object({}),
    options: SINGLETON_OPTIONS,
  },
} as const satisfies Record<string, { queue: string; jobName: string; payload: z.ZodType; options: JobsOptions }>;

export type JobKind = keyof typeof catalog;
export type JobPayload<K extends JobKind> = z.infer<(typeof catalog)[K]["payload"]>;

/** The last attempt BullMQ will make of a job: failing now closes what the job was doing for good. */
export function isLastAttempt(job: { attemptsMade: number; opts: { attempts?: number | undefined } }): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/**
 * How a failed attempt should be logged: a warning while BullMQ will try again (most succeed then), an error only
 * when this was the last attempt or the failure can never succeed, which is what needs a person.
 */
export function failedAttemptLog(
  job: { attemptsMade: number; opts: { attempts?: number | undefined } } | undefined,
  err: Error,
): { level: "warn" | "error"; msg: string; attempt: number | null; attempts: number | null } {
  if (!job) return { level: "error", msg: "job failed", attempt: null, attempts: null };
  const attempts = job.opts.attempts ?? 1;
  // On "failed", attemptsMade already counts the attempt that just failed.
  const willRetry = !(err instanceof UnrecoverableError) && job.attemptsMade < attempts;
  return willRetry
    ? { level: "warn", msg: "job attempt failed; BullMQ will retry it", attempt: job.attemptsMade, attempts }
    : { level: "error", msg: "job failed for good", attempt: job.attemptsMade, attempts };
}

/** Parses a payload on consumption; a payload that does not fit is a permanent error, not a retry. */
export function parsePayload<K extends JobKind>(kind: K, data: unknown): JobPayload<K> {
  const result = catalog[kind].payload.safeParse(data);
  if (!result.success) {
    throw new InvalidPayloadError(kind, z.prettifyError(result.error));
  }
  return result.data as JobPayload<K>;
}

/** Unrecoverable: BullMQ fails the job at once instead of retrying a payload that will never parse. */
export class InvalidPayloadError extends UnrecoverableError {
  constructor(
    readonly kind: JobKind,
    detail: string,
  ) {
    super(`invalid ${kind} payload: ${detail}`);
    this.name = "InvalidPayloadError";
  }
}

/** Job ids may not contain ":" nor look like integers (BullMQ rule). */
export const jobIds = {
  orgRun: (runId: string) => `run-${runId}`,
  classify: (runId: string, chunk: number) => `classify-${runId}-${chunk}`,
  providerBatch: (runId: string) => `batch-${runId}`,
  /** Singletons: at most one submit and one poll job exist at a time. */
  batchSubmit: "batch-submit",
  batchPoll: "batch-poll",
  /** Classify jobs for the members a run's batches left unanswered. */
  classifyAfterBatch: (runId: string, chunk: number) => `classify-${runId}-after-batch-${chunk}`,
};
