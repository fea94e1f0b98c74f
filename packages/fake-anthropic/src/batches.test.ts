import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { type FakeAnthropic, type FakeAnthropicOptions, startFakeAnthropic } from "./server.ts";
import { buildClassificationBody, buildMembers, buildMembersBody, buildSignals, SYSTEM_PROMPT } from "./test-builders.ts";

const START = 1_800_000_000_000;
let now = START;
let fake: FakeAnthropic;
let client: Anthropic;

async function start(options: FakeAnthropicOptions = {}) {
  const server = await startFakeAnthropic({ now: () => now, ...options });
  return { server, client: new Anthropic({ apiKey: "test-key", baseURL: server.url, maxRetries: 0 }) };
}

beforeAll(async () => {
  ({ server: fake, client } = await start({ batchProcessingMs: 60_000 }));
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => {
  fake.reset();
  now = START;
});

type Params = Anthropic.Messages.BatchCreateParams.Request["params"];
const requests = (n: number, params: (i: number) => Params = () => buildClassificationBody()) =>
  Array.from({ length: n }, (_, i) => ({ custom_id: `req-${i + 1}`, params: params(i) }));

async function resultsOf(id: string, c = client): Promise<Anthropic.Messages.MessageBatchIndividualResponse[]> {
  const lines: Anthropic.Messages.MessageBatchIndividualResponse[] = [];
  for await (const line of await c.messages.batches.results(id)) lines.push(line);
  return lines;
}
const byId = (lines: Anthropic.Messages.MessageBatchIndividualResponse[]) => Object.fromEntries(lines.map((l) => [l.custom_id, l.result]));
const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => e as InstanceType<typeof Anthropic.APIError>,
  );

describe("lifecycle", () => {
  it("creates a batch in progress, ends it batchProcessingMs later with counts, ended_at and results_url", async () => {
    const created = await client.messages.batches.create({ requests: requests(3) });
    expect(created).toMatchObject({
      id: expect.stringMatching(/^msgbatch_01/),
      type: "message_batch",
      processing_status: "in_progress",
      request_counts: { processing: 3, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: null,
      archived_at: null,
      cancel_initiated_at: null,
      results_url: null,
      created_at: new Date(START).toISOString(),
      expires_at: new Date(START + 24 * 3600_000).toISOString(),
    });

    now += 59_999;
    expect((await client.messages.batches.retrieve(created.id)).processing_status).toBe("in_progress");
    now += 1;
    const ended = await client.messages.batches.retrieve(created.id);
    expect(ended).toMatchObject({
      processing_status: "ended",
      request_counts: { processing: 0, succeeded: 3, errored: 0, canceled: 0, expired: 0 },
      ended_at: new Date(START + 60_000).toISOString(),
      results_url: `${fake.url}/v1/messages/batches/${created.id}/results`,
    });
  });

  it("streams one result line per request through the SDK, each a judged message with its own usage", async () => {
    const created = await client.messages.batches.create({
      requests: requests(3, (i) => buildClassificationBody(buildSignals({ attended90: i * 3 }))),
    });
    now += 60_000;
    const lines = await resultsOf(created.id);
    expect(lines.map((l) => l.custom_id).sort()).toEqual(["req-1", "req-2", "req-3"]);
    for (const line of lines) {
      expect(line.result.type).toBe("succeeded");
      const message = (line.result as Anthropic.Messages.MessageBatchSucceededResult).message;
      expect(message).toMatchObject({ type: "message", stop_reason: "tool_use", usage: { service_tier: "batch" } });
      expect(message.usage.output_tokens).toBeGreaterThan(20);
    }
    const levels = lines.map((l) => (l.result as Anthropic.Messages.MessageBatchSucceededResult).message.content[0]);
    expect(new Set(levels.map((b) => JSON.stringify((b as Anthropic.ToolUseBlock).input))).size).toBe(3);
  });

  it("ends at once on the next look when batchProcessingMs is 0", async () => {
    const { server, client: instant } = await start();
    try {
      const created = await instant.messages.batches.create({ requests: requests(2) });
      expect(created.processing_status).toBe("in_progress");
      expect(await instant.messages.batches.retrieve(created.id)).toMatchObject({
        processing_status: "ended",
        request_counts: { succeeded: 2 },
      });
    } finally {
      await server.stop();
    }
  });

  it("judges several members per batch item like a Messages request, content faults included", async () => {
    fake.setFaultMode("missing_item");
    const created = await client.messages.batches.create({
      requests: [{ custom_id: "chunk-1", params: buildMembersBody(buildMembers(4)) }],
    });
    now += 60_000;
    const lines = await resultsOf(created.id);
    expect(lines).toHaveLength(1);
    const message = (lines[0]?.result as Anthropic.Messages.MessageBatchSucceededResult | undefined)?.message;
    if (!message) throw new Error("expected a succeeded result");
    const items = ((message.content[0] as Anthropic.ToolUseBlock).input as { classifications: { ref: string }[] }).classifications;
    expect(items.map((i) => i.ref)).toEqual(["m1", "m2", "m3"]);
  });

  it("does not count batch requests against the Messages rate limit", async () => {
    const { server, client: limited } = await start({ rateLimit: { requests: 1, windowMs: 60_000 } });
    try {
      await limited.messages.create(buildClassificationBody());
      const created = await limited.messages.batches.create({ requests: requests(5) });
      expect((await limited.messages.batches.retrieve(created.id)).request_counts.succeeded).toBe(5);
      await expect(limited.messages.create(buildClassificationBody())).rejects.toBeInstanceOf(Anthropic.RateLimitError);
    } finally {
      await server.stop();
    }
  });
});

describe("cancel, delete, list", () => {
  it("cancels: canceling at once, then ended with the items due before the cancel succeeded and the rest canceled", async () => {
    const created = await client.messages.batches.create({ requests: requests(4) });
    now += 30_000;
    const canceling = await client.messages.batches.cancel(created.id);
    expect(canceling).toMatchObject({
      processing_status: "canceling",
      cancel_initiated_at: new Date(START + 30_000).toISOString(),
      request_counts: { processing: 4, canceled: 0 },
      results_url: null,
    });
    const ended = await client.messages.batches.retrieve(created.id);
    expect(ended).toMatchObject({ processing_status: "ended", request_counts: { processing: 0, succeeded: 2, canceled: 2 } });
    expect(byId(await resultsOf(created.id))).toMatchObject({
      "req-1": { type: "succeeded" },
      "req-2": { type: "succeeded" },
      "req-3": { type: "canceled" },
      "req-4": { type: "canceled" },
    });
    const again = await failure(client.messages.batches.cancel(created.id));
    expect(again).toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("deletes only an ended batch, after which it is not found", async () => {
    const created = await client.messages.batches.create({ requests: requests(1) });
    const early = await failure(client.messages.batches.delete(created.id));
    expect(early).toBeInstanceOf(Anthropic.BadRequestError);
    expect(early?.apiMessage).toMatch(/cancel/);
    now += 60_000;
    expect(await client.messages.batches.delete(created.id)).toEqual({ id: created.id, type: "message_batch_deleted" });
    expect(await failure(client.messages.batches.retrieve(created.id))).toBeInstanceOf(Anthropic.NotFoundError);
  });

  it("lists the most recent first and pages through them with the SDK", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await client.messages.batches.create({ requests: requests(1) })).id);
      now += 1_000;
    }
    const first = await client.messages.batches.list({ limit: 2 });
    expect(first.data.map((b) => b.id)).toEqual([ids[4], ids[3]]);
    expect(first.has_more).toBe(true);
    const all: string[] = [];
    for await (const batch of client.messages.batches.list({ limit: 2 })) all.push(batch.id);
    expect(all).toEqual([...ids].reverse());
  });

  it("answers 404 for an unknown batch and for results before the batch ended", async () => {
    expect(await failure(client.messages.batches.retrieve("msgbatch_nope"))).toBeInstanceOf(Anthropic.NotFoundError);
    const created = await client.messages.batches.create({ requests: requests(1) });
    // The SDK refuses before asking: no results_url yet.
    await expect(client.messages.batches.results(created.id)).rejects.toThrow(/results_url/);
    const raw = await fetch(`${fake.url}/v1/messages/batches/${created.id}/results`, {
      headers: { authorization: "Bearer test-key", "anthropic-version": "2026-10-21" },
    });
    expect(raw.status).toBe(404);
  });
});

