import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { CLASSIFICATION_TOOL } from "./classification-prompt.ts";
import { type FakeAnthropic, startFakeAnthropic } from "./server.ts";
import { buildClassificationBody, buildSignals, TEST_MODEL } from "./test-builders.ts";

const API_KEY = "sk-fake-server-test";
let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: API_KEY });
  client = new Anthropic({ apiKey: API_KEY, baseURL: fake.url, maxRetries: 0 });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

/** A request the SDK's types would not let through; `undefined` drops a default header. */
function rawPost(body: unknown, headers: Record<string, string | undefined> = {}): Promise<Response> {
  const merged = { authorization: `Bearer ${API_KEY}`, "anthropic-version": "2026-10-21", "content-type": "application/json", ...headers };
  const sent = Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined);
  return fetch(`${fake.url}/v1/messages`, { method: "POST", headers: sent, body: JSON.stringify(body) });
}

async function expectApiError(promise: Promise<unknown>, status: number, type: string): Promise<InstanceType<typeof Anthropic.APIError>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Anthropic.APIError);
  const apiError = error as InstanceType<typeof Anthropic.APIError>;
  expect(apiError.status).toBe(status);
  expect(apiError.type).toBe(type);
  expect(apiError.requestID).toMatch(/^req_/);
  return apiError;
}

// A system prompt well above Haiku 5.5's documented minimum cacheable prefix (512 tokens at ~4 characters each).
const longSystem = (body: ReturnType<typeof buildClassificationBody>) => ({
  ...body,
  system: body.system.map((block) => ({ ...block, text: `${block.text} ${"Worked example. ".repeat(200)}` })),
});

describe("forced classification tool", () => {
  it("answers a tool_use whose input is a complete classification, the same for the same signals", async () => {
    const body = buildClassificationBody(buildSignals({ attended90: 1, attended180: 7, lastAttendedDaysAgo: 70 }));
    const first = await client.messages.create(body);
    const second = await client.messages.create(body);

    expect(first.stop_reason).toBe("tool_use");
    const block = first.content.find((b) => b.type === "tool_use");
    expect(block).toMatchObject({ type: "tool_use", name: CLASSIFICATION_TOOL, id: expect.stringMatching(/^toolu_/) });
    const input = (block as Anthropic.ToolUseBlock).input as Record<string, unknown>;
    expect(Object.keys(input).sort()).toEqual(["adminExplanation", "keyFactors", "level", "memberExplanation"]);
    expect(input.level).toBe("at_risk");
    expect(first.id).toMatch(/^msg_/);
    expect(first.model).toBe(TEST_MODEL);
    expect(second.content.find((b) => b.type === "tool_use")).toMatchObject({ input });
  });

  it("reports the cached prefix as created on the first request and read on the next", async () => {
    const { data: first, response } = await client.messages.create(longSystem(buildClassificationBody())).withResponse();
    const second = await client.messages.create(longSystem(buildClassificationBody(buildSignals({ attended90: 6 }))));

    expect(response.headers.get("request-id")).toMatch(/^req_/);
    const created = first.usage.cache_creation_input_tokens ?? 0;
    expect(created).toBeGreaterThan(100);
    expect(first.usage.cache_read_input_tokens).toBe(0);
    expect(first.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: created, ephemeral_1h_input_tokens: 0 });
    expect(second.usage.cache_creation_input_tokens).toBe(0);
    expect(second.usage.cache_read_input_tokens).toBe(created);
    expect(second.usage.input_tokens).toBeGreaterThan(0);
    expect(second.usage.input_tokens).toBeLessThan(created);
    expect(second.usage.output_tokens).toBeGreaterThan(20);
    expect(second.usage.service_tier).toBe("standard");
  });

  it("answers plain text with end_turn when no tool is forced", async () => {
    const message = await client.messages.create({ model: TEST_MODEL, max_tokens: 200, messages: [{ role: "user", content: "Hello" }] });
    expect(message.stop_reason).toBe("end_turn");
    expect(message.content).toEqual([expect.objectContaining({ type: "text", text: expect.any(String) })]);
    expect(message.usage.cache_creation_input_tokens).toBe(0);
  });

  it("stops with max_tokens and a partial tool input when max_tokens is too small", async () => {
    const message = await client.messages.create({ ...buildClassificationBody(), max_tokens: 20 });
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(20);
    const block = message.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(block.input).not.toHaveProperty("memberExplanation");
  });
});

