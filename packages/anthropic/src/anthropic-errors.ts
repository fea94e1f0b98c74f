import Anthropic from "@anthropic-ai/sdk";
import {
  LlmAbortedError,
  LlmOverloadedError,
  LlmPermanentError,
  LlmRateLimitedError,
  LlmSpendLimitError,
  LlmUnavailableError,
  SPEND_LIMIT_ERROR_CODES,
  type SpendLimitErrorCode,
} from "@engagement/engagement";

interface HeaderReader {
  get(name: string): string | null;
}

/**
 * The server's retry hint in ms: `retry-after-ms` first (more precise, and what the SDK itself prefers),
 * then `retry-after` as seconds or an HTTP date. Null when absent or unreadable.
 */
export function parseRetryAfterMs(headers: HeaderReader | null | undefined, now: number = Date.now()): number | null {
  if (!headers) return null;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "") {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const after = headers.get("retry-after");
  if (after === null || after.trim() === "") return null;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : null;
  const date = Date.parse(after);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/**
 * Translates what the SDK throws into this package's errors, so callers never import the SDK to decide
 * whether to retry. Anything that is not an SDK error (a bug, a ZodError) is returned unchanged.
 */
export function toLlmError(error: unknown): unknown {
  if (error instanceof Anthropic.APIUserAbortError) return new LlmAbortedError(error);
  // Timeout is a subclass of connection error; both mean "no answer", which a later attempt may get.
  if (error instanceof Anthropic.APIConnectionError) {
    const what = error instanceof Anthropic.APIConnectionTimeoutError ? "timed out" : "could not connect";
    return new LlmUnavailableError(`Anthropic API ${what}: ${error.message}`, null, { cause: error });
  }
  if (isDroppedBody(error)) {
    return new LlmUnavailableError(`Anthropic API connection dropped mid-answer: ${(error as Error).message}`, null, { cause: error });
  }
  if (!(error instanceof Anthropic.APIError)) return error;

  const status = typeof error.status === "number" ? error.status : null;
  const requestId = error.requestID ?? null;
  const retryAfterMs = parseRetryAfterMs(error.headers);
  // The SDK's `message` is the whole JSON body; `apiMessage` is the human sentence.
  const detail = error.apiMessage ?? error.message;
  const details = { status, requestId, cause: error };

  // `error.details.error_code` names the cause; a ramp limit (ramp_limit_exceeded) or an unknown code is an
  // ordinary rate limit to wait out.
  const code = error.errorCode;
  if (status === 429 && code && (SPEND_LIMIT_ERROR_CODES as readonly string[]).includes(code)) {
    return new LlmSpendLimitError(`Anthropic spend limit reached (${code}): ${detail}`, code as SpendLimitErrorCode, details);
  }
  if (status === 429) return new LlmRateLimitedError(`Anthropic rate limit: ${detail}`, retryAfterMs, details);
  if (status === 529) return new LlmOverloadedError(`Anthropic overloaded: ${detail}`, retryAfterMs, details);
  // 408 is a timeout on the server's side and, like 5xx, may succeed later. An error without a status
  // arrived mid-stream after a 200, also a server-side hiccup.
  if (status === null || status >= 500 || status === 408) {
    return new LlmUnavailableError(`Anthropic unavailable (${status ?? "no status"}): ${detail}`, retryAfterMs, details);
  }
  return new LlmPermanentError(`Anthropic rejected the request (${status}): ${detail}`, details);
}

/** Socket errors undici reports (its SocketError code, and the system's own for a reset or closed pipe). */
const SOCKET_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "UND_ERR_CLOSED"]);

/**
 * The SDK wraps only what fails before the response headers; a connection cut while the body is read (a proxy
 * or load balancer dropping it) reaches us as fetch's own `TypeError: terminated`, whose cause is the socket
 * error. Checked by name and code rather than instanceof: the error may come from another realm (Jest's VM).
 */
function isDroppedBody(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { name, message, cause } = error as { name?: unknown; message?: unknown; cause?: { code?: unknown } };
  // A streamed answer's reader wraps the same TypeError in a plain AnthropicError (not an APIError, so no
  // status); by name too, as the stream helper may come from the SDK's other build (CommonJS beside ESM).
  // Its message is the TypeError's ("terminated"), or "TypeError: terminated" when the cause was not kept.
  if (name === "AnthropicError" && !("status" in error)) {
    return isDroppedBody(cause) || (typeof message === "string" && /^(TypeError: )?terminated$/.test(message));
  }
  if (name !== "TypeError") return false;
  return message === "terminated" || SOCKET_CODES.has(String(cause?.code));
}
