import {
  DEFAULT_RATE_LIMIT_RETRY_MS,
  LlmOverloadedError,
  LlmPermanentError,
  LlmRateLimitedError,
  LlmSpendLimitError,
  LlmStalledError,
  LlmTransientError,
  LlmUnavailableError,
} from "@engagement/engagement";
import { SIGNALS_BY_LEVEL } from "@engagement/engagement/testing";
import { type FakeAnthropic, startFakeAnthropic } from "@engagement/fake-anthropic";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { type AnthropicClassifierConfig, createAnthropicClassifier } from "./anthropic-classifier.ts";

const API_KEY = "test-key";
let fake: FakeAnthropic;

beforeAll(async () => {
  // slowMs is short so a request the client gave up on does not keep the server busy after the test.
  fake = await startFakeAnthropic({ apiKey: API_KEY, faultRetryAfterSeconds: 7, slowMs: 3_000 });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

const classifier = (config: Partial<AnthropicClassifierConfig> = {}) =>
  createAnthropicClassifier({ apiKey: API_KEY, baseURL: fake.url, ...config });

const judged = SIGNALS_BY_LEVEL.at_risk;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}

describe("transport errors are thrown typed, never swallowed into a fallback", () => {
  it("429 → LlmRateLimitedError with retryAfterMs from retry-after (seconds → ms), after one request", async () => {
    fake.fault("rate_limited", 1);
    const error = await rejection(classifier().classify(judged));
    expect(error).toBeInstanceOf(LlmRateLimitedError);
    expect(error).toBeInstanceOf(LlmTransientError);
    expect(error).toMatchObject({ status: 429, retryAfterMs: 7_000, requestId: expect.stringMatching(/^req_/) });
    expect(fake.requests).toHaveLength(1);
  });

  it("429 from the server's own limiter also carries its retry-after", async () => {
    const limited = await startFakeAnthropic({ apiKey: API_KEY, rateLimit: { requests: 1, windowMs: 60_000 } });
    try {
      const c = createAnthropicClassifier({ apiKey: API_KEY, baseURL: limited.url });
      await c.classify(judged);
      const error = await rejection(c.classify(judged));
      expect(error).toBeInstanceOf(LlmRateLimitedError);
      expect((error as LlmRateLimitedError).retryAfterMs).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });

  it.each([
    ["spend_limit", "enforced_spend_limit_reached"],
    ["contract_spend_limit", "contract_spend_limit_reached"],
  ] as const)("429 %s → LlmSpendLimitError (%s), not a rate limit to wait out", async (fault, code) => {
    fake.fault(fault, 1);
    const error = await rejection(classifier().classify(judged));
    expect(error).toBeInstanceOf(LlmSpendLimitError);
    expect(error).not.toBeInstanceOf(LlmTransientError);
    expect(error).toMatchObject({ status: 429, errorCode: code, requestId: expect.stringMatching(/^req_/) });
    expect(fake.stats().received).toBe(1);
  });

  it("429 ramp_limit_exceeded stays a rate limit with its retry-after", async () => {
    fake.fault("ramp_limit", 1);
    const error = await rejection(classifier().classify(judged));
    expect(error).toBeInstanceOf(LlmRateLimitedError);
    expect((error as LlmRateLimitedError).retryAfterMs).toBe(7000);
  });

  it("529 → LlmOverloadedError; no hint means retryAfterMs null", async () => {
    fake.fault("overloaded", 1);
    const error = await rejection(classifier().classify(judged));
    expect(error).toBeInstanceOf(LlmOverloadedError);
    expect(error).toBeInstanceOf(LlmTransientError);
    expect(error).toMatchObject({ status: 529, retryAfterMs: null });
  });

  it("500 → LlmUnavailableError", async () => {
    fake.fault("server_error", 1);
    const error = await rejection(classifier().classify(judged));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error).toMatchObject({ status: 500 });
  });

  it("401 → LlmPermanentError, not transient", async () => {
    const error = await rejection(classifier({ apiKey: "wrong-key" }).classify(judged));
    expect(error).toBeInstanceOf(LlmPermanentError);
    expect(error).not.toBeInstanceOf(LlmTransientError);
    expect(error).toMatchObject({ status: 401 });
    expect((error as Error).message).toContain("invalid bearer token");
  });

  it("a slow answer past the timeout → LlmUnavailableError without status", async () => {
    fake.fault("slow", 1);
    const error = await rejection(classifier({ timeoutMs: 200 }).classify(judged));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error).toMatchObject({ status: null, retryAfterMs: null });
  });

  it("a refused connection → LlmUnavailableError", async () => {
    const closed = await startFakeAnthropic({ apiKey: API_KEY });
    const url = closed.url;
    await closed.stop();
    const error = await rejection(createAnthropicClassifier({ apiKey: API_KEY, baseURL: url }).classify(judged));
    expect(error).toBeInstanceOf(LlmUnavailableError);
  });

  it("a connection dropped mid-answer (a 200 whose body is cut) → LlmUnavailableError, not an unknown TypeError", async () => {
    fake.fault("dropped_connection", 1);
    const error = await rejection(classifier().classify(judged));
    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect(error).toMatchObject({ status: null, retryAfterMs: null });
    expect((error as Error).message).toContain("connection dropped");
  });

  it("a transient error on the retry after a refusal is thrown too", async () => {
    fake.fault("refusal", 1);
    fake.fault("overloaded", 1);
    await expect(classifier().classify(judged)).rejects.toBeInstanceOf(LlmOverloadedError);
    expect(fake.requests).toHaveLength(2);
  });

  it("maxRetries is 0 by default: the queue, not the SDK, owns retries", async () => {
    fake.fault("server_error", 2);
    await expect(classifier().classify(judged)).rejects.toBeInstanceOf(LlmUnavailableError);
    expect(fake.requests).toHaveLength(1);
  });

  it("a configured maxRetries lets the SDK retry", async () => {
    fake.fault("server_error", 1);
    const result = await classifier({ maxRetries: 1 }).classify(judged);
    expect(result.source).toBe("llm");
    expect(fake.requests).toHaveLength(2);
  });

  it("retry-after absent on a 429 falls back to the documented default", () => {
    expect(new LlmRateLimitedError("x", null).retryAfterMs).toBe(DEFAULT_RATE_LIMIT_RETRY_MS);
  });
});

