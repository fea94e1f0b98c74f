// The provider's request budget, shared by every worker process through Redis: at most `max` LLM requests in
// any sliding window of `windowMs`, and a common pause while the provider has asked us to wait (retry-after).
// BullMQ's limiter spaces classify jobs; this counts the requests themselves, including a classifier's retry
// of a refused or malformed answer, and stops calls already queued inside running jobs after a 429. A spend
// cap is account-wide and does not clear within a night: `stop` makes every caller, in every run, fail at once
// with BudgetStoppedError instead of sending a request that would be refused too.
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

// Redis's own clock, so workers on different machines agree on the window.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if pausedUntil > now then return pausedUntil - now end
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
`;

// Extends the pause, never shortens it: two 429s with different retry-after keep the later end.
const PAUSE = `
local t = redis.call('TIME')
local untilMs = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untilMs > current then redis.call('SET', KEYS[1], untilMs, 'PX', ARGV[1]) end
return untilMs
`;

/** The budget was stopped (a spend cap): no request may be sent until the stop expires. */
export class BudgetStoppedError extends Error {
  override name = "BudgetStoppedError";
  constructor(readonly reason: string) {
    super(`LLM requests are stopped: ${reason}`);
  }
}

/**
 * How long a spend-cap stop lasts before one request may probe again. The cap itself lasts until the next
 * billing period (or until someone raises it): an hour costs at most one refused request per hour.
 */
export const BUDGET_STOP_MS = 60 * 60_000;

export interface RequestBudget {
  /** Resolves when a request may be sent; rejects if `signal` aborts while waiting, or BudgetStoppedError. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Makes every process wait `ms` before its next request. */
  pause(ms: number): Promise<void>;
  /** Every process's next acquire fails with BudgetStoppedError(reason) for `ms`. */
  stop(reason: string, ms?: number): Promise<void>;
}

export function createRequestBudget(redis: Redis, prefix: string, max: number, windowMs: number): RequestBudget {
  const keys = [`${prefix}:llm-budget:requests`, `${prefix}:llm-budget:paused-until`, `${prefix}:llm-budget:stopped`] as const;
  return {
    async acquire(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const waitMs = Number(await redis.eval(ACQUIRE, 3, keys[0], keys[1], keys[2], windowMs, max, randomUUID()));
        if (waitMs < 0) throw new BudgetStoppedError((await redis.get(keys[2])) ?? "stopped");
        if (waitMs === 0) return;
        await sleep(Math.min(waitMs, 1000), signal);
      }
    },
    async pause(ms) {
      if (ms > 0) await redis.eval(PAUSE, 1, keys[1], Math.ceil(ms));
    },
    async stop(reason, ms = BUDGET_STOP_MS) {
      await redis.set(keys[2], reason, "PX", Math.ceil(ms));
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      done();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      fail(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
