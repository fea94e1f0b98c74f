// The provider's request budget, shared by every worker process through Redis: at most `max` LLM requests in
// any sliding window of `windowMs`, spaced at least windowMs / max apart (the provider refills its limits
// continuously, and a burst of a whole window's requests leaves many in flight when a 429 arrives), and a common
// pause while the provider has asked us to wait (retry-after).
// It counts the requests themselves, including a classifier's retry of a refused or malformed answer, and stops
// calls already queued inside running jobs after a 429. A spend
// cap is account-wide and does not clear within a night: `stop` makes every caller, in every run, fail at once
// with BudgetStoppedError instead of sending a request that would be refused too.
import { randomUUID } from "node:crypto";
import type { RedisConnection } from "./connection.ts";

// Redis's own clock, so workers on different machines agree on the window.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('EXISTS', KEYS[3]) == 1 then return -1 end
local pausedUntil = tonumber(redis.call('GET', KEYS[2]) or '0')
if pausedUntil > now then return pausedUntil - now end
local window = tonumber(ARGV[1])
local spacing = math.floor(window / tonumber(ARGV[2]))
local nextAt = tonumber(redis.call('GET', KEYS[4]) or '0')
if nextAt > now then return nextAt - now end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  if spacing > 0 then redis.call('SET', KEYS[4], now + spacing, 'PX', spacing) end
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

/** The provider's rate-limit state after an answer (the anthropic adapter reads it from the response headers). */
/** One limit as the provider reports it; `resetInMs` is when it is *fully* replenished, not when the next unit is. */
export interface LimitState {
  remaining: number;
  resetInMs: number;
  limit?: number;
}

export interface ProviderLimits {
  requests?: LimitState;
  inputTokens?: LimitState;
  outputTokens?: LimitState;
  /** What that answer used: the estimate of what the next request will need. */
  used?: { inputTokens: number; outputTokens: number };
  /** A refusal's retry-after: every process waits this long, from now. */
  retryAfterMs?: number;
}

/** Weight of the newest answer in the running estimate of a request's tokens. */
const ESTIMATE_WEIGHT = 0.2;

export interface RequestBudget {
  /** Resolves when a request may be sent; rejects if `signal` aborts while waiting, or BudgetStoppedError. */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Makes every process wait `ms` before its next request. */
  pause(ms: number): Promise<void>;
  /** Every process's next acquire fails with BudgetStoppedError(reason) for `ms`. */
  stop(reason: string, ms?: number): Promise<void>;
  /**
   * Paces from the provider's own counts: when what is left of a limit (requests, input or output tokens) would
   * not cover one more request like the recent ones, every process waits until that limit resets. Our request
   * window may be set below the tier, but only the provider's counts include other users of the same key and
   * the tokens. Returns the pause in ms (0 if none).
   */
  observe(limits: ProviderLimits): Promise<number>;
}

export function createRequestBudget(redis: RedisConnection, prefix: string, max: number, windowMs: number): RequestBudget {
  const keys = [
    `${prefix}:llm-budget:requests`,
    `${prefix}:llm-budget:paused-until`,
    `${prefix}:llm-budget:stopped`,
    `${prefix}:llm-budget:next-at`,
  ] as const;
  // Per process: each worker estimates from the answers it saw, which is enough to tell "nearly out" from "plenty".
  const estimate = { inputTokens: 0, outputTokens: 0 };
  // This process's own copy of the pause, set in the same tick a 429 is seen: the copy in Redis is one round trip
  // away, and a call of this process granted meanwhile would otherwise start inside the announced window.
  let localPausedUntil = 0;
  const pause = async (ms: number) => {
    if (ms <= 0) return;
    localPausedUntil = Math.max(localPausedUntil, Date.now() + ms);
    await redis.eval(PAUSE, 1, keys[1], Math.ceil(ms));
  };
  return {
    async acquire(signal) {
      for (;;) {
        signal?.throwIfAborted();
        if (localPausedUntil > Date.now()) {
          await sleep(localPausedUntil - Date.now(), signal);
          continue;
        }
        const waitMs = Number(await redis.eval(ACQUIRE, 4, keys[0], keys[1], keys[2], keys[3], windowMs, max, randomUUID()));
        if (waitMs < 0) throw new BudgetStoppedError((await redis.get(keys[2])) ?? "stopped");
        if (waitMs === 0) {
          // Granted, but a 429 may have arrived here during the round trip: keep the slot and wait the pause out.
          if (localPausedUntil > Date.now()) await sleep(localPausedUntil - Date.now(), signal);
          return;
        }
        await sleep(Math.min(waitMs, 1000), signal);
      }
    },
    pause,
    async stop(reason, ms = BUDGET_STOP_MS) {
      await redis.set(keys[2], reason, "PX", Math.ceil(ms));
    },
    async observe(limits) {
      if (limits.used) {
        for (const k of ["inputTokens", "outputTokens"] as const) {
          estimate[k] = estimate[k] === 0 ? limits.used[k] : estimate[k] + ESTIMATE_WEIGHT * (limits.used[k] - estimate[k]);
        }
      }
      const short = [
        limits.retryAfterMs ?? 0,
        refillWait(limits.requests, 1),
        refillWait(limits.inputTokens, estimate.inputTokens),
        refillWait(limits.outputTokens, estimate.outputTokens),
      ];
      const ms = Math.max(...short);
      await pause(ms);
      return ms;
    },
  };
}

/**
 * How long until `need` more units are there. The provider refills continuously (a token bucket), and `reset` is
 * when the bucket is full again: it refills limit - remaining units in resetInMs, so `need` takes a proportional
 * share of that time, not all of it (waiting for the full reset would idle a whole window after every burst).
 * Without the limit, the reset is all there is to go on.
 */
export function refillWait(state: LimitState | undefined, need: number): number {
  if (!state || state.remaining >= need || need <= 0) return 0;
  const missing = state.limit !== undefined ? state.limit - state.remaining : 0;
  if (missing <= 0) return state.resetInMs;
  return Math.min(state.resetInMs, Math.ceil(((need - state.remaining) * state.resetInMs) / missing));
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
