import type { ApiErrorType } from "./api-error.ts";
import { checkBatchCreate } from "./batch-request.ts";
import type { BatchFailure, BatchStore } from "./batch-store.ts";

/** What the server sends back for a Message Batches route: JSON, the JSONL results file, or an API error. */
export type BatchAnswer =
  | { kind: "json"; status: number; body: unknown }
  | { kind: "jsonl"; text: string }
  | { kind: "error"; type: ApiErrorType; message: string };

export const BATCHES_PATH = "/v1/messages/batches";

const isFailure = (v: unknown): v is BatchFailure => typeof v === "object" && v !== null && (v as { ok?: unknown }).ok === false;
const json = <T>(value: T | BatchFailure): BatchAnswer =>
  isFailure(value) ? { kind: "error", type: value.type, message: value.message } : { kind: "json", status: 200, body: value };

/**
 * The Message Batches endpoints, as the SDK calls them: POST and GET /v1/messages/batches, GET and DELETE
 * /v1/messages/batches/{id}, POST .../{id}/cancel, GET .../{id}/results. Null when `path` is none of them.
 */
export function routeBatches(
  store: BatchStore,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
  apiVersion: string,
): BatchAnswer | null {
  if (path === BATCHES_PATH) {
    if (method === "POST") {
      const checked = checkBatchCreate(body);
      if (!checked.ok) return { kind: "error", type: "invalid_request_error", message: checked.message };
      return json(store.create(checked.requests, apiVersion));
    }
    if (method === "GET") return json(store.list(query));
    return null;
  }
  const match = /^\/v1\/messages\/batches\/([^/]+)(\/cancel|\/results)?$/.exec(path);
  if (!match) return null;
  const id = decodeURIComponent(match[1] as string);
  const action = match[2];
  if (action === undefined && method === "GET") return json(store.retrieve(id));
  if (action === undefined && method === "DELETE") return json(store.delete(id));
  if (action === "/cancel" && method === "POST") return json(store.cancel(id));
  if (action === "/results" && method === "GET") {
    const results = store.results(id);
    return typeof results === "string" ? { kind: "jsonl", text: results } : json(results);
  }
  return null;
}
