import type { EngagementSignals } from "@engagement/engagement";
import {
  CLASSIFICATION_TOOL_INPUT_SCHEMA,
  CLASSIFICATION_TOOL_NAME,
  checkMemberText,
  classifyWithRules,
  ENGAGEMENT_LEVELS,
} from "@engagement/engagement";
import { buildSignals, SIGNALS_BY_LEVEL } from "@engagement/engagement/testing";
import { type FakeAnthropic, startFakeAnthropic } from "@engagement/fake-anthropic";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { type AnthropicClassifierConfig, createAnthropicClassifier } from "./anthropic-classifier.ts";

const API_KEY = "test-key";
let fake: FakeAnthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: API_KEY });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

const classifier = (config: Partial<AnthropicClassifierConfig> = {}) =>
  createAnthropicClassifier({ apiKey: API_KEY, baseURL: fake.url, ...config });

/** A member the rubric sends to the model (step 4–6). */
const judged = SIGNALS_BY_LEVEL.moderate;

type Body = Record<string, unknown> & { messages: { role: string; content: string }[] };
const bodies = () => fake.requests.map((r) => r.body as Body);

describe("request shape", () => {
  it("forces the tool, disables thinking, sends no sampling params and caches system and tool", async () => {
    await classifier({ model: "claude-haiku-5-5", maxTokens: 777 }).classify(judged);
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request?.path).toBe("/v1/messages");
    expect(request?.headers["anthropic-version"]).toBe("2026-10-21");
    const body = request?.body as Body;
    expect(Object.keys(body).sort()).toEqual(["max_tokens", "messages", "model", "system", "thinking", "tool_choice", "tools"]);
    expect(body).toMatchObject({
      model: "claude-haiku-5-5",
      max_tokens: 777,
      thinking: { type: "disabled" },
      tool_choice: { type: "tool", name: CLASSIFICATION_TOOL_NAME },
    });
    for (const param of ["temperature", "top_p", "top_k"]) expect(body).not.toHaveProperty(param);
    expect(body.system).toEqual([{ type: "text", text: expect.stringContaining("Rubric"), cache_control: { type: "ephemeral" } }]);
    expect(body.tools).toEqual([
      {
        name: CLASSIFICATION_TOOL_NAME,
        description: expect.any(String),
        input_schema: CLASSIFICATION_TOOL_INPUT_SCHEMA,
        cache_control: { type: "ephemeral" },
      },
    ]);
    expect(body.messages).toEqual([{ role: "user", content: expect.stringMatching(/^```json\n[\s\S]*\n```$/) }]);
  });

  it("defaults to claude-haiku-5-5 and 1024 max tokens", async () => {
    await classifier().classify(judged);
    expect(bodies()[0]).toMatchObject({ model: "claude-haiku-5-5", max_tokens: 1024 });
  });

  it("sends a byte-identical system prompt and tool for every member, so the prefix is cached", async () => {
    const c = classifier();
    await c.classify(judged);
    await c.classify(SIGNALS_BY_LEVEL.highly_engaged);
    const [a, b] = bodies();
    expect(JSON.stringify([a?.system, a?.tools])).toBe(JSON.stringify([b?.system, b?.tools]));
  });
});

describe("members the facts decide", () => {
  it.each(["new", "inactive"] as const)("a %s member is classified by the rules without any call", async (level) => {
    const result = await classifier().classify(SIGNALS_BY_LEVEL[level]);
    expect(result).toEqual(classifyWithRules(SIGNALS_BY_LEVEL[level]));
    expect(fake.requests).toHaveLength(0);
  });
});

describe("privacy", () => {
  /** Member rows as a repository returns them: signals plus identity, as a careless caller might pass them. */
  const rows = Array.from({ length: 12 }, (_, i) => ({
    ...buildSignals({
      attended90: 2 + (i % 5),
      attended180: 8,
      attended30: 1,
      orgEvents90: 10,
      lastAttendedDaysAgo: 5 + i * 4,
      noShows90: i % 3,
    }),
    id: `3f2b8c1e-9a4d-4e6f-8b7a-${String(100000000000 + i)}`,
    name: `Member Number${i}`,
    email: `member${i}@example.org`,
    phone: "+44 20 7946 0958",
  }));

  it("no name, email, phone or uuid appears in any request of a batch", async () => {
    const c = classifier();
    for (const row of rows) await c.classify(row);
    expect(fake.requests.length).toBeGreaterThanOrEqual(rows.length);
    const sent = JSON.stringify(fake.requests.map((r) => r.body));
    expect(sent).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    expect(sent).not.toMatch(/@example\.org/);
    expect(sent).not.toMatch(/Number\d/);
    expect(sent).not.toContain("7946");
    for (const key of ['\\"id\\"', '\\"name\\"', '\\"email\\"', '\\"phone\\"']) expect(sent).not.toContain(key);
  });
});

