// The create request of the Message Batches API, checked as the batch processing page describes (read 2026-12
// through the search tool): "A Message Batch is limited to either 100,000 Message requests or 256 MB in size,
// whichever is reached first" (a larger body is a 413 request_too_large); each custom_id "Must be 1 to 64
// characters and contain only alphanumeric characters, hyphens, and underscores (matching ^[a-zA-Z0-9_-]{1,64}$)"
// and unique in the batch. The params are not checked here: "Validation of the params object for each message
// request is performed asynchronously, and validation errors are returned when processing of the entire batch has
// ended", so a bad params object becomes an errored result, not a 400.

export const MAX_BATCH_REQUESTS = 100_000;
export const MAX_BATCH_BYTES = 256 * 1024 * 1024;
const CUSTOM_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export interface BatchRequest {
  custom_id: string;
  params: Record<string, unknown>;
}

export type BatchCreateCheck = { ok: true; requests: BatchRequest[] } | { ok: false; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function checkBatchCreate(body: unknown): BatchCreateCheck {
  if (!isObject(body)) return { ok: false, message: "request body must be a JSON object" };
  const requests = body.requests;
  if (requests === undefined) return { ok: false, message: "requests: Field required" };
  if (!Array.isArray(requests)) return { ok: false, message: "requests: Input should be a valid list" };
  if (requests.length === 0) return { ok: false, message: "requests: List should have at least 1 item" };
  if (requests.length > MAX_BATCH_REQUESTS) {
    return { ok: false, message: `requests: List should have at most ${MAX_BATCH_REQUESTS} items, got ${requests.length}` };
  }
  const seen = new Set<string>();
  for (const [i, request] of requests.entries()) {
    if (!isObject(request)) return { ok: false, message: `requests.${i}: Input should be a valid dictionary` };
    const id = request.custom_id;
    if (typeof id !== "string" || !CUSTOM_ID.test(id)) {
      return { ok: false, message: `requests.${i}.custom_id: String should match pattern '${CUSTOM_ID.source}'` };
    }
    if (seen.has(id))
      return {
        ok: false,
        message: `requests.${i}.custom_id: "${id}" is used by another request; custom_id must be unique within the batch`,
      };
    seen.add(id);
    if (!isObject(request.params)) return { ok: false, message: `requests.${i}.params: Input should be a valid dictionary` };
  }
  return { ok: true, requests: requests as BatchRequest[] };
}