describe("request checks", () => {
  it.each(["temperature", "top_p", "top_k"])("rejects %s with 400 invalid_request_error", async (param) => {
    const response = await rawPost({ ...buildClassificationBody(), [param]: 1 });
    expect(response.status).toBe(400);
    expect(response.headers.get("request-id")).toMatch(/^req_/);
    const body = (await response.json()) as { type: string; error: { type: string; message: string }; request_id: string };
    expect(body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(body.error.message).toContain(param);
    expect(body.request_id).toBe(response.headers.get("request-id"));
  });

  it("rejects a wrong key with 401 authentication_error", async () => {
    const wrong = new Anthropic({ apiKey: "sk-wrong", baseURL: fake.url, maxRetries: 0 });
    const error = await expectApiError(wrong.messages.create(buildClassificationBody()), 401, "authentication_error");
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("accepts x-api-key from older clients", async () => {
    const response = await rawPost(buildClassificationBody(), { authorization: undefined, "x-api-key": API_KEY });
    expect(response.status).toBe(200);
    const wrong = await rawPost(buildClassificationBody(), { authorization: undefined, "x-api-key": "sk-wrong" });
    expect(wrong.status).toBe(401);
  });

  it("requires the anthropic-version header", async () => {
    const response = await rawPost(buildClassificationBody(), { "anthropic-version": undefined });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { message: expect.stringContaining("anthropic-version") } });
  });

  it("caches a prefix only from the model's documented minimum length: 512 tokens on Haiku 5.5, 4,096 on Haiku 4.5", async () => {
    const short = buildClassificationBody();
    await client.messages.create(short);
    const again = await client.messages.create(short);
    expect(again.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const long = longSystem(buildClassificationBody());
    await client.messages.create(long);
    expect((await client.messages.create(long)).usage.cache_read_input_tokens).toBeGreaterThan(512);
    // The same ~900-token prefix is below Haiku 4.5's minimum.
    const haiku45 = { ...long, model: "claude-haiku-4-5" };
    await client.messages.create(haiku45);
    expect((await client.messages.create(haiku45)).usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it("answers 404 not_found_error for a model it does not know, as the API does", async () => {
    const error = await expectApiError(
      client.messages.create({ ...buildClassificationBody(), model: "claude-nonexistent-1" }),
      404,
      "not_found_error",
    );
    expect(error.apiMessage).toContain("claude-nonexistent-1");
  });

  it("refuses manual extended thinking (budget_tokens) on Haiku 5.5, and thinking disabled at effort xhigh or max", async () => {
    const body = buildClassificationBody();
    const manual = await rawPost({ ...body, thinking: { type: "enabled", budget_tokens: 2048 } });
    expect(manual.status).toBe(400);
    expect(((await manual.json()) as { error: { message: string } }).error.message).toContain('"thinking.type.enabled" is not supported');
    for (const effort of ["xhigh", "max"]) {
      const res = await rawPost({ ...body, output_config: { effort } });
      expect(res.status).toBe(400);
    }
    expect((await rawPost({ ...body, output_config: { effort: "high" } })).status).toBe(200);
  });

  it("refuses thinking disabled and forced tool use on models that always think (Opus 5.5)", async () => {
    const body = { ...buildClassificationBody(), model: "claude-opus-5-5" };
    const disabled = await expectApiError(client.messages.create(body), 400, "invalid_request_error");
    expect(disabled.apiMessage).toContain('"thinking.type.disabled" is not supported for this model');
    const { thinking: _thinking, ...adaptive } = body;
    const forced = await expectApiError(client.messages.create(adaptive), 400, "invalid_request_error");
    expect(forced.apiMessage).toBe('tool_choice: type "tool" and "any" are not supported for this model.');
  });

  it("accepts forced tool use with adaptive thinking on Haiku 5.5 (documented), and refuses it with manual thinking", async () => {
    const { thinking: _thinking, ...body } = buildClassificationBody();
    expect((await client.messages.create(body)).stop_reason).toBe("tool_use");
    const manual = { ...body, model: "claude-haiku-4-5", thinking: { type: "enabled" as const, budget_tokens: 1024 } };
    const error = await expectApiError(client.messages.create(manual), 400, "invalid_request_error");
    expect(error.apiMessage).toBe("Thinking may not be enabled when tool_choice forces tool use.");
  });

  it("rejects a tool_choice naming a tool that is not in tools", async () => {
    const body = { ...buildClassificationBody(), tool_choice: { type: "tool" as const, name: "nope" } };
    const error = await expectApiError(client.messages.create(body), 400, "invalid_request_error");
    expect(error.apiMessage).toContain("nope");
  });

  it("rejects malformed shapes: no messages, a final assistant turn, max_tokens 0", async () => {
    const body = buildClassificationBody();
    await expectApiError(client.messages.create({ ...body, messages: [] }), 400, "invalid_request_error");
    const prefill = [...body.messages, { role: "assistant" as const, content: "{" }];
    await expectApiError(client.messages.create({ ...body, messages: prefill }), 400, "invalid_request_error");
    expect((await rawPost({ ...body, max_tokens: 0 })).status).toBe(400);
  });

  it("rejects a classification request without a ```json signals block", async () => {
    const body = { ...buildClassificationBody(), messages: [{ role: "user" as const, content: "Classify, please." }] };
    const error = await expectApiError(client.messages.create(body), 400, "invalid_request_error");
    expect(error.apiMessage).toMatch(/json/);
  });
});

describe("recording", () => {
  it("records each request with its parsed body and redacted credentials", async () => {
    const body = buildClassificationBody();
    await client.messages.create(body);
    await rawPost({ ...body, temperature: 0 });

    expect(fake.requests).toHaveLength(2);
    const [first] = fake.requests;
    expect(first).toMatchObject({ method: "POST", path: "/v1/messages", status: 200, body });
    expect(first?.headers.authorization).toBe("Bearer ***");
    expect(first?.headers["anthropic-version"]).toBe("2026-10-21");
    expect(JSON.stringify(fake.requests)).not.toContain(API_KEY);
    expect(fake.stats()).toMatchObject({ received: 2, answered: 2, rateLimited: 0, faulted: 0, byStatus: { 200: 1, 400: 1 } });
  });
});
