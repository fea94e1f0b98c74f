import { describe, expect, it } from "@jest/globals";
import { z } from "zod";
import { CLASSIFICATION_TOOL_INPUT_SCHEMA, CLASSIFICATION_TOOL_NAME, ClassificationToolInput } from "./classification-tool.ts";
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
const props = schema.properties ?? {};

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
  level: "moderate",
  adminExplanation: "Attended 3 of 10 events in 90 days.",
  memberExplanation: "Thanks for coming along!",
  keyFactors: ["3 of 10 events"],
};

describe("classification tool", () => {
  it("has the contract name", () => {
    expect(CLASSIFICATION_TOOL_NAME).toBe("record_engagement_classification");
  });

  it("JSON schema is an object schema with exactly the four required fields and no extras", () => {
    expect(schema.type).toBe("object");
    expect(Object.keys(props).sort()).toEqual(["adminExplanation", "keyFactors", "level", "memberExplanation"]);
    expect([...(schema.required ?? [])].sort()).toEqual(Object.keys(props).sort());
    expect(schema.additionalProperties).toBe(false);
    expect(schema).not.toHaveProperty("$schema");
  });

  it("offers the model only the judged levels, and states the limits", () => {
    expect(props.level?.enum).toEqual([...JUDGED_LEVELS]);
    expect(props.adminExplanation?.maxLength).toBe(600);
    expect(props.memberExplanation?.maxLength).toBe(400);
    expect(props.keyFactors).toMatchObject({ minItems: 1, maxItems: 5 });
    for (const p of Object.values(props)) expect(p.description).toEqual(expect.any(String));
  });

  it("is the zod schema's own JSON form, so the two cannot drift", () => {
    const { $schema: _ignored, ...fromZod } = z.toJSONSchema(ClassificationToolInput);
    expect(CLASSIFICATION_TOOL_INPUT_SCHEMA).toEqual(fromZod);
  });

  it.each([
    ["a valid answer", valid],
    ["level new (facts-only level)", { ...valid, level: "new" }],
    ["level inactive", { ...valid, level: "inactive" }],
    ["admin text of 601 characters", { ...valid, adminExplanation: "x".repeat(601) }],
    ["admin text of 600 characters", { ...valid, adminExplanation: "x".repeat(600) }],
    ["member text of 401 characters", { ...valid, memberExplanation: "x".repeat(401) }],
    ["member text of 400 characters", { ...valid, memberExplanation: "x".repeat(400) }],
    ["no key factors", { ...valid, keyFactors: [] }],
    ["six key factors", { ...valid, keyFactors: ["a", "b", "c", "d", "e", "f"] }],
    ["five key factors", { ...valid, keyFactors: ["a", "b", "c", "d", "e"] }],
    ["a missing field", { level: "moderate", adminExplanation: "a", memberExplanation: "b" }],
    ["an extra field", { ...valid, confidence: 0.9 }],
    ["a number as level", { ...valid, level: 2 }],
    ["empty member text", { ...valid, memberExplanation: "" }],
  ])("zod and the JSON schema agree on %s", (_name, sample) => {
    const zodStrict = ClassificationToolInput.strict().safeParse(sample).success;
    expect(jsonSchemaAccepts(schema, sample)).toBe(zodStrict);
  });

  it("zod accepts a valid answer and rejects an out-of-range level", () => {
    expect(ClassificationToolInput.safeParse(valid).success).toBe(true);
    expect(ClassificationToolInput.safeParse({ ...valid, level: "new" }).success).toBe(false);
  });
});