describe("stalled calls: streamed answers that stop coming", () => {
  // This fake holds a "slow" request before its headers and a "stall" one after its message_start, for 20 s: the
  // bounds below (5 s, for a loaded machine) tell an abandoned call from one that waited for its answer.
  let hanging: FakeAnthropic;
  beforeAll(async () => {
    hanging = await startFakeAnthropic({ apiKey: API_KEY, slowMs: 20_000 });
  });
  afterAll(async () => hanging.stop());
  const stallingClassifier = (config: Partial<AnthropicClassifierConfig>) =>
    createAnthropicClassifier({ apiKey: API_KEY, baseURL: hanging.url, ...config });

  it("no first byte for the stall timeout → LlmStalledError, long before the request timeout", async () => {
    hanging.fault("slow", 1);
    const started = Date.now();
    const error = await rejection(stallingClassifier({ stallTimeoutMs: 300, timeoutMs: 60_000 }).classify(judged));
    expect(error).toBeInstanceOf(LlmStalledError);
    expect(error).toBeInstanceOf(LlmTransientError);
    expect((error as Error).message).toContain("sent nothing for 300 ms");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("an answer begun and then silent → LlmStalledError", async () => {
    hanging.reset();
    hanging.fault("stall", 1);
    const started = Date.now();
    const error = await rejection(stallingClassifier({ stallTimeoutMs: 300 }).classify(judged));
    expect(error).toBeInstanceOf(LlmStalledError);
    expect(Date.now() - started).toBeLessThan(5_000);
    // The client left mid-answer: the one request was never answered to the end.
    expect(hanging.requests).toHaveLength(1);
    expect(hanging.requests[0]?.status).toBeUndefined();
  });

  it("a long answer that keeps sending events is not a stall, however long it takes in all", async () => {
    const slowModel = await startFakeAnthropic({ apiKey: API_KEY, latencyMs: 1_200 });
    try {
      const started = Date.now();
      const result = await createAnthropicClassifier({ apiKey: API_KEY, baseURL: slowModel.url, stallTimeoutMs: 400 }).classify(judged);
      expect(result.source).toBe("llm");
      // Four times the stall timeout in all, with no silence as long as one.
      expect(Date.now() - started).toBeGreaterThanOrEqual(1_150);
    } finally {
      await slowModel.stop();
    }
  });

  it("the caller's abort stays an abort, not a stall", async () => {
    hanging.fault("stall", 1);
    const controller = new AbortController();
    const pending = stallingClassifier({ stallTimeoutMs: 10_000 }).classify(judged, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const error = await rejection(pending);
    expect(error).toMatchObject({ name: "AbortError" });
    expect(error).not.toBeInstanceOf(LlmStalledError);
  });
});

describe("aborts", () => {
  it("an abort during the call rejects with an AbortError, not a fallback", async () => {
    fake.fault("slow", 1);
    const controller = new AbortController();
    const pending = classifier().classify(judged, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(pending);
    expect(error).toMatchObject({ name: "AbortError" });
    expect(error).not.toBeInstanceOf(LlmTransientError);
  });

  it("an abort while the budget lets the request through still aborts it, rather than letting it run to its end", async () => {
    const controller = new AbortController();
    // The budget resolves in the same moment the job is cancelled (a shutdown under load).
    const beforeRequest = async () => controller.abort();
    const error = await rejection(classifier({ beforeRequest }).classify(judged, { signal: controller.signal }));
    expect(error).toMatchObject({ name: "AbortError" });
    expect(fake.requests.filter((r) => r.status !== undefined)).toHaveLength(0);
  });

  it("an already aborted signal makes no request", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(classifier().classify(judged, { signal: controller.signal })).rejects.toMatchObject({ name: "AbortError" });
    expect(fake.requests).toHaveLength(0);
  });
});
