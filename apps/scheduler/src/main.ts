// The scheduler app: keeps the nightly job scheduler in Redis and runs the tick that enqueues one job per org.
import { createDb } from "@engagement/db";
import { catalog, closeQueues, connectRedis, createQueues, normalizePrefix, redisErrorsOf, scheduledInstant } from "@engagement/queue";
import { createLogger, installShutdown, loadConfigOrExit } from "@engagement/runtime";
import { type Job, Worker } from "bullmq";
import { loadSchedulerEnv } from "./env.ts";
import { processNightly } from "./nightly.processor.ts";
import { upsertNightlySchedule } from "./schedule.ts";

const env = loadConfigOrExit(() => loadSchedulerEnv());

const logger = createLogger("scheduler", env.LOG_LEVEL);
const db = createDb(env.DATABASE_URL, { maxConnections: 3 });
const connection = connectRedis(env.REDIS_URL);
const prefix = normalizePrefix(env.QUEUE_PREFIX);
// A Redis outage is one warning per interval, not a line per reconnect attempt of every client.
const redisErrors = redisErrorsOf(logger);
const queues = createQueues(connection, prefix, {}, (queue, err) => redisErrors(`queue ${queue}`, err));

const worker = new Worker(catalog.scheduler.queue, (job: Job) => processNightly({ db, queues, logger }, job), { connection, prefix });
worker.on("failed", (job, err) => logger.error({ jobId: job?.id, err: err.message }, "nightly tick failed"));
worker.on("error", (err) => redisErrors("scheduler worker", err));

// Signal handlers before anything is announced: a SIGTERM during start-up still shuts down cleanly.
installShutdown(
  logger,
  [
    { name: "worker", run: () => worker.close() },
    { name: "queues", run: () => closeQueues(queues) },
    { name: "redis", run: () => connection.quit() },
    { name: "database", run: () => db.$disconnect() },
  ],
  env.SHUTDOWN_TIMEOUT_MS,
);

const next = await upsertNightlySchedule(queues, env.NIGHTLY_CRON, env.NIGHTLY_TZ);
logger.info({ cron: env.NIGHTLY_CRON, tz: env.NIGHTLY_TZ, nextRunAt: scheduledInstant(next).toISOString() }, "nightly schedule set");
