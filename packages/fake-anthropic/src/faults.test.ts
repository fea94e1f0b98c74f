import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { deniedTermsIn } from "./member-language.ts";
import { type FakeAnthropic, startFakeAnthropic } from "./server.ts";
import { buildClassificationBody } from "./test-builders.ts";

const SLOW_MS = 400;
let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic({ slowMs: SLOW_MS });
  client = new Anthropic({ apiKey: "test-key", baseURL: fake.url, maxRetries: 0 });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

const classify = () => client.messages.create(buildClassificationBody());
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
  );
const toolInput = (message: Anthropic.Message) =>
  (message.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock | undefined)?.input as Record<string, unknown> | undefined;

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("error faults", () => {
  it("overloaded answers 529 overloaded_error, which the SDK raises as OverloadedError", async () => {
    fake.fault("overloaded");
    const error = await failure(classify());
    expect(error).toBeInstanceOf(Anthropic.OverloadedError);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error).toMatchObject({ status: 529, type: "overloaded_error" });
  });

  it("server_error answers 500 api_error", async () => {
    fake.fault("server_error");
    expect(await failure(classify())).toMatchObject({ status: 500, type: "api_error" });
  });

  it("rate_limited answers 429 with a retry-after header", async () => {
    fake.fault("rate_limited");
    const error = await failure(classify());
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error.headers?.get("retry-after")).toBe("1");
    expect(fake.stats()).toMatchObject({ rateLimited: 1, faulted: 1, answered: 0 });
  });
});

describe("spend and ramp limits", () => {
  it.each([
    ["spend_limit", "enforced_spend_limit_reached", Anthropic.EnforcedSpendLimitReachedError],
    ["contract_spend_limit", "contract_spend_limit_reached", Anthropic.ContractSpendLimitReachedError],
  ] as const)("%s answers 429 rate_limit_error with details.error_code %s and no retry-after", async (kind, code, sdkClass) => {
    fake.fault(kind);
    const error = await failure(classify());
    expect(error).toBeInstanceOf(sdkClass);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(error).toMatchObject({ status: 429, type: "rate_limit_error", errorCode: code, details: { error_code: code } });
    expect(error.headers?.get("retry-after")).toBeNull();
    expect(error.requestID).toMatch(/^req_/);
  });

  it("ramp_limit answers 429 ramp_limit_exceeded with a retry-after header", async () => {
    fake.fault("ramp_limit");
    const error = await failure(classify());
    expect(error).toBeInstanceOf(Anthropic.RampLimitExceededError);
    expect(error).toMatchObject({ status: 429, errorCode: "ramp_limit_exceeded" });
    expect(error.headers?.get("retry-after")).toBe("1");
  });
});

describe("content faults", () => {
  it("malformed_tool_input returns a tool_use missing required fields with an unknown level", async () => {
    fake.fault("malformed_tool_input");
    const message = await classify();
    expect(message.stop_reason).toBe("tool_use");
    const input = toolInput(message);
    expect(input).not.toHaveProperty("memberExplanation");
    expect(input).not.toHaveProperty("keyFactors");
    expect(["highly_engaged", "moderate", "at_risk"]).not.toContain(input?.level);
  });

  it("refusal stops with refusal, stop_details and text content", async () => {
    fake.fault("refusal");
    const message = await classify();
    expect(message.stop_reason).toBe("refusal");
    expect(message.stop_details).toMatchObject({ type: "refusal" });
    expect(message.content).toEqual([expect.objectContaining({ type: "text" })]);
  });

  it("text_only answers prose with end_turn and no tool_use", async () => {
    fake.fault("text_only");
    const message = await classify();
    expect(message.stop_reason).toBe("end_turn");
    expect(message.content.map((b) => b.type)).toEqual(["text"]);
  });

  it("max_tokens stops with max_tokens and a partial tool input", async () => {
    fake.fault("max_tokens");
    const message = await classify();
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(1024);
    expect(toolInput(message)).toHaveProperty("level");
    expect(toolInput(message)).not.toHaveProperty("keyFactors");
  });

  it("unsafe_member_text returns a valid classification whose member text says at risk", async () => {
    fake.fault("unsafe_member_text");
    const input = toolInput(await classify());
    expect(Object.keys(input ?? {}).sort()).toEqual(["adminExplanation", "keyFactors", "level", "memberExplanation"]);
    expect(String(input?.memberExplanation)).toContain("at risk");
    expect(deniedTermsIn(String(input?.memberExplanation))).not.toEqual([]);
  });
});

