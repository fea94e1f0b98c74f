import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { type FakeAnthropic, startFakeAnthropic } from "./server.ts";
import { strictToolsProblem } from "./strict-schema.ts";
import { buildClassificationBody, buildMembersBody, MULTI_INPUT_SCHEMA } from "./test-builders.ts";

let fake: FakeAnthropic;
let client: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  client = new Anthropic({ apiKey: "test-key", baseURL: fake.url, maxRetries: 0 });
});
afterAll(async () => {
  await fake.stop();
});

/** The contract's schema with one item property replaced. */
function withItemProperty(name: string, schema: Record<string, unknown>) {
  const items = MULTI_INPUT_SCHEMA.properties.classifications.items;
  return {
    ...MULTI_INPUT_SCHEMA,
    properties: {
      classifications: {
        ...MULTI_INPUT_SCHEMA.properties.classifications,
        items: { ...items, properties: { ...items.properties, [name]: schema } },
      },
    },
  };
}
const ITEM = "tools.0.input_schema.properties.classifications.items.properties";

describe("strict tool use", () => {
  it("accepts the contract's strict schema and answers through it", async () => {
    const message = await client.messages.create(buildMembersBody());
    expect(message.stop_reason).toBe("tool_use");
  });

  it.each([
    ["minLength", { type: "string", minLength: 1 }, `${ITEM}.ref: "minLength"`],
    ["maxLength", { type: "string", maxLength: 600 }, `${ITEM}.adminExplanation: "maxLength"`],
    ["maxItems", { type: "array", maxItems: 4, items: { type: "string" } }, `${ITEM}.keyFactors: "maxItems"`],
    ["minItems 2", { type: "array", minItems: 2, items: { type: "string" } }, `${ITEM}.keyFactors: "minItems" of 2`],
    ["a numeric bound", { type: "integer", minimum: 0 }, `${ITEM}.weight: "minimum"`],
    [
      "an open object",
      { type: "object", properties: { a: { type: "string" } } },
      `${ITEM}.extra: "additionalProperties" must be set to false`,
    ],
  ])("answers 400 invalid_request_error naming the keyword and path for %s", async (_name, property, expected) => {
    const propertyName = expected.slice(ITEM.length + 1).split(":")[0] as string;
    const body = buildMembersBody();
    const tools = [{ ...body.tools[0], input_schema: withItemProperty(propertyName, property) }];
    const error = (await client.messages.create({ ...body, tools } as typeof body).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect(error.type).toBe("invalid_request_error");
    expect(error.apiMessage).toContain(expected);
  });

  it("checks only tools that set strict: true", async () => {
    const body = buildMembersBody();
    const loose = { ...body.tools[0], strict: false, input_schema: withItemProperty("ref", { type: "string", minLength: 1 }) };
    await expect(client.messages.create({ ...body, tools: [loose] } as typeof body)).resolves.toMatchObject({ stop_reason: "tool_use" });
    // The one-member request's tool is not strict and has an open object: still accepted.
    await expect(client.messages.create(buildClassificationBody())).resolves.toMatchObject({ stop_reason: "tool_use" });
  });
});

describe("strictToolsProblem", () => {
  const strictTool = (input_schema: Record<string, unknown>) => ({ strict: true, input_schema });

  it("finds problems nested in arrays, anyOf and $defs, and refuses external $ref and object enums", () => {
    expect(strictToolsProblem([strictTool({ ...MULTI_INPUT_SCHEMA, $defs: { n: { type: "number", multipleOf: 2 } } })])).toBe(
      'tools.0.input_schema.$defs.n: "multipleOf" is not supported with strict tool use',
    );
    const anyOf = {
      type: "object",
      additionalProperties: false,
      properties: { v: { anyOf: [{ type: "string", maxLength: 3 }, { type: "null" }] } },
    };
    expect(strictToolsProblem([strictTool(anyOf)])).toContain('properties.v.anyOf.0: "maxLength"');
    const external = { type: "object", additionalProperties: false, properties: { v: { $ref: "https://example.com/s.json" } } };
    expect(strictToolsProblem([strictTool(external)])).toContain('external "$ref"');
    const objectEnum = { type: "object", additionalProperties: false, properties: { v: { enum: [{ a: 1 }] } } };
    expect(strictToolsProblem([strictTool(objectEnum)])).toContain('"enum" values');
    expect(strictToolsProblem([strictTool(MULTI_INPUT_SCHEMA)])).toBeNull();
  });

  it("enforces the documented limits: 20 strict tools, 24 optional and 16 union parameters in all", () => {
    const tiny = { type: "object", additionalProperties: false, properties: {} };
    expect(strictToolsProblem(Array.from({ length: 20 }, () => strictTool(tiny)))).toBeNull();
    expect(strictToolsProblem(Array.from({ length: 21 }, () => strictTool(tiny)))).toContain("at most 20");
    const optional = (n: number) => ({
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, { type: ["string", "null"] }])),
    });
    expect(strictToolsProblem([strictTool(optional(13)), strictTool(optional(12))])).toContain("at most 24 optional");
    const unions = { ...optional(17), required: Array.from({ length: 17 }, (_, i) => `p${i}`) };
    expect(strictToolsProblem([strictTool(unions)])).toContain("at most 16 parameters with union types");
  });
});