describe("create validation", () => {
  it.each([
    ["no requests", [], "at least 1 item"],
    ["a custom_id with a space", [{ custom_id: "a b", params: buildClassificationBody() }], "requests.0.custom_id"],
    ["a custom_id of 65 characters", [{ custom_id: "x".repeat(65), params: buildClassificationBody() }], "requests.0.custom_id"],
    [
      "a duplicate custom_id",
      [
        { custom_id: "same", params: buildClassificationBody() },
        { custom_id: "same", params: buildClassificationBody() },
      ],
      'requests.1.custom_id: "same"',
    ],
  ])("answers 400 invalid_request_error for %s", async (_name, batchRequests, expected) => {
    const error = await failure(client.messages.batches.create({ requests: batchRequests }));
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error?.apiMessage).toContain(expected);
  });

  it("refuses more than 100,000 requests and accepts 100,000", async () => {
    const tiny = { model: "claude-haiku-5-5", max_tokens: 1, messages: [{ role: "user" as const, content: "x" }] };
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ custom_id: `r${i}`, params: tiny }));
    const error = await failure(client.messages.batches.create({ requests: many(100_001) }));
    expect(error?.apiMessage).toContain("at most 100000");
    expect((await client.messages.batches.create({ requests: many(100_000) })).request_counts.processing).toBe(100_000);
  });

  it("checks each params like a Messages request when the batch ends, as an errored result", async () => {
    const body = buildClassificationBody();
    // Removed from the API (and from the SDK's types) in version 2026-10-21: sent as an older client would.
    const withTemperature = { ...body, temperature: 0.5 };
    const created = await client.messages.batches.create({
      requests: [
        { custom_id: "ok", params: body },
        { custom_id: "temperature", params: withTemperature },
        { custom_id: "unknown-model", params: { ...body, model: "claude-nonexistent-1" } },
        { custom_id: "no-signals", params: { ...body, messages: [{ role: "user", content: "Classify." }] } },
      ],
    });
    expect(created.request_counts.processing).toBe(4);
    now += 60_000;
    const results = byId(await resultsOf(created.id));
    expect(results.ok?.type).toBe("succeeded");
    expect(results.temperature).toMatchObject({ type: "errored", error: { type: "error", error: { type: "invalid_request_error" } } });
    expect((results.temperature as Anthropic.Messages.MessageBatchErroredResult).error.error.message).toContain("temperature");
    expect(results["unknown-model"]).toMatchObject({ type: "errored", error: { error: { type: "not_found_error" } } });
    expect(results["no-signals"]).toMatchObject({ type: "errored", error: { error: { type: "invalid_request_error" } } });
    expect((await client.messages.batches.retrieve(created.id)).request_counts).toMatchObject({ succeeded: 1, errored: 3 });
  });
});

