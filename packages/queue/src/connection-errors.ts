// Redis connection errors, told once rather than at every reconnect attempt. While Redis is away each BullMQ
// Worker, Queue and QueueEvents of a process emits "error" on every reconnect attempt (a dozen objects, several
// attempts a second): logged one by one at error level, a 5 s outage printed dozens of level-50 lines that
// ioredis's reconnection makes moot. A lost connection is a warning, at most one line per interval per process,
// with how many were folded into it; anything else an "error" listener receives stays an error.

/** Error codes and messages of a Redis connection that is down or was cut, which ioredis retries by itself. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);
const CONNECTION_MESSAGES =
  /connection is closed|stream isn't writeable|socket closed unexpectedly|connect ETIMEDOUT|ECONNREFUSED|ECONNRESET/i;

export function isRedisConnectionError(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const { code, message } = err as { code?: unknown; message?: unknown };
  return CONNECTION_CODES.has(String(code)) || CONNECTION_MESSAGES.test(String(message ?? ""));
}

interface WarnErrorLogger {
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export type ConnectionErrorReporter = (source: string, err: Error) => void;

const reporters = new WeakMap<WarnErrorLogger, ConnectionErrorReporter>();

/**
 * The reporter of `logger` (one per logger, so one per process for an app's root logger), for every "error"
 * listener: workers, queues, queue events, the API's client.
 */
export function redisErrorsOf(logger: WarnErrorLogger): ConnectionErrorReporter {
  let reporter = reporters.get(logger);
  if (!reporter) {
    reporter = connectionErrorReporter(logger);
    reporters.set(logger, reporter);
  }
  return reporter;
}

/** Connection errors are one warning per `intervalMs` (the first at once); other errors are logged as errors. */
export function connectionErrorReporter(logger: WarnErrorLogger, intervalMs = 10_000, now = Date.now): ConnectionErrorReporter {
  let lastAt = Number.NEGATIVE_INFINITY;
  let folded = 0;
  return (source, err) => {
    if (!isRedisConnectionError(err)) {
      logger.error({ source, err }, "redis client error");
      return;
    }
    if (now() - lastAt < intervalMs) {
      folded++;
      return;
    }
    lastAt = now();
    logger.warn({ source, err: err.message, folded }, "redis connection lost; reconnecting");
    folded = 0;
  };
}
