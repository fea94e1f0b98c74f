// Requests per credential per window, counted in Redis (@fastify/rate-limit's Redis store) so that every API
// process behind a load balancer shares one count: a token or an API key gets API_RATE_LIMIT_MAX requests per
// API_RATE_LIMIT_WINDOW_MS however the requests are spread. Past it: 429 in the API's error shape, with
// retry-after (seconds) and the x-ratelimit-* headers.
//
// The limit runs as a root onRequest hook, before the routes' authentication hooks: a flood is refused before it
// costs a token verification or an API-key lookup. The key is a hash of the credential as sent (the bearer token
// or key, the board's cookie or login token), never the credential itself; a request without one is counted by
// client address, and so are refused credentials (a new made-up token each time would otherwise never be
// limited): past the limit an address's 401s become 429s, its valid credentials are still served. /health and /metrics are left out: orchestrators and scrapers poll them, and they carry no data.
import { createHash } from "node:crypto";
import { once } from "node:events";
import { failFastDuplicate, type RedisConnection } from "@engagement/queue";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Redis } from "ioredis";
import { bearerToken } from "./auth/auth.plugin.ts";
import { BOARD_PATH, boardToken } from "./board.ts";
import type { ApiDeps, RateLimitOptions } from "./deps.ts";
import { ApiError, type ErrorBody } from "./errors.ts";

const EXEMPT_ROUTES = new Set(["/health", "/metrics"]);
/** How long the API waits at most for its limiter connection at start before it serves without it (fail open, below). */
const CONNECT_WAIT_MS = 2000;

/** The bucket of a request: its credential's hash, or its client address when it carries none. */
export function rateLimitKey(req: FastifyRequest): string {
  const credential = req.url.startsWith(BOARD_PATH) ? boardToken(req) : bearerToken(req);
  if (!credential) return `ip:${req.ip}`;
  return `cred:${createHash("sha256").update(credential).digest("base64url")}`;
}

/**
 * A connection of its own, failing fast: the app's connection queues commands while Redis is away (BullMQ needs
 * maxRetriesPerRequest null), which would hold every request — reads served from PostgreSQL included — until
 * Redis returns. This one refuses commands at once while disconnected and the limiter then lets the request
 * through (skipOnError): an outage of Redis costs the limit for its duration, not the API.
 */
async function limiterConnection(redis: RedisConnection, logger: ApiDeps["logger"]): Promise<RedisConnection> {
  const connection = failFastDuplicate(redis);
  let down = false;
  connection.on("error", (err) => {
    // ioredis repeats the error on every reconnection attempt; one warning per outage is enough.
    if (!down) logger.warn({ err: err.message }, "rate limit store unreachable: requests are not limited until it is back");
    down = true;
  });
  connection.on("ready", () => {
    down = false;
  });
  // Ready, or known unreachable (the first error), or slow: then the API starts anyway, unlimited until it connects.
  if (connection.status !== "ready") {
    await Promise.race([
      once(connection, "ready"),
      once(connection, "error"),
      new Promise((resolve) => setTimeout(resolve, CONNECT_WAIT_MS).unref()),
    ]).catch(() => {});
  }
  return connection;
}

export async function registerRateLimit(app: FastifyInstance, deps: Pick<ApiDeps, "redis" | "logger">, options: RateLimitOptions) {
  if (options.max === 0) return;
  const connection = await limiterConnection(deps.redis, deps.logger);
  app.addHook("onClose", async () => {
    connection.disconnect();
  });
  await app.register(rateLimit, {
    // Not per route (the plugin would run it after each route's own onRequest hooks, authentication included).
    global: false,
    max: options.max,
    timeWindow: options.windowMs,
    // The plugin is typed for one server; a Cluster client has the same commands (defineCommand, evalsha).
    redis: connection as Redis,
    nameSpace: options.keyPrefix,
    skipOnError: true,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: (_req, context) =>
      new ApiError(
        429,
        "rate_limited",
        `too many requests: at most ${context.max} per ${options.windowMs / 1000} s for one credential; retry in ${context.after}`,
      ),
    // Before authentication: who it was is not known yet, only which kind of bucket (credential or address).
    onExceeded: (req) => req.log.warn({ url: req.routeOptions.url, bucket: rateLimitKey(req).split(":")[0] }, "rate limit exceeded"),
  });
  const limit = app.rateLimit();
  const refused = refusedCredentials(connection, options);
  app.addHook("onRequest", async function (req, reply) {
    if (req.routeOptions.url && EXEMPT_ROUTES.has(req.routeOptions.url)) return;
    await limit.call(this, req, reply);
  });
  // Only a refusal is turned into a 429: a valid credential sent from the same address (behind a proxy, every
  // client's) is never held back by someone else's made-up tokens.
  app.addHook("onSend", async (req, reply, payload) => {
    if (reply.statusCode !== 401) return payload;
    const over = await refused.count(req);
    if (!over) return payload;
    req.log.warn({ url: req.routeOptions.url, refused: over.count }, "rate limit exceeded: refused credentials from one address");
    reply.code(429).header("retry-after", String(over.retryAfterSeconds));
    const message = `too many refused credentials from this address: at most ${options.max} per ${options.windowMs / 1000} s; retry in ${over.retryAfterSeconds} s`;
    return JSON.stringify({ error: "rate_limited", message } satisfies ErrorBody);
  });
}

/**
 * Refused credentials (401s) per client address. The limit above is per credential, and a flood of made-up tokens
 * or keys is a new credential each time, each costing a verification or a key lookup: every 401 counts against the
 * address it came from, and past the limit that address's refusals are answered 429 until the window ends (its
 * valid credentials are served as usual). Failing open like the other: without Redis nothing is counted.
 */
function refusedCredentials(connection: RedisConnection, options: RateLimitOptions) {
  const key = (req: FastifyRequest) => `${options.keyPrefix}refused:${req.ip}`;
  return {
    /** Counts one refusal; past the limit, the count and how long until the window ends. */
    async count(req: FastifyRequest): Promise<{ count: number; retryAfterSeconds: number } | null> {
      // The window starts with the first refusal (SET NX sets its expiry once), as the credential limit's does.
      const done = await connection
        .multi()
        .set(key(req), 0, "PX", options.windowMs, "NX")
        .incr(key(req))
        .pttl(key(req))
        .exec()
        .catch(() => null);
      const count = Number(done?.[1]?.[1] ?? 0);
      if (count <= options.max) return null;
      return { count, retryAfterSeconds: Math.max(1, Math.ceil(Number(done?.[2]?.[1] ?? options.windowMs) / 1000)) };
    },
  };
}
