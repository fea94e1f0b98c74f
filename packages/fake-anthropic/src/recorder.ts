import type { IncomingHttpHeaders } from "node:http";
import type { BatchStats } from "./batch-store.ts";
import type { FaultKind } from "./faults.ts";
import { maxInWindow } from "./rate-limit.ts";

export interface RecordedRequest {
  /** When the request arrived, in ms since the epoch (by the server's clock option). */
  at: number;
  requestId: string;
  method: string;
  path: string;
  /** Lower-case names; credentials are redacted. */
  headers: Record<string, string>;
  /** The parsed JSON body, the raw text if it was not JSON, or null if there was none. */
  body: unknown;
  /** Set once answered; absent if the client went away or the server stopped first. */
  status?: number;
  fault?: FaultKind;
  durationMs?: number;
  /** The retry-after the answer carried (429s), in seconds. */
  retryAfterSeconds?: number;
  /** Set on a Messages request that arrived while a retry-after announced earlier was still running. */
  insideRetryAfter?: boolean;
}

interface RequestStats {
  received: number;
  /** Responses sent with any status but 429. */
  answered: number;
  /** 429 responses, from the limiter or a scripted fault. */
  rateLimited: number;
  /** Requests a scripted fault was applied to. */
  faulted: number;
  /** Requests whose client disconnected before the answer was sent. */
  disconnected: number;
  /**
   * Messages requests that arrived while a retry-after the fake had announced in a 429 was still running. The
   * limit is the account's, so a 429 sent to one client holds for every client: a disciplined fleet keeps this 0.
   */
  insideRetryAfter: number;
  byStatus: Record<number, number>;
}

export interface FakeAnthropicStats extends RequestStats {
  /** Message Batches created, their items, and the items' results once their batch ended. */
  batches: BatchStats;
}

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  if (out.authorization !== undefined) out.authorization = /^bearer /i.test(out.authorization) ? "Bearer ***" : "***";
  if (out["x-api-key"] !== undefined) out["x-api-key"] = "***";
  return out;
}

const emptyStats = (): RequestStats => ({
  received: 0,
  answered: 0,
  rateLimited: 0,
  faulted: 0,
  disconnected: 0,
  insideRetryAfter: 0,
  byStatus: {},
});

/** The requests a retry-after is about: the Messages endpoint, which the rate limits and faults answer. */
const LIMITED_PATH = "/v1/messages";

/** What the fake saw and said, kept for assertions; `reset()` empties it between tests. */
export class Recorder {
  readonly requests: RecordedRequest[] = [];
  private counts = emptyStats();
  /** When the latest-ending retry-after announced so far runs out (ms, server clock). */
  private retryAfterUntil = 0;

  received(entry: RecordedRequest): void {
    this.requests.push(entry);
    this.counts.received++;
    if (entry.path === LIMITED_PATH && entry.at < this.retryAfterUntil) {
      entry.insideRetryAfter = true;
      this.counts.insideRetryAfter++;
    }
  }

  faulted(entry: RecordedRequest, kind: FaultKind): void {
    entry.fault = kind;
    this.counts.faulted++;
  }

  answered(entry: RecordedRequest, status: number, finishedAt: number): void {
    entry.status = status;
    entry.durationMs = finishedAt - entry.at;
    this.counts.byStatus[status] = (this.counts.byStatus[status] ?? 0) + 1;
    if (status === 429) this.counts.rateLimited++;
    else this.counts.answered++;
    // The wait runs from when the client could read the answer, which is when it was sent.
    if (entry.retryAfterSeconds !== undefined) {
      this.retryAfterUntil = Math.max(this.retryAfterUntil, finishedAt + entry.retryAfterSeconds * 1000);
    }
  }

  disconnected(): void {
    this.counts.disconnected++;
  }

  stats(): RequestStats {
    return { ...this.counts, byStatus: { ...this.counts.byStatus } };
  }

  /** Arrival times of requests that got an answer other than 429, oldest first. */
  answeredTimestamps(): number[] {
    return this.requests.filter((r) => r.status !== undefined && r.status !== 429).map((r) => r.at);
  }

  maxAnsweredInWindow(windowMs: number): number {
    return maxInWindow(this.answeredTimestamps(), windowMs);
  }

  reset(): void {
    // Emptied in place: callers may hold the array from `fake.requests`.
    this.requests.length = 0;
    this.counts = emptyStats();
    this.retryAfterUntil = 0;
  }
}