describe("scheduling", () => {
  it("applies queued faults to the next requests in order, then answers normally", async () => {
    fake.fault("overloaded", 2);
    fake.fault("refusal");
    await expect(classify()).rejects.toBeInstanceOf(Anthropic.OverloadedError);
    await expect(classify()).rejects.toBeInstanceOf(Anthropic.OverloadedError);
    expect((await classify()).stop_reason).toBe("refusal");
    expect((await classify()).stop_reason).toBe("tool_use");
    expect(fake.stats()).toMatchObject({ faulted: 3, byStatus: { 529: 2, 200: 2 } });
    expect(fake.requests.map((r) => r.fault ?? null)).toEqual(["overloaded", "overloaded", "refusal", null]);
  });

  it("keeps a fault mode until cleared, with queued faults taking precedence", async () => {
    fake.setFaultMode("server_error");
    fake.fault("text_only");
    expect((await classify()).stop_reason).toBe("end_turn");
    await expect(classify()).rejects.toMatchObject({ status: 500 });
    await expect(classify()).rejects.toMatchObject({ status: 500 });
    fake.setFaultMode(null);
    expect((await classify()).stop_reason).toBe("tool_use");
  });

  it("reset clears queued faults and the fault mode", async () => {
    fake.fault("overloaded", 3);
    fake.setFaultMode("overloaded");
    fake.reset();
    expect((await classify()).stop_reason).toBe("tool_use");
  });
});

describe("slow", () => {
  it("delays the answer by slowMs", async () => {
    fake.fault("slow");
    const started = Date.now();
    expect((await classify()).stop_reason).toBe("tool_use");
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_MS - 20);
  });

  it("lets a client time out and counts the disconnect", async () => {
    fake.fault("slow");
    const error = await failure(client.messages.create(buildClassificationBody(), { timeout: 100 }));
    expect(error).toBeInstanceOf(Anthropic.APIConnectionTimeoutError);
    await until(() => fake.stats().disconnected === 1);
    expect(fake.requests[0]?.status).toBeUndefined();
  });

  it("does not hold up stop() while a request waits", async () => {
    const held = await startFakeAnthropic({ slowMs: 60_000 });
    held.setFaultMode("slow");
    const heldClient = new Anthropic({ apiKey: "test-key", baseURL: held.url, maxRetries: 0 });
    const pending = failure(heldClient.messages.create(buildClassificationBody()));
    await until(() => held.stats().received === 1);

    const started = Date.now();
    await held.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Anthropic.APIConnectionError);
  });
});

describe("dropped_connection", () => {
  it("cuts the socket after the headers and half the body: the client gets no answer, and the next request is served", async () => {
    fake.fault("dropped_connection");
    const error = await classify().then(
      () => null,
      (e: unknown) => e,
    );
    // fetch reads a body shorter than its content-length as "terminated" (undici), a TypeError the SDK passes on.
    expect(error).toMatchObject({ name: "TypeError", message: "terminated" });
    await until(() => fake.stats().disconnected === 1);
    expect(fake.requests[0]).toMatchObject({ fault: "dropped_connection" });
    expect(fake.requests[0]?.status).toBeUndefined();
    expect((await classify()).stop_reason).toBe("tool_use");
  });
});
