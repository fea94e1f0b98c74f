import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { type ApiErrorType, apiErrorBody, ERROR_STATUS, newId } from "./api-error.ts";
import { MAX_BATCH_BYTES } from "./batch-request.ts";
import { BATCHES_PATH, routeBatches } from "./batch-routes.ts";
import { type BatchItemFaultRates, type BatchItemOutcome, BatchStore } from "./batch-store.ts";
import { type FaultKind, type FaultRates, FaultSchedule, isContentFault } from "./faults.ts";
import { modelCapabilities } from "./models.ts";
import { checkMessagesRequest } from "./protocol.ts";
import { type RateLimitOptions, SlidingWindowLimiter } from "./rate-limit.ts";
import { type FakeAnthropicStats, type RecordedRequest, Recorder, redactHeaders } from "./recorder.ts";
import { answer, type MessageResponse } from "./respond.ts";
import { formatEvent, streamEvents } from "./stream.ts";
import { PromptCache } from "./usage.ts";

export interface FakeAnthropicOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** The key clients must send as `Authorization: Bearer` or `x-api-key`; default "test-key". */
  apiKey?: string;
  /**
   * Added before each answer the model would produce: a fixed delay or a uniform [min, max] range. A streamed
   * answer spends a fifth of it before message_start and spreads the rest between its events, as a model
   * generating tokens does.
   */
  latencyMs?: number | [number, number];
  rateLimit?: RateLimitOptions;
  /**
   * How long the "slow" fault holds a request before its first byte, and the "stall" fault a streamed answer after
   * its message_start; default 70 000 ms, past a typical client timeout.
   */
  slowMs?: number;
  /**
   * Prefixes shorter than this many tokens are not cached. By default each model's documented minimum (512 on
   * Haiku 5.5, see models.ts); 0 caches any prefix, for tests with short prompts.
   */
  minCacheableTokens?: number;
  /** `retry-after` seconds sent by the "rate_limited" fault; default 1. */
  faultRetryAfterSeconds?: number;
  /**
   * A probability per request for each fault kind, e.g. `{rate_limited: 0.05, overloaded: 0.01}`, used when no
   * queued fault or fault mode applies. Content faults among them also apply to each batch item.
   */
  faultRates?: FaultRates;
  /** Seed of the random draws behind `faultRates`; the same seed gives the same faults to the same requests. Default 1. */
  faultSeed?: number;
  /**
   * How long after creation a Message Batch ends, its items completing evenly over that time (a cancel keeps the
   * ones already due). Default 0: the batch is in_progress when created and ends on the next look at it.
   */
  batchProcessingMs?: number;
  /** Per batch item, the probability of an errored, expired or canceled result (drawn with `faultSeed`). */
  batchItemFaultRates?: BatchItemFaultRates;
  /** Clock for the prompt cache TTL, the rate window and recorded times; lets a test skip ahead. */
  now?: () => number;
  /** Called after each response is sent (the CLI logs from it). */
  onResponse?: (entry: RecordedRequest) => void;
}

export interface FakeAnthropic {
  /** Base URL for the SDK's `baseURL`, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly port: number;
  /** Every request received since start or the last reset, oldest first. */
  readonly requests: readonly RecordedRequest[];
  stats(): FakeAnthropicStats;
  /** Arrival times (ms) of requests answered with a status other than 429. */
  requestTimestamps(): number[];
  /** The most requests answered (non-429) within any `windowMs` sliding window. */
  maxAnsweredInWindow(windowMs: number): number;
  /** Queues `kind` for the next `times` authenticated requests, after any already queued. */
  fault(kind: FaultKind, times?: number): void;
  /** Applies `kind` to every request while the queue is empty, until set to null. */
  setFaultMode(kind: FaultKind | null): void;
  /**
   * Scripts the next batch items processed, in order: a result type ("errored", "expired", "canceled",
   * "succeeded") or a content fault for the item's answer. Queued faults from `fault()` are for HTTP requests.
   */
  queueBatchItemOutcomes(...outcomes: BatchItemOutcome[]): void;
  /** Clears recorded requests, stats, faults (restarting the rates' draws), batches, the rate window and the prompt cache. */
  reset(): void;
  /** Closes the server, cutting off requests still waiting (a "slow" fault, latency). */
  stop(): Promise<void>;
}

