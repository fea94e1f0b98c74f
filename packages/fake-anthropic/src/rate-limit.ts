export interface RateLimitOptions {
  /** Requests admitted per window. */
  requests: number;
  windowMs: number;
}

export type Admission =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; retryAfterSeconds: number; headers: Record<string, string> };

/** RFC 3339 without fractional seconds, rounded up so a client waiting until then is never early. */
export function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * A sliding-window request limit. Only admitted requests occupy the window: a rejected one does not push
 * the client's next chance further out, which matches how the API meters requests it actually served.
 */
export class SlidingWindowLimiter {
  private admitted: number[] = [];

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
  }

  admit(): Admission {
    const now = this.now();
    const { requests, windowMs } = this.options;
    this.admitted = this.admitted.filter((t) => t > now - windowMs);
    if (this.admitted.length >= requests) {
      const oldest = this.admitted[0] ?? now;
      const retryAfterSeconds = Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
      return { allowed: false, retryAfterSeconds, headers: this.headers(now, 0) };
    }
    this.admitted.push(now);
    return { allowed: true, headers: this.headers(now, requests - this.admitted.length) };
  }

  private headers(now: number, remaining: number): Record<string, string> {
    const newest = this.admitted.at(-1) ?? now;
    return {
      "anthropic-ratelimit-requests-limit": String(this.options.requests),
      "anthropic-ratelimit-requests-remaining": String(remaining),
      // "Fully replenished": when the newest admitted request leaves the window.
      "anthropic-ratelimit-requests-reset": rfc3339(newest + this.options.windowMs),
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
