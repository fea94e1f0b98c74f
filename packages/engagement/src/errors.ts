/**
 * Errors a classifier throws instead of answering. Content problems (refusals, bad tool input) never
 * surface here: they fall back to the rules. What does surface is what a job queue should act on:
 * transient errors are retried later with `retryAfterMs` as a hint, permanent ones are not retried.
 */

interface LlmErrorDetails {
  /** HTTP status, or null for connection failures and timeouts. */
  status?: number | null;
  /** The API's `request-id`, for support tickets. */
  requestId?: string | null;
  cause?: unknown;
}

export abstract class LlmError extends Error {
  readonly status: number | null;
  readonly requestId: string | null;

  constructor(message: string, details: LlmErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status ?? null;
    this.requestId = details.requestId ?? null;
  }
}

/** Worth retrying later; `retryAfterMs` is the server's hint when it gave one. */
export abstract class LlmTransientError extends LlmError {
  readonly retryAfterMs: number | null;

  constructor(message: string, retryAfterMs: number | null, details: LlmErrorDetails = {}) {
    super(message, details);
    this.retryAfterMs = retryAfterMs;
  }
}

/** When a rate-limit 429 carries no retry hint, back off this long rather than hammering (spend caps are LlmSpendLimitError). */
export const DEFAULT_RATE_LIMIT_RETRY_MS = 30_000;

/** When a 529 carries no retry hint: an overload is usually short-lived. */
export const DEFAULT_OVERLOAD_RETRY_MS = 5_000;

/** HTTP 429. */
export class LlmRateLimitedError extends LlmTransientError {
  declare readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number | null, details: LlmErrorDetails = {}) {
    super(message, retryAfterMs ?? DEFAULT_RATE_LIMIT_RETRY_MS, { status: 429, ...details });
  }
}

/** HTTP 529: the API as a whole is overloaded. */
export class LlmOverloadedError extends LlmTransientError {
  constructor(message: string, retryAfterMs: number | null, details: LlmErrorDetails = {}) {
    super(message, retryAfterMs, { status: 529, ...details });
  }
}

/** 5xx other than 529, request timeouts and connection failures. */
export class LlmUnavailableError extends LlmTransientError {}

/**
 * A streamed answer that stopped coming: no first byte, or no event for the stall timeout. One call stuck is
 * not an outage, so the caller sends it again at once rather than backing off as after a 5xx.
 */
export class LlmStalledError extends LlmUnavailableError {}

/** The spend caps a 429 can name in `error.details.error_code`: no retry-after, they last until the next billing period. */
export const SPEND_LIMIT_ERROR_CODES = ["enforced_spend_limit_reached", "contract_spend_limit_reached"] as const;
export type SpendLimitErrorCode = (typeof SPEND_LIMIT_ERROR_CODES)[number];

/**
 * HTTP 429 for a spend cap (the tier's monthly threshold or the contract's limit). Not a rate limit: it will
 * not clear within a night, and the documentation says retries fail until access resumes, so a run stops
 * calling the LLM at once and gives the remaining members the rules result.
 */
export class LlmSpendLimitError extends LlmError {
  constructor(
    message: string,
    readonly errorCode: SpendLimitErrorCode,
    details: LlmErrorDetails = {},
  ) {
    super(message, { status: 429, ...details });
  }
}

/** A 4xx other than 408/429 (bad request, auth, permission, not found, too large): retrying cannot help. */
export class LlmPermanentError extends LlmError {}

/** The caller's AbortSignal fired. Named "AbortError" like the platform's, so generic abort checks work. */
export class LlmAbortedError extends Error {
  constructor(cause?: unknown) {
    super("LLM request was aborted", cause === undefined ? undefined : { cause });
    this.name = "AbortError";
  }
}

export function isLlmTransientError(error: unknown): error is LlmTransientError {
  return error instanceof LlmTransientError;
}