/** The Messages API's request size limit; a batch may be up to 256 MB (batch-request.ts). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

class FakeAnthropicServer implements FakeAnthropic {
  private readonly recorder = new Recorder();
  private readonly faults: FaultSchedule;
  private readonly batches: BatchStore;
  private readonly cache: PromptCache;
  private readonly limiter: SlidingWindowLimiter | null;
  private readonly inFlight = new Set<AbortController>();
  private readonly now: () => number;
  url = "";
  port = 0;

  constructor(
    private readonly server: Server,
    private readonly options: FakeAnthropicOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.faults = new FaultSchedule(options.faultRates, options.faultSeed);
    this.cache = new PromptCache(this.now, options.minCacheableTokens ?? ((model) => modelCapabilities(model)?.minCacheableTokens ?? 0));
    this.limiter = options.rateLimit ? new SlidingWindowLimiter(options.rateLimit, this.now) : null;
    this.batches = new BatchStore({
      now: this.now,
      cache: this.cache,
      faults: this.faults,
      processingMs: options.batchProcessingMs ?? 0,
      itemFaultRates: options.batchItemFaultRates ?? {},
      seed: options.faultSeed ?? 1,
      resultsUrl: (id) => `${this.url}${BATCHES_PATH}/${id}/results`,
    });
  }

  get requests(): readonly RecordedRequest[] {
    return this.recorder.requests;
  }

  stats = (): FakeAnthropicStats => ({ ...this.recorder.stats(), batches: this.batches.stats() });
  requestTimestamps = () => this.recorder.answeredTimestamps();
  maxAnsweredInWindow = (windowMs: number) => this.recorder.maxAnsweredInWindow(windowMs);
  fault = (kind: FaultKind, times = 1) => this.faults.enqueue(kind, times);
  setFaultMode = (kind: FaultKind | null) => this.faults.setMode(kind);
  queueBatchItemOutcomes = (...outcomes: BatchItemOutcome[]) => this.batches.queueItemOutcomes(outcomes);

  reset = () => {
    this.recorder.reset();
    this.faults.clear();
    this.batches.clear();
    this.cache.clear();
    this.limiter?.reset();
  };

  stop = async () => {
    for (const controller of this.inFlight) controller.abort();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  };

  async listen(): Promise<void> {
    const host = this.options.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(this.options.port ?? 0, host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://${host.includes(":") ? `[${host}]` : host}:${this.port}`;
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController();
    this.inFlight.add(controller);
    res.on("close", () => {
      this.inFlight.delete(controller);
      if (!res.writableFinished) {
        this.recorder.disconnected();
        controller.abort();
      }
    });
    this.serve(req, res, controller.signal).catch((error: unknown) => {
      // An abort means the client left or the server is stopping: there is nobody to answer.
      if (controller.signal.aborted) return;
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const entry: RecordedRequest = {
      at: this.now(),
      requestId: newId("req"),
      method: req.method ?? "GET",
      path: url.pathname,
      headers: redactHeaders(req.headers),
      body: null,
    };
    this.recorder.received(entry);
    let extraHeaders: Record<string, string> = {};
    const send = (status: number, body: unknown) => this.send(res, entry, status, JSON.stringify(body), "application/json", extraHeaders);
    const fail = (type: ApiErrorType, message: string, errorCode?: string) =>
      send(ERROR_STATUS[type], apiErrorBody(type, message, entry.requestId, errorCode));
    const isBatch = entry.path === BATCHES_PATH || entry.path.startsWith(`${BATCHES_PATH}/`);

    let raw: string;
    try {
      raw = await readBody(req, isBatch ? MAX_BATCH_BYTES : MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) return fail("request_too_large", "Request exceeds the maximum allowed size");
      throw error;
    }
    let body: unknown = null;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    entry.body = body;

    const notFound = () => fail("not_found_error", `Not Found: ${entry.method} ${entry.path}`);
    if (!isBatch && (entry.method !== "POST" || entry.path !== "/v1/messages")) return notFound();
    const authError = this.checkAuth(req);
    if (authError) return fail("authentication_error", authError);
    const version = req.headers["anthropic-version"];
    if (typeof version !== "string" || version.length === 0) {
      return fail("invalid_request_error", "anthropic-version: header is required");
    }

    // Batches have rate limits of their own and "Usage of the Batches API does not affect rate limits in the
    // Messages API" (batch processing page), so they pass neither the limiter nor the request faults.
    if (isBatch) {
      const routed = routeBatches(this.batches, entry.method, entry.path, url.searchParams, body, version);
      if (routed === null) return notFound();
      if (routed.kind === "error") return fail(routed.type, routed.message);
      if (routed.kind === "jsonl") return this.send(res, entry, 200, routed.text, "application/binary", extraHeaders);
      return send(routed.status, routed.body);
    }

    if (this.limiter) {
      const admission = this.limiter.admit();
      extraHeaders = admission.headers;
      if (!admission.allowed) {
        extraHeaders = { ...extraHeaders, "retry-after": String(admission.retryAfterSeconds) };
        const { requests, windowMs } = this.options.rateLimit as RateLimitOptions;
        const what = admission.limit === "requests" ? `${requests} requests` : admission.limit;
        return fail("rate_limit_error", `This request would exceed your rate limit of ${what} per ${windowMs} ms.`);
      }
    }

    const fault = this.faults.take();
    if (fault) this.recorder.faulted(entry, fault);
    if (fault === "overloaded") return fail("overloaded_error", "Overloaded");
    if (fault === "server_error") return fail("api_error", "Internal server error");
    if (fault === "rate_limited") {
      extraHeaders = {
        ...extraHeaders,
        "retry-after": String(this.options.faultRetryAfterSeconds ?? 1),
        "anthropic-ratelimit-requests-remaining": "0",
      };
      return fail("rate_limit_error", "Number of requests has exceeded your rate limit (scripted fault).");
    }
    // Spend caps carry no retry-after: waiting does not help before the next billing period.
    if (fault === "spend_limit") {
      const message =
        "You have reached your API usage limits: your organization has crossed its monthly API usage threshold, " +
        "set based on your organization's API tier. You will regain access on the first day of next month at 00:00 UTC.";
      return fail("rate_limit_error", message, "enforced_spend_limit_reached");
    }
    if (fault === "contract_spend_limit") {
      return fail("rate_limit_error", "Your organization has reached the spend limit of its contract.", "contract_spend_limit_reached");
    }
    if (fault === "ramp_limit") {
      extraHeaders = { ...extraHeaders, "retry-after": String(this.options.faultRetryAfterSeconds ?? 1) };
      return fail("rate_limit_error", "This request would exceed a ramp limit; ramp up your traffic gradually.", "ramp_limit_exceeded");
    }

    if (typeof body !== "object" || body === null) {
      return fail("invalid_request_error", "There was an error parsing the body of your request: expected a JSON object");
    }
    const checked = checkMessagesRequest(body, version);
    if (!checked.ok) return fail(checked.type ?? "invalid_request_error", checked.message);

    const streamed = checked.request.stream === true;
    const holdMs = this.options.slowMs ?? 70_000;
    // Not streamed, an answer's first byte is the whole answer: a stall can only be a wait before it.
    if (fault === "slow" || (fault === "stall" && !streamed)) await sleep(holdMs, undefined, { signal });
    const latency = this.latency();
    if (latency > 0 && !streamed) await sleep(latency, undefined, { signal });

    const reply = answer(checked.request, this.cache, fault && isContentFault(fault) ? fault : null);
    if (!reply.ok) return fail("invalid_request_error", reply.message);
    if (fault === "dropped_connection") {
      if (!streamed) return this.drop(res, "application/json", JSON.stringify(reply.message));
      return this.drop(res, "text/event-stream", streamEvents(reply.message).map(formatEvent).join(""));
    }
    if (this.limiter) {
      // Input tokens as rate limits count them: cache reads do not count for most models (rate limits page).
      const usage = reply.message.usage;
      this.limiter.recordTokens(usage.input_tokens + usage.cache_creation_input_tokens, usage.output_tokens);
      extraHeaders = { ...extraHeaders, ...this.limiter.tokenHeaders() };
    }
    if (streamed) return this.stream(res, entry, reply.message, extraHeaders, { latency, stallMs: fault === "stall" ? holdMs : 0, signal });
    return send(200, reply.message);
  }

  /** A streamed 200: headers after a fifth of the latency, then the events spread over the rest. */
  private async stream(
    res: ServerResponse,
    entry: RecordedRequest,
    message: MessageResponse,
    headers: Record<string, string>,
    { latency, stallMs, signal }: { latency: number; stallMs: number; signal: AbortSignal },
  ): Promise<void> {
    const events = streamEvents(message);
    if (latency > 0) await sleep(latency / 5, undefined, { signal });
    if (res.destroyed) return;
    res.writeHead(200, { ...headers, "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": entry.requestId });
    const gap = (latency * 4) / 5 / events.length;
    for (const [i, event] of events.entries()) {
      res.write(formatEvent(event));
      // After message_start: the answer has begun and then nothing more comes, as a stuck generation looks.
      if (i === 0 && stallMs > 0) await sleep(stallMs, undefined, { signal });
      if (gap > 0) await sleep(gap, undefined, { signal });
      if (res.destroyed) return;
    }
    res.end();
    this.recorder.answered(entry, 200, this.now());
    this.options.onResponse?.(entry);
  }

  /** The SDK 1.x sends a Bearer token; 0.x clients send x-api-key, which wins when both arrive, as upstream. */
  private checkAuth(req: IncomingMessage): string | null {
    const expected = this.options.apiKey ?? "test-key";
    const apiKey = req.headers["x-api-key"];
    if (typeof apiKey === "string") return apiKey === expected ? null : "invalid x-api-key";
    const authorization = req.headers.authorization;
    if (authorization === undefined) return "authentication required: send Authorization: Bearer <key> or x-api-key";
    const token = /^Bearer (.+)$/i.exec(authorization)?.[1];
    return token === expected ? null : "invalid bearer token";
  }

  private latency(): number {
    const option = this.options.latencyMs ?? 0;
    if (typeof option === "number") return option;
    const [min, max] = option;
    return min + Math.random() * Math.max(0, max - min);
  }

  /**
   * Sends the first half of the answer (a JSON body with the whole length promised, or the events of a streamed
   * one), then destroys the socket: the client reads a cut body.
   */
  private drop(res: ServerResponse, contentType: string, text: string): void {
    const length = contentType === "application/json" ? { "content-length": Buffer.byteLength(text) } : {};
    res.writeHead(200, { "content-type": contentType, ...length });
    res.write(text.slice(0, Math.floor(text.length / 2)), () => res.socket?.destroy());
  }

  private send(
    res: ServerResponse,
    entry: RecordedRequest,
    status: number,
    text: string,
    contentType: string,
    headers: Record<string, string>,
  ): void {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, {
      ...headers,
      "content-type": contentType,
      "content-length": Buffer.byteLength(text),
      "request-id": entry.requestId,
    });
    res.end(text);
    if (headers["retry-after"]) entry.retryAfterSeconds = Number(headers["retry-after"]);
    this.recorder.answered(entry, status, this.now());
    this.options.onResponse?.(entry);
  }
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const server = createServer();
  const fake = new FakeAnthropicServer(server, options);
  server.on("request", fake.handle);
  await fake.listen();
  return fake;
}
