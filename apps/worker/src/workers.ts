// The worker processes: one BullMQ Worker per queue this app consumes, typed from the job catalog so a queue
// without a processor does not compile.
import { failRun } from "@engagement/db";
import { catalog, failedAttemptLog, type JobKind, parsePayload, type RedisConnection, redisErrorsOf, runIdOfJob } from "@engagement/queue";
import { type Job, QueueEvents, Worker, type WorkerOptions } from "bullmq";
import { processClassify } from "./classify.processor.ts";
import type { HandlerInput, WorkerDeps } from "./deps.ts";
import { processOrgRun } from "./org-run.processor.ts";
import { processBatchPoll, processBatchSubmit, processProviderBatch } from "./provider-batch.processor.ts";

type ConsumedKind = Exclude<JobKind, "scheduler">;
type Handler<K extends ConsumedKind> = (deps: WorkerDeps, input: HandlerInput<K>) => Promise<unknown>;

/** One handler per consumed queue: a queue of the catalog without one does not compile. */
export const handlers: { [K in ConsumedKind]: Handler<K> } = {
  orgRun: processOrgRun,
  classify: processClassify,
  providerBatch: processProviderBatch,
  batchSubmit: processBatchSubmit,
  batchPoll: processBatchPoll,
};
const CONSUMED = Object.keys(handlers) as ConsumedKind[];

export interface WorkerTuning {
  orgConcurrency: number;
  classifyConcurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
}

/**
 * A run whose org job failed for good must not stay "running": the processor marks it failed on its last
 * attempt, but a job failed by BullMQ's stalled-job check never reaches the processor, so the queue's events
 * are watched too (failRun leaves finished runs alone, so both paths may fire). BullMQ gives QueueEvents a
 * blocking duplicate of `connection` that it owns and closes; a duplicate made here would never be closed.
 */
export function watchRunFailures(deps: WorkerDeps, connection: RedisConnection, prefix: string): QueueEvents {
  const events = new QueueEvents(catalog.orgRun.queue, { connection, prefix });
  events.on("failed", ({ jobId, failedReason }) => {
    const runId = runIdOfJob(jobId);
    if (!runId) return;
    failRun(deps.db, runId, failedReason).then(
      (r) => r.count && deps.logger.error({ runId, jobId, failedReason }, "org run failed"),
      (err) => deps.logger.error({ runId, err }, "could not mark run failed"),
    );
  });
  events.on("error", (err) => redisErrorsOf(deps.logger)("queue events", err));
  return events;
}

export function createWorkers(deps: WorkerDeps, connection: RedisConnection, prefix: string, tuning: WorkerTuning): Worker[] {
  const base: Partial<WorkerOptions> = {
    connection,
    prefix,
    lockDuration: tuning.lockDurationMs,
    stalledInterval: tuning.stalledIntervalMs,
    maxStalledCount: 2,
  };
  const options: { [K in ConsumedKind]: Partial<WorkerOptions> } = {
    orgRun: { concurrency: tuning.orgConcurrency },
    // No job limiter: the shared request budget paces each request (retries included) across every process,
    // which a limiter counting jobs of several requests could only approximate.
    classify: { concurrency: tuning.classifyConcurrency },
    // Short steps (a poll, a submit, a collect) between long delays: two at a time per process is plenty.
    providerBatch: { concurrency: 2 },
    batchSubmit: { concurrency: 1 },
    batchPoll: { concurrency: 1 },
  };
  return CONSUMED.map((kind) => {
    const handler = handlers[kind] as Handler<typeof kind>;
    const worker = new Worker(
      catalog[kind].queue,
      // Three parameters: BullMQ only creates the AbortSignal for processors that declare it. The payload is
      // parsed here, once; one that does not fit fails the job for good (InvalidPayloadError).
      (job: Job, token?: string, signal?: AbortSignal) => handler(deps, { job, payload: parsePayload(kind, job.data), token, signal }),
      { ...base, ...options[kind], connection, prefix },
    );
    worker.on("failed", (job, err) => {
      const { level, msg, attempt, attempts } = failedAttemptLog(job, err);
      deps.logger[level](
        { queue: kind, jobId: job?.id, runId: job?.data?.runId, orgId: job?.data?.orgId, attempt, attempts, err: err.message },
        msg,
      );
    });
    // A lost Redis connection is one warning per interval for the whole process (the same reporter as the queues').
    worker.on("error", (err) => redisErrorsOf(deps.logger)(`worker ${kind}`, err));
    return worker;
  });
}

/**
 * Shutdown of one worker: classify jobs are cancelled (their LLM calls abort through the job's signal, and the
 * processor hands them back to waiting) rather than awaited, since a slow provider call could hold the process
 * past its deadline and the job until its lock expired. Other jobs are short and are awaited.
 */
export async function stopWorker(worker: Worker): Promise<void> {
  const closing = worker.close();
  if (worker.name === catalog.classify.queue) worker.cancelAllJobs("shutdown");
  await closing;
}
