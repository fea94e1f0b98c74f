import { type ApiErrorBody, type ApiErrorType, apiErrorBody, newId } from "./api-error.ts";
import type { BatchRequest } from "./batch-request.ts";
import { CONTENT_FAULTS, type ContentFault, type FaultSchedule } from "./faults.ts";
import { checkMessagesRequest } from "./protocol.ts";
import { seededRandom } from "./random.ts";
import { answer, type MessageResponse } from "./respond.ts";
import type { PromptCache } from "./usage.ts";

// Message Batches as the SDK 1.14 types (resources/messages/batches.d.ts) and the batch processing page describe
// them. Requests "start as processing and move to one of the other statuses only once processing of the entire
// batch ends"; a batch expires 24 hours after creation; a canceled batch may still hold results for requests
// processed before the cancel.

const DAY_MS = 24 * 60 * 60_000;

export type BatchItemResult =
  | { type: "succeeded"; message: MessageResponse }
  | { type: "errored"; error: ApiErrorBody }
  | { type: "canceled" }
  | { type: "expired" };
type ResultType = BatchItemResult["type"];

/** What a test can script for the next batch item processed: an outcome, or a content fault on its answer. */
export type BatchItemOutcome = ResultType | ContentFault;

/** Probabilities per batch item, drawn in this order; the rest are judged. */
export interface BatchItemFaultRates {
  errored?: number;
  expired?: number;
  canceled?: number;
}

export interface BatchStats {
  created: number;
  items: number;
  /** Items by result, counted when their batch ends. */
  byOutcome: Record<ResultType, number>;
}

interface Batch {
  id: string;
  createdAt: number;
  expiresAt: number;
  apiVersion: string;
  requests: BatchRequest[];
  cancelInitiatedAt: number | null;
  endedAt: number | null;
  results: { custom_id: string; result: BatchItemResult }[] | null;
}

export interface MessageBatchView {
  id: string;
  type: "message_batch";
  processing_status: "in_progress" | "canceling" | "ended";
  request_counts: Record<"processing" | ResultType, number>;
  ended_at: string | null;
  created_at: string;
  expires_at: string;
  archived_at: null;
  cancel_initiated_at: string | null;
  results_url: string | null;
}

export type BatchFailure = { ok: false; type: ApiErrorType; message: string };

export interface BatchStoreOptions {
  now: () => number;
  cache: PromptCache;
  /** The content faults (mode and rates) every model answer is subject to. */
  faults: FaultSchedule;
  /** How long after creation processing ends; items complete evenly over it. */
  processingMs: number;
  itemFaultRates: BatchItemFaultRates;
  seed: number;
  resultsUrl: (id: string) => string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const emptyCounts = (): Record<ResultType, number> => ({ succeeded: 0, errored: 0, canceled: 0, expired: 0 });

export class BatchStore {
  private batches = new Map<string, Batch>();
  private queued: BatchItemOutcome[] = [];
  private random: () => number;
  private counts: BatchStats = { created: 0, items: 0, byOutcome: emptyCounts() };

  constructor(private readonly options: BatchStoreOptions) {
    for (const [kind, rate] of Object.entries(options.itemFaultRates)) {
      if (!["errored", "expired", "canceled"].includes(kind)) throw new Error(`unknown batch item fault "${kind}"`);
      if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) throw new Error(`batch item fault rate for "${kind}" must be in [0, 1]`);
    }
    if (!(options.processingMs >= 0)) throw new Error("batchProcessingMs must be >= 0");
    this.random = seededRandom(options.seed);
  }

  create(requests: BatchRequest[], apiVersion: string): MessageBatchView {
    const now = this.options.now();
    const batch: Batch = {
      id: newId("msgbatch"),
      createdAt: now,
      expiresAt: now + DAY_MS,
      apiVersion,
      requests,
      cancelInitiatedAt: null,
      endedAt: null,
      results: null,
    };
    this.batches.set(batch.id, batch);
    this.counts.created++;
    this.counts.items += requests.length;
    // Never ended in the create answer, even with no processing time: the SDK's callers poll for the end.
    return this.view(batch, false);
  }

  retrieve(id: string): MessageBatchView | BatchFailure {
    const batch = this.find(id);
    return "ok" in batch ? batch : this.view(batch);
  }

