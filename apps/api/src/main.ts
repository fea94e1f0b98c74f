// The API process: configuration, connections, the server, and one shutdown path (stop accepting requests
// first, then close the queues, Redis and the database).
import { createDb } from "@engagement/db";
import { closeQueues, connectRedis, createQueues, normalizePrefix, redisErrorsOf } from "@engagement/queue";
import { createLogger, installShutdown, loadConfigOrExit } from "@engagement/runtime";
import { loadApiEnv } from "./env.ts";
import { buildServer } from "./server.ts";

const env = loadConfigOrExit(() => loadApiEnv());
const logger = createLogger("api", env.LOG_LEVEL);
const db = createDb(env.DATABASE_URL, { parallelQueries: false });
const redis = connectRedis(env.REDIS_URL);
// A Redis outage is one warning per interval, not a line per reconnect attempt of every client.
const redisErrors = redisErrorsOf(logger);
redis.on("error", (err) => redisErrors("redis", err));
const prefix = normalizePrefix(env.QUEUE_PREFIX);
const queues = createQueues(redis, prefix, {}, (queue, err) => redisErrors(`queue ${queue}`, err));

const app = await buildServer({
  db,
  queues,
  redis,
  jwtSecret: env.API_JWT_SECRET,
  tokenMaxLifetimeSeconds: env.API_TOKEN_MAX_LIFETIME_DAYS * 86_400,
  logger,
  // Beside the queues' keys, in their hash-tag slot: every API process of this deployment shares the counters.
  rateLimit: { max: env.API_RATE_LIMIT_MAX, windowMs: env.API_RATE_LIMIT_WINDOW_MS, keyPrefix: `${prefix}:api-rate-limit:` },
  corsOrigins: env.API_CORS_ORIGINS,
  trustProxyHops: env.API_TRUST_PROXY_HOPS,
});

installShutdown(
  logger,
  [
    { name: "http server", run: () => app.close() },
    { name: "queues", run: () => closeQueues(queues) },
    { name: "redis", run: () => redis.quit() },
    { name: "database", run: () => db.$disconnect() },
  ],
  env.SHUTDOWN_TIMEOUT_MS,
);

await app.listen({ host: env.API_HOST, port: env.API_PORT });
logger.info({ host: env.API_HOST, port: env.API_PORT, docs: "/docs", board: "/admin/queues" }, "api listening");
