import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@jest/globals";
import { MULTI_CLASSIFICATION_TOOL } from "./classification-prompt.ts";
import { classify } from "./judge.ts";
import { deniedTermsIn } from "./member-language.ts";
import { type FakeAnthropic, startFakeAnthropic } from "./server.ts";
import { buildMembers, buildMembersBody, membersPrompt } from "./test-builders.ts";

let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ apiKey: "test-key", baseURL: fake.url, maxRetries: 0 });
});
afterAll(async () => {
  await fake.stop();
});
beforeEach(() => fake.reset());

type Item = { ref: string; level: string; adminExplanation: string; memberExplanation: string; keyFactors: string[] };
const toolInput = (message: Anthropic.Message) =>
  (message.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock | undefined)?.input as Record<string, unknown>;
const itemsOf = (message: Anthropic.Message) => toolInput(message).classifications as Item[];

describe("several members per request", () => {
  it("answers one classification per ref, each the judge's verdict for that member's signals", async () => {
    const members = buildMembers(5);
    const message = await client.messages.create(buildMembersBody(members));

    expect(message.stop_reason).toBe("tool_use");
    expect(message.content.find((b) => b.type === "tool_use")).toMatchObject({ name: MULTI_CLASSIFICATION_TOOL });
    const items = itemsOf(message);
    expect(items.map((i) => i.ref)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    for (const [i, item] of items.entries()) {
      const member = members[i] as (typeof members)[number];
      expect(item).toEqual({ ref: member.ref, ...classify(member.signals, member.rubricSuggestion) });
    }
  });

  it("estimates output tokens from the whole answer, so they grow with the number of members", async () => {
    const one = await client.messages.create(buildMembersBody(buildMembers(1)));
    const ten = await client.messages.create(buildMembersBody(buildMembers(10)));
    expect(ten.usage.output_tokens).toBeGreaterThan(5 * one.usage.output_tokens);
    expect(ten.usage.output_tokens).toBe(Math.ceil(JSON.stringify(toolInput(ten)).length / 4));
    // The contract's budget of 350 output tokens per member + 200 holds for the fake's answers.
    expect(ten.stop_reason).toBe("tool_use");
  });

  it("takes 200 members, the contract's maximum", async () => {
    // Past 21,333 max_tokens the SDK refuses a non-streaming request unless it is given a timeout of its own.
    expect(() => client.messages.create(buildMembersBody(buildMembers(200)))).toThrow(/Streaming is required/);
    const message = await client.messages.create(buildMembersBody(buildMembers(200)), { timeout: 60_000 });
    expect(itemsOf(message)).toHaveLength(200);
  });

  it.each([
    ["no members", [], "members"],
    ["201 members", buildMembers(201), "members"],
    ["a duplicate ref", [...buildMembers(2), { ...buildMembers(1)[0] }], 'duplicate ref "m1"'],
    ["a member without signals", [{ ref: "m1" }], "members.0.signals"],
    ["a negative count", [{ ref: "m1", signals: { ...buildMembers(1)[0]?.signals, attended90: -1 } }], "members.0.signals.attended90"],
  ])("answers 400 naming the problem for %s", async (_name, members, expected) => {
    const error = await client.messages.create(buildMembersBody(members as unknown[]), { timeout: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.APIError>).apiMessage).toContain(expected);
  });

  it("answers 400 when the last user message has no members block", async () => {
    const body = { ...buildMembersBody(), messages: [{ role: "user" as const, content: "Classify, please." }] };
    await expect(client.messages.create(body)).rejects.toBeInstanceOf(Anthropic.BadRequestError);
  });

  it("cuts the answer off at max_tokens with whole items first and a half-written one last", async () => {
    const body = { ...buildMembersBody(buildMembers(6)), max_tokens: 600 };
    const message = await client.messages.create(body);
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.usage.output_tokens).toBe(600);
    const items = itemsOf(message);
    expect(items).toHaveLength(4);
    expect(items.slice(0, 3).every((i) => i.keyFactors !== undefined)).toBe(true);
    expect(items[3]).not.toHaveProperty("keyFactors");
  });

  it("reads the members from the message text, whatever else the prompt says", async () => {
    const body = { ...buildMembersBody(), messages: [{ role: "user" as const, content: `Intro.\n${membersPrompt(buildMembers(2))}` }] };
    expect(itemsOf(await client.messages.create(body))).toHaveLength(2);
  });
});

describe("content faults on several members", () => {
  const classifyMembers = () => client.messages.create(buildMembersBody(buildMembers(4)));

  it("missing_item leaves the last item out and the others right", async () => {
    fake.fault("missing_item");
    expect(itemsOf(await classifyMembers()).map((i) => i.ref)).toEqual(["m1", "m2", "m3"]);
  });

  it("invalid_item gives one item the level somewhat_engaged", async () => {
    fake.fault("invalid_item");
    const levels = itemsOf(await classifyMembers()).map((i) => i.level);
    expect(levels.filter((l) => l === "somewhat_engaged")).toHaveLength(1);
    expect(levels[3]).toBe("somewhat_engaged");
  });

  it("unsafe_item makes one member text say at risk", async () => {
    fake.fault("unsafe_item");
    const unsafe = itemsOf(await classifyMembers()).filter((i) => deniedTermsIn(i.memberExplanation).length > 0);
    expect(unsafe.map((i) => i.ref)).toEqual(["m4"]);
    expect(unsafe[0]?.memberExplanation).toContain("at risk");
  });

  it("unknown_ref replaces one ref by one the request did not send", async () => {
    fake.fault("unknown_ref");
    const refs = itemsOf(await classifyMembers()).map((i) => i.ref);
    expect(refs).toHaveLength(4);
    expect(refs.slice(0, 3)).toEqual(["m1", "m2", "m3"]);
    expect(["m1", "m2", "m3", "m4"]).not.toContain(refs[3]);
  });

  it("unsafe_member_text makes every member text unsafe", async () => {
    fake.fault("unsafe_member_text");
    const items = itemsOf(await classifyMembers());
    expect(items.every((i) => deniedTermsIn(i.memberExplanation).length > 0)).toBe(true);
  });

  it("malformed_tool_input answers an input that does not match the schema", async () => {
    fake.fault("malformed_tool_input");
    const input = toolInput(await classifyMembers());
    expect(input).not.toHaveProperty("classifications");
    expect(JSON.stringify(input)).not.toContain("memberExplanation");
  });

  it("max_tokens truncates the list; refusal and text_only answer no tool call", async () => {
    fake.fault("max_tokens");
    fake.fault("refusal");
    fake.fault("text_only");
    const truncated = await classifyMembers();
    expect(truncated.stop_reason).toBe("max_tokens");
    expect(itemsOf(truncated).length).toBeLessThan(4);
    expect((await classifyMembers()).stop_reason).toBe("refusal");
    const prose = await classifyMembers();
    expect(prose.stop_reason).toBe("end_turn");
    expect(prose.content.map((b) => b.type)).toEqual(["text"]);
  });
});