  /** Most recently created first, paged by after_id / before_id as the SDK's Page expects. */
  list(
    query: URLSearchParams,
  ): { data: MessageBatchView[]; has_more: boolean; first_id: string | null; last_id: string | null } | BatchFailure {
    const limit = query.has("limit") ? Number(query.get("limit")) : 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return { ok: false, type: "invalid_request_error", message: "limit: must be an integer from 1 to 1000" };
    const all = [...this.batches.values()].reverse();
    const indexOf = (param: string) => {
      const cursor = query.get(param);
      return cursor === null ? null : all.findIndex((b) => b.id === cursor);
    };
    const after = indexOf("after_id");
    const before = indexOf("before_id");
    if (after === -1 || before === -1)
      return { ok: false, type: "not_found_error", message: "after_id / before_id: no such Message Batch" };
    let page: Batch[];
    let hasMore: boolean;
    if (before !== null) {
      page = all.slice(Math.max(0, before - limit), before);
      hasMore = before - limit > 0;
    } else {
      const start = after === null ? 0 : after + 1;
      page = all.slice(start, start + limit);
      hasMore = start + limit < all.length;
    }
    const data = page.map((b) => this.view(b));
    return { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }

  cancel(id: string): MessageBatchView | BatchFailure {
    const batch = this.find(id);
    if ("ok" in batch) return batch;
    if (batch.endedAt !== null) {
      return { ok: false, type: "invalid_request_error", message: `Message Batch ${id} has already ended and cannot be canceled.` };
    }
    batch.cancelInitiatedAt ??= this.options.now();
    // The cancel answer shows the batch canceling; it ends on the next look at it.
    return this.view(batch, false);
  }

  delete(id: string): { id: string; type: "message_batch_deleted" } | BatchFailure {
    const batch = this.find(id);
    if ("ok" in batch) return batch;
    if (batch.endedAt === null) {
      return {
        ok: false,
        type: "invalid_request_error",
        message: `Message Batch ${id} is still processing; cancel it before deleting it.`,
      };
    }
    this.batches.delete(id);
    return { id, type: "message_batch_deleted" };
  }

  /** The results file: one JSON line per request, in reverse request order since the API promises no order. */
  results(id: string): string | BatchFailure {
    const batch = this.find(id);
    if ("ok" in batch) return batch;
    if (batch.results === null) {
      return { ok: false, type: "not_found_error", message: `Message Batch ${id} has not ended; its results are not available yet.` };
    }
    return batch.results
      .toReversed()
      .map((line) => `${JSON.stringify(line)}\n`)
      .join("");
  }

  /** Scripts the next items processed, in order, across batches. */
  queueItemOutcomes(outcomes: BatchItemOutcome[]): void {
    const known: readonly string[] = ["succeeded", "errored", "canceled", "expired", ...CONTENT_FAULTS];
    for (const outcome of outcomes) if (!known.includes(outcome)) throw new Error(`unknown batch item outcome "${outcome}"`);
    this.queued.push(...outcomes);
  }

  stats(): BatchStats {
    return { ...this.counts, byOutcome: { ...this.counts.byOutcome } };
  }

  clear(): void {
    this.batches.clear();
    this.queued = [];
    this.random = seededRandom(this.options.seed);
    this.counts = { created: 0, items: 0, byOutcome: emptyCounts() };
  }

  private find(id: string): Batch | BatchFailure {
    const batch = this.batches.get(id);
    if (!batch) return { ok: false, type: "not_found_error", message: `Message Batch ${id} not found` };
    this.advance(batch);
    return batch;
  }

  private endsAt(batch: Batch): number {
    return Math.min(batch.createdAt + this.options.processingMs, batch.cancelInitiatedAt ?? Number.POSITIVE_INFINITY, batch.expiresAt);
  }

  /** Ends the batch once its time has come: items due by then are processed, the others canceled or expired. */
  private advance(batch: Batch): void {
    const endsAt = this.endsAt(batch);
    if (batch.endedAt !== null || this.options.now() < endsAt) return;
    const n = batch.requests.length;
    batch.results = batch.requests.map((request, i) => {
      const dueAt = batch.createdAt + ((i + 1) / n) * this.options.processingMs;
      let result: BatchItemResult;
      if (dueAt <= endsAt) result = this.process(request, batch.apiVersion);
      else result = batch.cancelInitiatedAt !== null ? { type: "canceled" } : { type: "expired" };
      this.counts.byOutcome[result.type]++;
      return { custom_id: request.custom_id, result };
    });
    batch.endedAt = endsAt;
  }

  private process(request: BatchRequest, apiVersion: string): BatchItemResult {
    const scripted = this.queued.shift() ?? this.drawOutcome();
    if (scripted === "canceled" || scripted === "expired") return { type: scripted };
    if (scripted === "errored") return errored("api_error", "Internal server error");
    const checked = checkMessagesRequest(request.params, apiVersion);
    if (!checked.ok) return errored(checked.type ?? "invalid_request_error", checked.message);
    const fault = scripted === null || scripted === "succeeded" ? this.options.faults.takeContent() : scripted;
    const reply = answer(checked.request, this.options.cache, fault, "batch");
    return reply.ok ? { type: "succeeded", message: reply.message } : errored("invalid_request_error", reply.message);
  }

  private drawOutcome(): "errored" | "expired" | "canceled" | null {
    for (const kind of ["errored", "expired", "canceled"] as const) {
      const rate = this.options.itemFaultRates[kind];
      if (rate !== undefined && rate > 0 && this.random() < rate) return kind;
    }
    return null;
  }

  /** With `advance` false the view shows the state just set (the cancel answer), not where time has taken it. */
  private view(batch: Batch, advance = true): MessageBatchView {
    if (advance) this.advance(batch);
    const ended = batch.endedAt !== null;
    const counts = emptyCounts();
    for (const line of batch.results ?? []) counts[line.result.type]++;
    return {
      id: batch.id,
      type: "message_batch",
      processing_status: ended ? "ended" : batch.cancelInitiatedAt !== null ? "canceling" : "in_progress",
      request_counts: { processing: ended ? 0 : batch.requests.length, ...counts },
      ended_at: batch.endedAt === null ? null : iso(batch.endedAt),
      created_at: iso(batch.createdAt),
      expires_at: iso(batch.expiresAt),
      archived_at: null,
      cancel_initiated_at: batch.cancelInitiatedAt === null ? null : iso(batch.cancelInitiatedAt),
      results_url: ended ? this.options.resultsUrl(batch.id) : null,
    };
  }
}

function errored(type: ApiErrorType, message: string): BatchItemResult {
  return { type: "errored", error: apiErrorBody(type, message, newId("req")) };
}
