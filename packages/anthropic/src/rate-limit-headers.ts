// The provider's own view of the rate limits, read from every answer's `anthropic-ratelimit-*` headers (rate
// limits page: `-limit`, `-remaining` and `-reset` for requests, input tokens and output tokens; reset as an
// RFC 3339 time). A shared budget paces from them: our configured request limit may be below the tier, but the
// provider's counts also include every other user of the same key.

interface HeaderReader {
  get(name: string): string | null;
}

export interface LimitState {
  remaining: number;
  /** The limit itself (`-limit`), when the answer says: with it, the refill rate can be worked out. */
  limit?: number;
  /** Milliseconds from now until the limit is fully replenished (0 if the reset is past or unreadable). */
  resetInMs: number;
}

export interface ProviderRateLimits {
  requests?: LimitState;
  inputTokens?: LimitState;
  outputTokens?: LimitState;
  /** What the answer these headers came with used: the basis for estimating the next request. */
  used?: { inputTokens: number; outputTokens: number };
  /** A 429/529's retry-after: every request waits this long, starting now. */
  retryAfterMs?: number;
}

const KINDS = { requests: "requests", inputTokens: "input-tokens", outputTokens: "output-tokens" } as const;

export function readRateLimits(headers: HeaderReader | null | undefined, now: number = Date.now()): ProviderRateLimits {
  const limits: ProviderRateLimits = {};
  if (!headers) return limits;
  for (const [key, name] of Object.entries(KINDS) as [keyof typeof KINDS, string][]) {
    const remaining = Number(headers.get(`anthropic-ratelimit-${name}-remaining`) ?? Number.NaN);
    if (!Number.isFinite(remaining)) continue;
    const reset = Date.parse(headers.get(`anthropic-ratelimit-${name}-reset`) ?? "");
    const limit = Number(headers.get(`anthropic-ratelimit-${name}-limit`) ?? Number.NaN);
    limits[key] = {
      remaining,
      resetInMs: Number.isNaN(reset) ? 0 : Math.max(0, reset - now),
      ...(Number.isFinite(limit) ? { limit } : {}),
    };
  }
  return limits;
}
