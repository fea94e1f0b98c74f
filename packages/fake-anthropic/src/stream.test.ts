import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { type FakeAnthropic, startFakeAnthropic } from "./server.ts";
import { buildMembers, buildMembersBody } from "./test-builders.ts";

let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic({ slowMs: 2_000 });
  client = new Anthropic({ apiKey: "test-key", baseURL: fake.url, maxRetries: 0 });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

/** The answer without what differs between two answers to the same request (ids, cache reads). */
const comparable = (m: Anthropic.Message) => ({
  model: m.model,
  stop_reason: m.stop_reason,
  content: m.content.map((b) => (b.type === "tool_use" ? { type: b.type, name: b.name, input: b.input } : b)),
  output_tokens: m.usage.output_tokens,
});

describe("streamed answers", () => {
  it("build through the SDK the same message the non-streamed endpoint returns", async () => {
    const body = buildMembersBody(buildMembers(4));
    const plain = await client.messages.create(body);
    const streamed = await client.messages.stream(body).finalMessage();
    expect(comparable(streamed)).toEqual(comparable(plain));
    expect(streamed.usage.input_tokens + (streamed.usage.cache_read_input_tokens ?? 0)).toBe(
      plain.usage.input_tokens + (plain.usage.cache_read_input_tokens ?? 0),
    );
  });

  it("send the documented event order, tool input as input_json_delta pieces", async () => {
    const types: string[] = [];
    const stream = client.messages.stream(buildMembersBody(buildMembers(2)));
    stream.on("streamEvent", (event) => types.push(event.type));
    await stream.finalMessage();
    // The SDK drops the ping that follows message_start before it reaches listeners.
    expect(types.slice(0, 3)).toEqual(["message_start", "content_block_start", "content_block_delta"]);
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(types.filter((t) => t === "content_block_delta").length).toBeGreaterThan(1);
  });

  it("carry a refusal's stop reason and details in message_delta", async () => {
    fake.fault("refusal", 1);
    const message = await client.messages.stream(buildMembersBody(buildMembers(1))).finalMessage();
    expect(message.stop_reason).toBe("refusal");
    expect(message.stop_details).toMatchObject({ type: "refusal" });
  });

  it("stall: message_start arrives, then nothing for slowMs", async () => {
    fake.fault("stall", 1);
    const seen: { type: string; at: number }[] = [];
    const started = Date.now();
    const stream = client.messages.stream(buildMembersBody(buildMembers(1)));
    stream.on("streamEvent", (event) => seen.push({ type: event.type, at: Date.now() - started }));
    await stream.finalMessage();
    expect(seen[0]).toMatchObject({ type: "message_start" });
    expect(seen[0]?.at).toBeLessThan(500);
    expect(seen[1]?.at).toBeGreaterThanOrEqual(1_900);
  });

  it("slow: no headers before slowMs", async () => {
    fake.fault("slow", 1);
    const started = Date.now();
    const stream = client.messages.stream(buildMembersBody(buildMembers(1)));
    const connected = new Promise<number>((resolve) => stream.on("connect", () => resolve(Date.now() - started)));
    await stream.finalMessage();
    expect(await connected).toBeGreaterThanOrEqual(1_900);
  });
});
