import { describe, expect, it } from "@jest/globals";
import { CLASSIFICATION_TOOL_INPUT_SCHEMA, CLASSIFICATION_TOOL_NAME, ClassificationItem, toStrictSchema } from "./classification-tool.ts";
import { JUDGED_LEVELS } from "./levels.ts";

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  enum?: string[];
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: JsonSchema;
  description?: string;
};

const schema = CLASSIFICATION_TOOL_INPUT_SCHEMA as JsonSchema;
const list = schema.properties?.classifications ?? {};
const item = list.items ?? {};
const props = item.properties ?? {};

/**
 * A tiny validator for the subset of JSON Schema the tool uses; with it each sample is judged by the JSON
 * schema (what the model is told) and by zod (what we accept), and the verdicts must match.
 */
function jsonSchemaAccepts(s: JsonSchema, value: unknown): boolean {
  if (s.type === "object") {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    const record = value as Record<string, unknown>;
    if ((s.required ?? []).some((k) => !(k in record))) return false;
    if (s.additionalProperties === false && Object.keys(record).some((k) => !(k in (s.properties ?? {})))) return false;
    return Object.entries(s.properties ?? {}).every(([k, sub]) => !(k in record) || jsonSchemaAccepts(sub, record[k]));
  }
  if (s.type === "array") {
    if (!Array.isArray(value)) return false;
    if (s.minItems !== undefined && value.length < s.minItems) return false;
    if (s.maxItems !== undefined && value.length > s.maxItems) return false;
    return value.every((v) => (s.items ? jsonSchemaAccepts(s.items, v) : true));
  }
  if (s.type === "string") {
    if (typeof value !== "string") return false;
    if (s.enum && !s.enum.includes(value)) return false;
    if (s.minLength !== undefined && value.length < s.minLength) return false;
    return s.maxLength === undefined || value.length <= s.maxLength;
  }
  throw new Error(`validator does not handle ${JSON.stringify(s)}`);
}

const valid = {
  ref: "m1",
  level: "moderate",
  adminExplanation: "Attended 3 of 10 events in 90 days.",
  memberExplanation: "Thanks for coming along!",
  keyFactors: ["3 of 10 events"],
};

/** Every key used anywhere in a JSON schema. */
function keysOf(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(keysOf);
  if (typeof node !== "object" || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) => [k, ...keysOf(k === "properties" ? Object.values(v as object) : v)]);
}

describe("classification tool", () => {
  it("has the contract name", () => {
    expect(CLASSIFICATION_TOOL_NAME).toBe("record_engagement_classifications");
  });

  it("is an object holding a list of items, each with exactly the five required fields and no extras", () => {
    expect(schema).toMatchObject({ type: "object", required: ["classifications"], additionalProperties: false });
    expect(list).toMatchObject({ type: "array", minItems: 1 });
    expect(Object.keys(props).sort()).toEqual(["adminExplanation", "keyFactors", "level", "memberExplanation", "ref"]);
    expect([...(item.required ?? [])].sort()).toEqual(Object.keys(props).sort());
    expect(item.additionalProperties).toBe(false);
    expect(schema).not.toHaveProperty("$schema");
  });

  it("uses only what strict tool use supports: closed objects, no length bounds, minItems 0 or 1", () => {
    const keys = keysOf(schema);
    for (const unsupported of ["minLength", "maxLength", "maxItems", "minimum", "maximum"]) expect(keys).not.toContain(unsupported);
    expect(toStrictSchema({ type: "array", minItems: 3, maxItems: 5, items: { type: "object", properties: {} } })).toEqual({
      type: "array",
      minItems: 1,
      items: { type: "object", properties: {}, additionalProperties: false },
    });
  });

  it("offers the model only the judged levels, and states the limits in the descriptions", () => {
    expect(props.level?.enum).toEqual([...JUDGED_LEVELS]);
    expect(props.adminExplanation?.description).toContain("at most 600 characters");
    expect(props.memberExplanation?.description).toContain("at most 400 characters");
    expect(props.keyFactors?.description).toContain("1 to 5");
    for (const p of Object.values(props)) expect(p.description).toEqual(expect.any(String));
  });

  it.each([
    ["a valid item", valid],
    ["level new (facts-only level)", { ...valid, level: "new" }],
    ["level inactive", { ...valid, level: "inactive" }],
    ["no key factors", { ...valid, keyFactors: [] }],
    ["a missing field", { ref: "m1", level: "moderate", adminExplanation: "a", memberExplanation: "b" }],
    ["no ref", { level: "moderate", adminExplanation: "a", memberExplanation: "b", keyFactors: ["c"] }],
    ["an extra field", { ...valid, confidence: 0.9 }],
    ["a number as level", { ...valid, level: 2 }],
  ])("zod and the JSON schema agree on the shape: %s", (_name, sample) => {
    const zodStrict = ClassificationItem.strict().safeParse(sample).success;
    expect(jsonSchemaAccepts(item, sample)).toBe(zodStrict);
  });

  it.each([
    ["admin text of 601 characters", { ...valid, adminExplanation: "x".repeat(601) }],
    ["member text of 401 characters", { ...valid, memberExplanation: "x".repeat(401) }],
    ["six key factors", { ...valid, keyFactors: ["a", "b", "c", "d", "e", "f"] }],
    ["an empty member text", { ...valid, memberExplanation: "" }],
  ])("zod refuses what strict mode cannot: %s", (_name, sample) => {
    expect(jsonSchemaAccepts(item, sample)).toBe(true);
    expect(ClassificationItem.safeParse(sample).success).toBe(false);
  });

  it.each([
    ["admin text of 600 characters", { ...valid, adminExplanation: "x".repeat(600) }],
    ["member text of 400 characters", { ...valid, memberExplanation: "x".repeat(400) }],
    ["five key factors", { ...valid, keyFactors: ["a", "b", "c", "d", "e"] }],
  ])("zod accepts the limit itself: %s", (_name, sample) => {
    expect(ClassificationItem.safeParse(sample).success).toBe(true);
  });
});
