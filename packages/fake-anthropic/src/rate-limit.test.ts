import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { maxInWindow } from "./rate-limit.ts";
import { type FakeAnthropic, startFakeAnthropic } from "./server.ts";
import { buildClassificationBody } from "./test-builders.ts";

const WINDOW_MS = 60_000;
let now = 1_800_000_000_000;
let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  // A hand-driven clock lets the test move past the window without sleeping.
  fake = await startFakeAnthropic({ rateLimit: { requests: 3, windowMs: WINDOW_MS }, now: () => now });
  client = new Anthropic({ apiKey: "test-key", baseURL: fake.url, maxRetries: 0 });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe("rate limit", () => {
  it("answers 429 rate_limit_error with retry-after past the limit, and ratelimit headers on every answer", async () => {
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await client.messages.create(buildClassificationBody()).withResponse();
      expect(response.headers.get("anthropic-ratelimit-requests-limit")).toBe("3");
      expect(response.headers.get("anthropic-ratelimit-requests-reset")).toMatch(RFC3339);
      remaining.push(response.headers.get("anthropic-ratelimit-requests-remaining"));
      now += 1_000;
    }
    expect(remaining).toEqual(["2", "1", "0"]);

    const error = await client.messages.create(buildClassificationBody()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const limited = error as InstanceType<typeof Anthropic.RateLimitError>;
    expect(limited.type).toBe("rate_limit_error");
    // The first admitted request leaves the window 57 s from now.
    expect(limited.headers.get("retry-after")).toBe("57");
    expect(limited.headers.get("anthropic-ratelimit-requests-remaining")).toBe("0");
    expect(limited.headers.get("anthropic-ratelimit-requests-reset")).toMatch(RFC3339);
    expect(fake.stats()).toMatchObject({ received: 4, answered: 3, rateLimited: 1, byStatus: { 200: 3, 429: 1 } });
  });

  it("sends the documented input-, output- and combined token headers, counting answered tokens, remaining rounded to thousands", async () => {
    const { data, response } = await client.messages.create(buildClassificationBody()).withResponse();
    const used = data.usage.input_tokens + (data.usage.cache_creation_input_tokens ?? 0);
    for (const kind of ["input-tokens", "output-tokens", "tokens"]) {
      expect(response.headers.get(`anthropic-ratelimit-${kind}-reset`)).toMatch(RFC3339);
    }
    expect(response.headers.get("anthropic-ratelimit-input-tokens-limit")).toBe("2000000");
    expect(response.headers.get("anthropic-ratelimit-output-tokens-limit")).toBe("400000");
    expect(Number(response.headers.get("anthropic-ratelimit-input-tokens-remaining"))).toBe(Math.round((2_000_000 - used) / 1000) * 1000);
    // The combined headers show the most restrictive limit in effect: output (400,000) here.
    expect(response.headers.get("anthropic-ratelimit-tokens-limit")).toBe("400000");
    expect(Number(response.headers.get("anthropic-ratelimit-tokens-remaining"))).toBe(
      Math.round((400_000 - data.usage.output_tokens) / 1000) * 1000,
    );
  });

  it("refuses with 429 once the window's input tokens are used up", async () => {
    const tight = await startFakeAnthropic({ rateLimit: { requests: 100, windowMs: WINDOW_MS, inputTokens: 10 }, now: () => now });
    try {
      const tightClient = new Anthropic({ apiKey: "test-key", baseURL: tight.url, maxRetries: 0 });
      await tightClient.messages.create(buildClassificationBody());
      const error = (await tightClient.messages.create(buildClassificationBody()).then(
        () => null,
        (e: unknown) => e,
      )) as InstanceType<typeof Anthropic.RateLimitError> | null;
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      expect(error?.apiMessage).toContain("input tokens");
      expect(Number(error?.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await tight.stop();
    }
  });

  it("admits again once the oldest request slides out of the window", async () => {
    for (let i = 0; i < 3; i++) await client.messages.create(buildClassificationBody());
    await expect(client.messages.create(buildClassificationBody())).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    now += WINDOW_MS;
    await expect(client.messages.create(buildClassificationBody())).resolves.toMatchObject({ stop_reason: "tool_use" });
    expect(fake.maxAnsweredInWindow(WINDOW_MS)).toBe(3);
    expect(fake.requestTimestamps()).toHaveLength(4);
  });

  it("rounds retry-after up to whole seconds", async () => {
    for (let i = 0; i < 3; i++) await client.messages.create(buildClassificationBody());
    now += WINDOW_MS - 10;
    const error = (await client.messages.create(buildClassificationBody()).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.RateLimitError
    >;
    expect(error.headers.get("retry-after")).toBe("1");
  });
});

describe("maxInWindow", () => {
  it("counts the busiest half-open window", () => {
    expect(maxInWindow([], 1000)).toBe(0);
    expect(maxInWindow([0, 999, 1000, 1500, 1999], 1000)).toBe(3);
    expect(maxInWindow([5000, 0, 100, 200], 1000)).toBe(3);
  });
});

describe("retry-after discipline", () => {
  it("counts requests that arrive while an announced retry-after is running, from any client", async () => {
    const other = new Anthropic({ apiKey: "test-key", baseURL: fake.url, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.messages.create(buildClassificationBody());
    const limited = (await client.messages.create(buildClassificationBody()).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.RateLimitError
    >;
    const wait = Number(limited.headers.get("retry-after")) * 1000;
    expect(fake.stats().insideRetryAfter).toBe(0);

    // Another client of the same account ignores the wait: both of its requests count, answered or not.
    now += wait / 2;
    await other.messages.create(buildClassificationBody()).catch(() => null);
    await other.messages.create(buildClassificationBody()).catch(() => null);
    expect(fake.stats().insideRetryAfter).toBe(2);
    now += wait;
    await expect(client.messages.create(buildClassificationBody())).resolves.toMatchObject({ stop_reason: "tool_use" });
    expect(fake.stats().insideRetryAfter).toBe(2);
    expect(fake.requests.map((r) => r.insideRetryAfter ?? false)).toEqual([false, false, false, false, true, true, false]);
  });

  it("counts against a scripted 429's retry-after too, and not after the wait", async () => {
    fake.fault("rate_limited");
    await client.messages.create(buildClassificationBody()).catch(() => null);
    now += 500;
    await client.messages.create(buildClassificationBody());
    now += 1_000;
    await client.messages.create(buildClassificationBody());
    expect(fake.stats()).toMatchObject({ insideRetryAfter: 1, rateLimited: 1 });
  });
});
