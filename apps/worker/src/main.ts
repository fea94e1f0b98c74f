// The worker app: wires configuration, connections and processors. All logic lives in the processors and packages.
import { createDb } from "@engagement/db";
import { closeQueues, connectRedis, createQueues, createRequestBudget, normalizePrefix, redisErrorsOf } from "@engagement/queue";
import { createLogger, installShutdown, loadConfigOrExit } from "@engagement/runtime";
import { classifierFromEnv } from "./classifier.ts";
import { loadWorkerEnv } from "./env.ts";
import { createWorkers, stopWorker, watchRunFailures } from "./workers.ts";

const env = loadConfigOrExit(() => loadWorkerEnv());
const connection = connectRedis(env.REDIS_URL);
const prefix = normalizePrefix(env.QUEUE_PREFIX);
const budget = createRequestBudget(connection, prefix, env.LLM_RATE_MAX_REQUESTS, env.LLM_RATE_WINDOW_MS);
// The Message Batches endpoints are limited on their own, apart from the Messages requests.
const batchApiBudget = createRequestBudget(connection, `${prefix}:batches`, env.LLM_BATCH_API_MAX_REQUESTS, 60_000);
const classifier = loadConfigOrExit(() => classifierFromEnv(env, budget, batchApiBudget));

const logger = createLogger("worker", env.LOG_LEVEL);
const db = createDb(env.DATABASE_URL, { maxConnections: env.CLASSIFY_WORKER_CONCURRENCY + env.ORG_WORKER_CONCURRENCY + 2 });
// A Redis outage is one warning per interval, not a line per reconnect attempt of every client.
const queues = createQueues(connection, prefix, {}, (queue, err) => redisErrorsOf(logger)(`queue ${queue}`, err));
const settings = {
  classifyChunkSize: env.CLASSIFY_CHUNK_SIZE,
  classifyChunkConcurrency: env.CLASSIFY_CHUNK_CONCURRENCY,
  maxRateLimited: env.CLASSIFY_MAX_RATE_LIMITED,
  skipRecentHours: env.SKIP_RECENT_HOURS,
  fingerprint: env.LLM_FINGERPRINT === "on" ? { maxAgeDays: env.LLM_FINGERPRINT_MAX_AGE_DAYS } : null,
  llmMode: env.LLM_MODE,
  batchRuns: env.LLM_BATCH_RUNS,
  batchPollMs: env.LLM_BATCH_POLL_MS,
};
const workers = createWorkers({ db, queues, classifier, budget, logger, settings }, connection, prefix, {
  orgConcurrency: env.ORG_WORKER_CONCURRENCY,
  classifyConcurrency: env.CLASSIFY_WORKER_CONCURRENCY,
  lockDurationMs: env.JOB_LOCK_MS,
  stalledIntervalMs: env.STALLED_INTERVAL_MS,
});
const runFailures = watchRunFailures({ db, queues, classifier, budget, logger, settings }, connection, prefix);

installShutdown(
  logger,
  [
    // Abort the LLM calls in flight (a classify job keeps what was answered and goes back to waiting at once, for
    // another worker), and let the other jobs finish; past the deadline the process exits and BullMQ's stalled
    // check hands what is left to another worker (every write is idempotent).
    { name: "workers", run: () => Promise.all(workers.map((w) => stopWorker(w))) },
    { name: "queue events", run: () => runFailures.close() },
    { name: "queues", run: () => closeQueues(queues) },
    { name: "redis", run: () => connection.quit() },
    { name: "database", run: () => db.$disconnect() },
  ],
  env.SHUTDOWN_TIMEOUT_MS,
);

logger.info({ classifier: classifier.name, prefix, queues: workers.map((w) => w.name) }, "worker started");
