import { z } from "zod";
import { JUDGED_LEVELS } from "./levels.ts";
import { ADMIN_EXPLANATION_MAX, KEY_FACTOR_MAX, KEY_FACTORS_MAX_COUNT, MEMBER_EXPLANATION_MAX } from "./templates.ts";

/** Stored with no result, but the fake server and logs key on it: renaming it changes the wire contract. */
export const CLASSIFICATION_TOOL_NAME = "record_engagement_classifications";

/** Members one request may carry: the user turn and the answer grow with it, and one bad answer costs them all a retry. */
export const MAX_MEMBERS_PER_REQUEST = 50;

/**
 * The reference of the i-th member (0-based) of one request. Opaque and per request: the model never sees a
 * user id, and the same ref names different members in different requests.
 */
export const memberRef = (index: number) => `m${index + 1}`;

/**
 * One member's answer, checked on its own: a bad item costs that member a retry, not the whole request.
 * The lengths are enforced here because strict tool use cannot enforce them (see toStrictSchema).
 */
export const ClassificationItem = z.object({
  ref: z.string().min(1).max(16).describe('The ref of the member this item is about, exactly as given (for example "m3").'),
  level: z.enum(JUDGED_LEVELS).describe("The engagement level. new and inactive are decided by rules and are never yours to choose."),
  adminExplanation: z
    .string()
    .min(1)
    .max(ADMIN_EXPLANATION_MAX)
    .describe(
      `For organisation staff, at most ${ADMIN_EXPLANATION_MAX} characters. Cite the numbers behind the decision; if you depart from the rubric suggestion, say why.`,
    ),
  memberExplanation: z
    .string()
    .min(1)
    .max(MEMBER_EXPLANATION_MAX)
    .describe(
      `Shown to the member, at most ${MEMBER_EXPLANATION_MAX} characters. Warm, encouraging, second person ("you"). Never mention risk, levels, scores, decline or inactivity.`,
    ),
  keyFactors: z
    .array(z.string().min(1).max(KEY_FACTOR_MAX))
    .min(1)
    .max(KEY_FACTORS_MAX_COUNT)
    .describe(`1 to ${KEY_FACTORS_MAX_COUNT} short facts, most decisive first, for staff, each at most ${KEY_FACTOR_MAX} characters.`),
});
export type ClassificationItem = z.infer<typeof ClassificationItem>;

/** What the tool is told to return: one item per member of the request. */
const ClassificationToolWire = z.object({
  classifications: z
    .array(ClassificationItem)
    .min(1)
    .describe("One item per member of the request, each with the member's ref; every ref exactly once."),
});

/**
 * What the answer is first parsed as: the envelope only. Items are parsed one by one with ClassificationItem,
 * so one malformed item does not discard the good ones beside it.
 */
export const ClassificationToolInput = z.object({ classifications: z.array(z.unknown()) });
export type ClassificationToolInput = z.infer<typeof ClassificationToolInput>;

// Keywords strict tool use does not support (platform documentation, Structured outputs: JSON Schema
// limitations): string and array bounds and numeric ranges. minItems is allowed only as 0 or 1.
const UNSUPPORTED_IN_STRICT = [
  "minLength",
  "maxLength",
  "maxItems",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
];

/**
 * A JSON Schema strict tool use accepts: every object closed (additionalProperties false, which strict mode
 * requires), and the bounds it cannot enforce removed. Those bounds stay in the descriptions, which tell the
 * model, and in the zod schema, which checks the answer.
 */
export function toStrictSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toStrictSchema);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema" || UNSUPPORTED_IN_STRICT.includes(key)) continue;
    if (key === "minItems") {
      out[key] = Math.min(Number(value), 1);
      continue;
    }
    out[key] =
      key === "properties"
        ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, toStrictSchema(v)]))
        : toStrictSchema(value);
  }
  if (out.type === "object") out.additionalProperties = false;
  return out;
}

function toInputSchema(): { type: "object"; [key: string]: unknown } {
  const schema = toStrictSchema(z.toJSONSchema(ClassificationToolWire)) as Record<string, unknown>;
  if (schema.type !== "object") throw new Error("classification tool schema must be an object schema");
  return { ...schema, type: "object" };
}

export const CLASSIFICATION_TOOL_INPUT_SCHEMA = Object.freeze(toInputSchema());

export const CLASSIFICATION_TOOL_DESCRIPTION =
  "Record the engagement classification of each member in the request (one item per member, keyed by the member's ref), with an explanation for staff and a separate, kind message for the member.";