describe("answers", () => {
  it("uses the model's answer: source llm, model and rubric step recorded, member text safe", async () => {
    const result = await classifier().classify(judged);
    expect(result).toMatchObject({ source: "llm", model: "claude-haiku-5-5", rubricStep: "default_moderate", fallbackReason: null });
    expect(["highly_engaged", "moderate", "at_risk"]).toContain(result.level);
    expect(checkMemberText(result.memberExplanation).ok).toBe(true);
    expect(result.keyFactors.length).toBeGreaterThan(0);
    expect(result.usage.llmCalls).toBe(1);
  });

  it.each([
    ["refusal", "refusal"],
    ["malformed_tool_input", "invalid_tool_input"],
    ["text_only", "invalid_tool_input"],
    ["max_tokens", "max_tokens"],
    ["unsafe_member_text", "unsafe_member_text"],
  ] as const)("%s twice: one retry, then the rules' answer as fallback (%s)", async (fault, reason) => {
    fake.fault(fault, 2);
    const reasons: string[] = [];
    const result = await classifier({ onAttemptFailed: (i) => reasons.push(i.reason) }).classify(SIGNALS_BY_LEVEL.at_risk);
    const rules = classifyWithRules(SIGNALS_BY_LEVEL.at_risk);
    expect(fake.requests).toHaveLength(2);
    expect(result).toMatchObject({
      level: rules.level,
      source: "fallback",
      fallbackReason: reason,
      memberExplanation: rules.memberExplanation,
      adminExplanation: rules.adminExplanation,
      model: "claude-haiku-5-5",
    });
    expect(result.usage.llmCalls).toBe(2);
    expect(reasons).toEqual([reason, reason]);
  });

  it.each(["refusal", "malformed_tool_input", "unsafe_member_text", "max_tokens"] as const)(
    "%s once, then a good answer: the model's answer is used",
    async (fault) => {
      fake.fault(fault, 1);
      const result = await classifier().classify(judged);
      expect(fake.requests).toHaveLength(2);
      expect(result).toMatchObject({ source: "llm", fallbackReason: null });
      expect(result.usage.llmCalls).toBe(2);
    },
  );
});

describe("usage", () => {
  it("reports tokens per call; the second member reads the cached system and tool prefix", async () => {
    const c = classifier();
    const first = await c.classify(judged);
    const second = await c.classify(SIGNALS_BY_LEVEL.highly_engaged);
    expect(first.usage).toMatchObject({ cacheReadTokens: 0, llmCalls: 1 });
    expect(first.usage.cacheWriteTokens).toBeGreaterThan(0);
    expect(first.usage.inputTokens).toBeGreaterThan(0);
    expect(first.usage.outputTokens).toBeGreaterThan(0);
    expect(second.usage.cacheReadTokens).toBe(first.usage.cacheWriteTokens);
    expect(second.usage.cacheWriteTokens).toBe(0);
  });

  it("sums both calls of a retried classification", async () => {
    const c = classifier();
    const single = await c.classify(judged); // writes the cache, so the next two calls both read it
    fake.fault("malformed_tool_input", 1);
    const retried = await c.classify(judged);
    expect(retried.usage.llmCalls).toBe(2);
    expect(retried.usage.cacheReadTokens).toBe(2 * single.usage.cacheWriteTokens);
    expect(retried.usage.inputTokens).toBe(2 * single.usage.inputTokens);
    expect(retried.usage.outputTokens).toBeGreaterThan(single.usage.outputTokens);
  });

  it("rules results cost nothing", async () => {
    const result = await classifier().classify(SIGNALS_BY_LEVEL.new);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, llmCalls: 0 });
  });
});

describe("every level through the anthropic classifier", () => {
  it.each(ENGAGEMENT_LEVELS)("%s fixture yields a member text that passes the guard", async (level) => {
    const result = await classifier().classify(SIGNALS_BY_LEVEL[level] as EngagementSignals);
    expect(checkMemberText(result.memberExplanation).ok).toBe(true);
  });
});
