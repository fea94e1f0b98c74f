import { describe, expect, it } from "@jest/globals";
import { checkMessagesRequest, MessagesRequest } from "./protocol.ts";
import { buildClassificationBody, buildSignals } from "./test-builders.ts";
import { PromptCache } from "./usage.ts";

function clock() {
  let now = 1_800_000_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const request = (body: object) => MessagesRequest.parse(body);

describe("PromptCache", () => {
  it("counts every input token as uncached when nothing carries cache_control", () => {
    const cache = new PromptCache(clock().now);
    const body = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "x".repeat(400) }] };
    const usage = cache.usage(request(body), 7);
    expect(usage.input_tokens).toBeGreaterThanOrEqual(100);
    expect(usage.input_tokens).toBeLessThan(110);
    expect(usage).toMatchObject({ output_tokens: 7, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it("writes the prefix once, reads it within five minutes and writes it again after", () => {
    const time = clock();
    const cache = new PromptCache(time.now);
    const first = cache.usage(request(buildClassificationBody()), 1);
    time.advance(4 * 60_000);
    const second = cache.usage(request(buildClassificationBody(buildSignals({ attended90: 2 }))), 1);
    // The read at minute 4 refreshed the entry, so minute 8 still hits.
    time.advance(4 * 60_000);
    const third = cache.usage(request(buildClassificationBody()), 1);
    time.advance(5 * 60_000 + 1);
    const fourth = cache.usage(request(buildClassificationBody()), 1);

    const prefix = first.cache_creation_input_tokens;
    expect(prefix).toBeGreaterThan(0);
    expect(second).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: prefix });
    expect(third.cache_read_input_tokens).toBe(prefix);
    expect(fourth).toMatchObject({ cache_creation_input_tokens: prefix, cache_read_input_tokens: 0 });
    expect(second.input_tokens + prefix).toBeCloseTo(first.input_tokens + prefix, -1);
  });

  it("keys the cache by model and by prefix content", () => {
    const cache = new PromptCache(clock().now);
    const body = buildClassificationBody();
    cache.usage(request(body), 1);
    expect(cache.usage(request({ ...body, model: "claude-sonnet-5-5" }), 1).cache_read_input_tokens).toBe(0);
    const changedSystem = { ...body, system: [{ ...body.system[0], text: "Another system prompt" }] };
    const usage = cache.usage(request(changedSystem), 1);
    // The tool breakpoint precedes the system prompt, so that part is still a hit.
    expect(usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(usage.cache_creation_input_tokens).toBeGreaterThan(0);
  });

  it("reports one-hour writes under ephemeral_1h_input_tokens", () => {
    const cache = new PromptCache(clock().now);
    const body = buildClassificationBody();
    const system = [{ ...body.system[0], cache_control: { type: "ephemeral", ttl: "1h" } }];
    const usage = cache.usage(request({ ...body, tools: [], tool_choice: undefined, system }), 1);
    expect(usage.cache_creation.ephemeral_1h_input_tokens).toBe(usage.cache_creation_input_tokens);
    expect(usage.cache_creation.ephemeral_5m_input_tokens).toBe(0);
  });
});

describe("minimum cacheable prefix", () => {
  it("does not cache a marked prefix shorter than the minimum, and caches one above it", () => {
    const request = (text: string) =>
      ({
        model: "claude-haiku-5-5",
        max_tokens: 100,
        system: [{ type: "text", text, cache_control: { type: "ephemeral" } }],
        messages: [{ role: "user", content: "hi" }],
      }) as unknown as Parameters<PromptCache["usage"]>[0];
    const cache = new PromptCache(() => 1_000, 1024);
    const short = request("x".repeat(1000 * 4));
    expect(cache.usage(short, 1).cache_creation_input_tokens).toBe(0);
    expect(cache.usage(short, 1).cache_read_input_tokens).toBe(0);
    const long = request("y".repeat(1100 * 4));
    expect(cache.usage(long, 1).cache_creation_input_tokens).toBe(1100);
    expect(cache.usage(long, 1).cache_read_input_tokens).toBe(1100);
  });
});

describe("cache TTL order", () => {
  it("refuses a 1h cache entry after a 5m one, as the API does, and accepts 1h before 5m", () => {
    const body = buildClassificationBody();
    const ttl = (toolTtl: "5m" | "1h", systemTtl: "5m" | "1h") => ({
      ...body,
      tools: [{ ...body.tools[0], cache_control: { type: "ephemeral", ttl: toolTtl } }],
      system: [{ ...body.system[0], cache_control: { type: "ephemeral", ttl: systemTtl } }],
    });
    const wrong = checkMessagesRequest(ttl("5m", "1h"), "2026-10-21");
    expect(wrong).toMatchObject({ ok: false, message: expect.stringContaining('"1h" cache entry must appear before') });
    expect(checkMessagesRequest(ttl("1h", "5m"), "2026-10-21").ok).toBe(true);
  });

  it("bills a prefix written at 1h before a 5m breakpoint under each TTL", () => {
    const cache = new PromptCache(clock().now);
    const body = buildClassificationBody();
    const usage = cache.usage(
      request({
        ...body,
        tools: [{ ...body.tools[0], cache_control: { type: "ephemeral", ttl: "1h" } }],
        system: [{ ...body.system[0], cache_control: { type: "ephemeral", ttl: "5m" } }],
      }),
      1,
    );
    expect(usage.cache_creation.ephemeral_1h_input_tokens).toBeGreaterThan(0);
    expect(usage.cache_creation.ephemeral_5m_input_tokens).toBeGreaterThan(0);
    expect(usage.cache_creation_input_tokens).toBe(
      usage.cache_creation.ephemeral_1h_input_tokens + usage.cache_creation.ephemeral_5m_input_tokens,
    );
  });
});
