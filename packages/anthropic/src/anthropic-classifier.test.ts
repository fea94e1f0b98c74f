import type { EngagementSignals } from "@engagement/engagement";
import {
  CLASSIFICATION_TOOL_INPUT_SCHEMA,
  CLASSIFICATION_TOOL_NAME,
  checkMemberText,
  classifyWithRules,
  ENGAGEMENT_LEVELS,
  LlmRateLimitedError,
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
    expect(Object.keys(body).sort()).toEqual(["max_tokens", "messages", "model", "stream", "system", "thinking", "tool_choice", "tools"]);
    // Streamed, so that a stuck call can be told from a long answer (see stallTimeoutMs).
    expect(body.stream).toBe(true);
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
        strict: true,
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

describe("several members per request", () => {
  /** Judged members (rubric steps 4-6) that differ, so answers can be told apart. */
  const judgedMembers = (n: number) =>
    Array.from({ length: n }, (_, i) =>
      buildSignals({
        attended30: i % 3,
        attended90: 3 + (i % 6),
        attended180: 10 + (i % 6),
        orgEvents30: 4,
        orgEvents90: 12,
        orgEvents180: 24,
        lastAttendedDaysAgo: 2 + (i % 40),
        noShows90: i % 2,
        registered90: 4 + (i % 6),
      }),
    );
  const membersOf = (body: Body) => {
    const text = body.messages.at(-1)?.content ?? "";
    return (JSON.parse(/```json\n([\s\S]*)\n```/.exec(text)?.[1] ?? "{}") as { members: { ref: string }[] }).members;
  };

  it("sends judged members K at a time with opaque refs, skips the facts-decided ones, and keeps input order", async () => {
    const list = [...judgedMembers(23), SIGNALS_BY_LEVEL.new, ...judgedMembers(22), SIGNALS_BY_LEVEL.inactive];
    const results = await classifier({ membersPerRequest: 20 }).classifyMany(list);
    expect(bodies().map((b) => membersOf(b).length)).toEqual([20, 20, 5]);
    expect(membersOf(bodies()[0] as Body).map((m) => m.ref)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i + 1}`));
    expect(results).toHaveLength(list.length);
    expect(results[23]).toMatchObject({ level: "new", source: "rules" });
    expect(results[46]).toMatchObject({ level: "inactive", source: "rules" });
    expect(results.filter((r) => r.source === "llm")).toHaveLength(45);
    // Each answer lands on its own member: the same member alone gets the same judgement.
    const alone = await classifier({ membersPerRequest: 1 }).classify(list[30] as EngagementSignals);
    expect(results[30]).toMatchObject({
      level: alone.level,
      adminExplanation: alone.adminExplanation,
      memberExplanation: alone.memberExplanation,
    });
  });

  it("asks for output tokens per member, and gives K = 1 the request of one member", async () => {
    await classifier({ membersPerRequest: 20, maxTokens: 500 }).classifyMany(judgedMembers(3));
    await classifier({ membersPerRequest: 1, maxTokens: 500 }).classifyMany(judgedMembers(2));
    expect(bodies().map((b) => b.max_tokens)).toEqual([1500, 500, 500]);
  });

  it.each([
    ["missing_item", "invalid_tool_input"],
    ["invalid_item", "invalid_tool_input"],
    ["unsafe_item", "unsafe_member_text"],
    ["unknown_ref", "invalid_tool_input"],
  ] as const)("%s: only that member is asked again, alone; the others keep the first answer", async (fault, reason) => {
    fake.fault(fault, 1);
    const failed: string[] = [];
    const results = await classifier({ membersPerRequest: 20, onAttemptFailed: (i) => failed.push(i.reason) }).classifyMany(
      judgedMembers(6),
    );
    expect(bodies().map((b) => membersOf(b).length)).toEqual([6, 1]);
    expect(failed).toEqual([reason]);
    expect(results.every((r) => r.source === "llm")).toBe(true);
    for (const r of results) expect(checkMemberText(r.memberExplanation).ok).toBe(true);
  });

  it("an item bad twice (in the request, then alone) falls back to the rules with the reason; the rest are the model's", async () => {
    fake.fault("unsafe_item", 1);
    fake.fault("unsafe_member_text", 1);
    const list = judgedMembers(4);
    const results = await classifier({ membersPerRequest: 20 }).classifyMany(list);
    const fallbacks = results.filter((r) => r.source === "fallback");
    expect(fallbacks).toHaveLength(1);
    expect(fallbacks[0]).toMatchObject({ fallbackReason: "unsafe_member_text" });
    const index = results.findIndex((r) => r.source === "fallback");
    expect(fallbacks[0]?.level).toBe(classifyWithRules(list[index] as EngagementSignals).level);
    expect(results.filter((r) => r.source === "llm")).toHaveLength(3);
  });

  it("a refusal of the whole request asks each member again alone", async () => {
    fake.fault("refusal", 1);
    const results = await classifier({ membersPerRequest: 20 }).classifyMany(judgedMembers(3));
    expect(bodies().map((b) => membersOf(b).length)).toEqual([3, 1, 1, 1]);
    expect(results.every((r) => r.source === "llm")).toBe(true);
  });

  it("the members' usage adds up to exactly what the requests used, each call counted once", async () => {
    fake.fault("missing_item", 1);
    const used: { inputTokens: number; outputTokens: number }[] = [];
    const c = classifier({ membersPerRequest: 4, onRateLimits: (l) => l.used && used.push(l.used) });
    const results = await c.classifyMany(judgedMembers(10));
    const sum = (f: (u: (typeof results)[number]["usage"]) => number) => results.reduce((n, r) => n + f(r.usage), 0);
    // 4 + 4 + 2 members, and the one whose item was missing alone again.
    expect(fake.requests).toHaveLength(4);
    expect(used).toHaveLength(4);
    expect(sum((u) => u.llmCalls)).toBe(4);
    expect(sum((u) => u.inputTokens + u.cacheWriteTokens)).toBe(used.reduce((n, u) => n + u.inputTokens, 0));
    expect(sum((u) => u.outputTokens)).toBe(used.reduce((n, u) => n + u.outputTokens, 0));
  });

  it("hands each result to onResult as it is decided, so a failure later in the call loses nothing paid for", async () => {
    // The provider admits one request: the first group is answered, the second is refused with a 429.
    const limited = await startFakeAnthropic({ apiKey: API_KEY, rateLimit: { requests: 1, windowMs: 60_000 } });
    try {
      const c = createAnthropicClassifier({ apiKey: API_KEY, baseURL: limited.url, membersPerRequest: 2 });
      const delivered: number[] = [];
      const list = [SIGNALS_BY_LEVEL.new, ...judgedMembers(4)];
      await expect(c.classifyMany(list, { onResult: (i) => delivered.push(i) })).rejects.toBeInstanceOf(LlmRateLimitedError);
      expect(delivered.sort()).toEqual([0, 1, 2]);
    } finally {
      await limited.stop();
    }
  });

  it("refuses a K outside 1 to 50", () => {
    expect(() => classifier({ membersPerRequest: 0 })).toThrow(RangeError);
    expect(() => classifier({ membersPerRequest: 51 })).toThrow(/1 to 50/);
  });
});
