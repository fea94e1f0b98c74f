import { randomBytes } from "node:crypto";

/** Error types from the real API, with the status each one is sent with. */
export const ERROR_STATUS = {
  invalid_request_error: 400,
  authentication_error: 401,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
} as const;
export type ApiErrorType = keyof typeof ERROR_STATUS;

export interface ApiErrorBody {
  type: "error";
  error: { type: ApiErrorType; message: string; details?: { error_code: string } };
  request_id: string;
}

/** `errorCode` becomes `error.details.error_code`, the stable cause the SDK exposes as `errorCode`. */
export function apiErrorBody(type: ApiErrorType, message: string, requestId: string, errorCode?: string): ApiErrorBody {
  return { type: "error", error: { type, message, ...(errorCode ? { details: { error_code: errorCode } } : {}) }, request_id: requestId };
}

const ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/** Ids shaped like the real ones (`req_01…`, `msg_01…`, `toolu_01…`, `msgbatch_01…`) so log parsers treat them alike. */
export function newId(prefix: "req" | "msg" | "toolu" | "msgbatch"): string {
  const bytes = randomBytes(22);
  let tail = "";
  for (const b of bytes) tail += ALPHABET[b % ALPHABET.length];
  return `${prefix}_01${tail}`;
}
