export interface RateLimitOptions {
  /** Requests admitted per window. */
  requests: number;
  windowMs: number;
  /** Input tokens per window (uncached input and cache writes; cache reads do not count). Default: Haiku 5.5's Start tier, 2,000,000. */
  inputTokens?: number;
  /** Output tokens per window. Default: Haiku 5.5's Start tier, 400,000. */
  outputTokens?: number;
}

export type Admission =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; retryAfterSeconds: number; limit: "requests" | "input tokens" | "output tokens"; headers: Record<string, string> };

/** RFC 3339 without fractional seconds, rounded up so a client waiting until then is never early. */
export function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

// The Start tier's per-minute token limits for Claude Haiku 5.5 (rate limits page).
const DEFAULT_INPUT_TOKENS = 2_000_000;
const DEFAULT_OUTPUT_TOKENS = 400_000;

/** "Remaining" token counts are "rounded to the nearest thousand" (rate limits page). */
const roundThousand = (n: number) => Math.max(0, Math.round(n / 1000) * 1000);

/**
 * Sliding-window request and token limits, answered with the documented headers
 * (`anthropic-ratelimit-{requests,input-tokens,output-tokens,tokens}-{limit,remaining,reset}`, reset in
 * RFC 3339). Only admitted requests occupy the window: a rejected one does not push the client's next chance
 * further out, which matches how the API meters requests it actually served. Tokens are counted when the
 * answer is known, so a request is refused on tokens only once earlier answers used the window up.
 */
export class SlidingWindowLimiter {
  private admitted: number[] = [];
  private tokens: { at: number; input: number; output: number }[] = [];

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number,
  ) {
    if (!(options.requests >= 1) || !(options.windowMs > 0)) {
      throw new Error("rateLimit needs requests >= 1 and windowMs > 0");
    }
  }

  reset(): void {
    this.admitted = [];
    this.tokens = [];
  }

  admit(): Admission {
    const now = this.now();
    const { requests, windowMs } = this.options;
    this.prune(now);
    const used = this.usedTokens();
    const retryAfter = (oldest: number) => Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
    if (this.admitted.length >= requests) {
      return { allowed: false, retryAfterSeconds: retryAfter(this.admitted[0] ?? now), limit: "requests", headers: this.headers(now, 0) };
    }
    for (const kind of ["input", "output"] as const) {
      if (used[kind] >= this.tokenLimit(kind)) {
        const oldest = this.tokens[0]?.at ?? now;
        const limit = kind === "input" ? "input tokens" : "output tokens";
        return {
          allowed: false,
          retryAfterSeconds: retryAfter(oldest),
          limit,
          headers: this.headers(now, requests - this.admitted.length),
        };
      }
    }
    this.admitted.push(now);
    return { allowed: true, headers: this.headers(now, requests - this.admitted.length) };
  }

  recordTokens(input: number, output: number): void {
    this.tokens.push({ at: this.now(), input, output });
  }

  /** The token headers after the latest answer (the request headers were fixed at admission). */
  tokenHeaders(): Record<string, string> {
    const now = this.now();
    this.prune(now);
    return this.tokenHeaderValues(now);
  }

  private prune(now: number): void {
    const since = now - this.options.windowMs;
    this.admitted = this.admitted.filter((t) => t > since);
    this.tokens = this.tokens.filter((t) => t.at > since);
  }

  private tokenLimit(kind: "input" | "output"): number {
    return kind === "input" ? (this.options.inputTokens ?? DEFAULT_INPUT_TOKENS) : (this.options.outputTokens ?? DEFAULT_OUTPUT_TOKENS);
  }

  private usedTokens() {
    return this.tokens.reduce((sum, t) => ({ input: sum.input + t.input, output: sum.output + t.output }), { input: 0, output: 0 });
  }

  private tokenHeaderValues(now: number): Record<string, string> {
    const used = this.usedTokens();
    // "Fully replenished" when the newest counted answer leaves the window.
    const reset = rfc3339((this.tokens.at(-1)?.at ?? now) + this.options.windowMs);
    const input = this.tokenLimit("input");
    const output = this.tokenLimit("output");
    const tighter =
      input - used.input <= output - used.output
        ? { limit: input, left: input - used.input }
        : { limit: output, left: output - used.output };
    return {
      "anthropic-ratelimit-input-tokens-limit": String(input),
      "anthropic-ratelimit-input-tokens-remaining": String(roundThousand(input - used.input)),
      "anthropic-ratelimit-input-tokens-reset": reset,
      "anthropic-ratelimit-output-tokens-limit": String(output),
      "anthropic-ratelimit-output-tokens-remaining": String(roundThousand(output - used.output)),
      "anthropic-ratelimit-output-tokens-reset": reset,
      // "The most restrictive limit currently in effect": whichever of input and output has less left.
      "anthropic-ratelimit-tokens-limit": String(tighter.limit),
      "anthropic-ratelimit-tokens-remaining": String(roundThousand(tighter.left)),
      "anthropic-ratelimit-tokens-reset": reset,
    };
  }

  private headers(now: number, remaining: number): Record<string, string> {
    const newest = this.admitted.at(-1) ?? now;
    return {
      "anthropic-ratelimit-requests-limit": String(this.options.requests),
      "anthropic-ratelimit-requests-remaining": String(remaining),
      // "Fully replenished": when the newest admitted request leaves the window.
      "anthropic-ratelimit-requests-reset": rfc3339(newest + this.options.windowMs),
      ...this.tokenHeaderValues(now),
    };
  }
}

/** The largest number of timestamps falling in any window of `windowMs` (a half-open interval). */
export function maxInWindow(timestamps: readonly number[], windowMs: number): number {
  const sorted = [...timestamps].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