describe("item faults and stats", () => {
  it("applies queued item outcomes in order, then judges the rest; stats count batches, items and outcomes", async () => {
    fake.queueBatchItemOutcomes("errored", "expired", "canceled", "unsafe_item");
    const created = await client.messages.batches.create({ requests: requests(5) });
    now += 60_000;
    const results = byId(await resultsOf(created.id));
    expect(results["req-1"]).toMatchObject({ type: "errored", error: { error: { type: "api_error" } } });
    expect(results["req-2"]).toEqual({ type: "expired" });
    expect(results["req-3"]).toEqual({ type: "canceled" });
    const unsafe = (results["req-4"] as Anthropic.Messages.MessageBatchSucceededResult).message.content[0] as Anthropic.ToolUseBlock;
    expect((unsafe.input as { memberExplanation: string }).memberExplanation).toContain("at risk");
    expect(results["req-5"]?.type).toBe("succeeded");
    expect(fake.stats().batches).toEqual({ created: 1, items: 5, byOutcome: { succeeded: 2, errored: 1, expired: 1, canceled: 1 } });
  });

  it("draws errored, expired and canceled items at their rates, the same for the same seed", async () => {
    const run = async () => {
      const { server, client: c } = await start({ batchItemFaultRates: { errored: 0.1, expired: 0.05, canceled: 0.05 }, faultSeed: 3 });
      try {
        const created = await c.messages.batches.create({ requests: requests(400) });
        return { counts: (await c.messages.batches.retrieve(created.id)).request_counts, lines: byId(await resultsOf(created.id, c)) };
      } finally {
        await server.stop();
      }
    };
    const first = await run();
    const second = await run();
    const types = (lines: typeof first.lines) => Object.entries(lines).map(([id, result]) => `${id}:${result.type}`);
    expect(types(second.lines)).toEqual(types(first.lines));
    expect(first.counts.errored).toBeGreaterThan(20);
    expect(first.counts.errored).toBeLessThan(65);
    expect(first.counts.expired + first.counts.canceled).toBeGreaterThan(20);
    expect(first.counts.succeeded + first.counts.errored + first.counts.expired + first.counts.canceled).toBe(400);
  });

  it("expires the items not processed within 24 hours", async () => {
    const { server, client: slow } = await start({ batchProcessingMs: 48 * 3600_000 });
    try {
      const created = await slow.messages.batches.create({ requests: requests(4) });
      now += 24 * 3600_000;
      const ended = await slow.messages.batches.retrieve(created.id);
      expect(ended).toMatchObject({ processing_status: "ended", ended_at: ended.expires_at, request_counts: { succeeded: 2, expired: 2 } });
    } finally {
      await server.stop();
    }
  });
});

describe("prompt caching in batches", () => {
  it("writes a 1h prefix on the first item, reports it as ephemeral_1h, and reads it on the next", async () => {
    const long = `${SYSTEM_PROMPT} ${"Worked example. ".repeat(200)}`;
    const params = () => ({
      ...buildClassificationBody(),
      system: [{ type: "text" as const, text: long, cache_control: { type: "ephemeral" as const, ttl: "1h" as const } }],
      tools: buildClassificationBody().tools.map(({ cache_control: _c, ...tool }) => tool),
    });
    const created = await client.messages.batches.create({ requests: requests(2, params) });
    now += 60_000;
    const results = byId(await resultsOf(created.id));
    const usage = (id: string) => (results[id] as Anthropic.Messages.MessageBatchSucceededResult).message.usage;
    const written = usage("req-1").cache_creation_input_tokens ?? 0;
    expect(written).toBeGreaterThan(512);
    expect(usage("req-1").cache_creation).toEqual({ ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: written });
    expect(usage("req-2")).toMatchObject({ cache_read_input_tokens: written, cache_creation_input_tokens: 0 });
    // Still read in a Messages request 59 minutes later: the 1h entry outlives a 5m one.
    now += 59 * 60_000;
    const later = await client.messages.create(params());
    expect(later.usage.cache_read_input_tokens).toBe(written);
  });
});
