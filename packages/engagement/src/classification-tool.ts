import { z } from "zod";
import { JUDGED_LEVELS } from "./levels.ts";
import { ADMIN_EXPLANATION_MAX, KEY_FACTOR_MAX, KEY_FACTORS_MAX_COUNT, MEMBER_EXPLANATION_MAX } from "./templates.ts";

/** Stored with no result, but the fake server and logs key on it: renaming it changes the wire contract. */
export const CLASSIFICATION_TOOL_NAME = "record_engagement_classification";

/**
 * The single definition of what the model must return. The tool's JSON `input_schema` is generated from
 * this schema, so the shape the model is told and the shape we accept cannot drift apart.
 */
export const ClassificationToolInput = z.object({
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
    .describe(`1 to ${KEY_FACTORS_MAX_COUNT} short facts, most decisive first, for staff.`),
});
export type ClassificationToolInput = z.infer<typeof ClassificationToolInput>;

/** JSON Schema for the tool, derived from the zod schema; `$schema` is dropped as the API does not need it. */
function toInputSchema(): { type: "object"; [key: string]: unknown } {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(ClassificationToolInput);
  if (schema.type !== "object") throw new Error("classification tool schema must be an object schema");
  return { ...schema, type: "object" };
}

export const CLASSIFICATION_TOOL_INPUT_SCHEMA = Object.freeze(toInputSchema());

export const CLASSIFICATION_TOOL_DESCRIPTION =
  "Record the engagement classification of one member of one organisation, with an explanation for staff and a separate, kind message for the member.";
