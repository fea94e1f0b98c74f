import type Anthropic from "@anthropic-ai/sdk";
import type { RequestMember } from "@engagement/engagement";
import {
  buildUserMessage,
  CLASSIFICATION_TOOL_DESCRIPTION,
  CLASSIFICATION_TOOL_INPUT_SCHEMA,
  CLASSIFICATION_TOOL_NAME,
} from "@engagement/engagement";

export type ClassificationRequest = Anthropic.Messages.MessageCreateParamsNonStreaming;

/**
 * The most output tokens one request asks for, whatever the number of members: a cap well inside what current
 * models can write, so a large K cannot produce a request the API refuses.
 */
export const MAX_REQUEST_OUTPUT_TOKENS = 32_000;

export interface ClassificationRequestInput {
  model: string;
  /** Output tokens per member: the request's max_tokens grows with the members it carries. */
  maxTokensPerMember: number;
  systemPrompt: string;
  members: readonly RequestMember[];
  /**
   * The prompt cache's lifetime: "5m" (the default) for real-time calls a few seconds apart, "1h" for Message
   * Batches, whose requests may be processed far apart (a 1-hour write costs more, read once it pays back).
   */
  cacheTtl?: "5m" | "1h";
}

/**
 * The Messages API body (version 2026-10-21). Constraints it encodes:
 * - `tool_choice` forces our tool, which conflicts with thinking; Haiku 5.5 thinks by default, so thinking
 *   is disabled explicitly.
 * - `strict: true` (strict tool use): the answer matches the schema by construction; the lengths strict mode
 *   cannot enforce are checked item by item when the answer is read.
 * - No temperature/top_p/top_k: this API version answers them with a 400.
 * - Tools and system carry `cache_control`; the cached prefix is tools then system, identical for every
 *   request of a deployment's thresholds, so only the small user turn is billed at the full rate.
 */
export function buildClassificationRequest(input: ClassificationRequestInput): ClassificationRequest {
  const cacheControl = input.cacheTtl === "1h" ? ({ type: "ephemeral", ttl: "1h" } as const) : ({ type: "ephemeral" } as const);
  return {
    model: input.model,
    max_tokens: Math.min(MAX_REQUEST_OUTPUT_TOKENS, input.maxTokensPerMember * Math.max(1, input.members.length)),
    thinking: { type: "disabled" },
    tools: [
      {
        name: CLASSIFICATION_TOOL_NAME,
        description: CLASSIFICATION_TOOL_DESCRIPTION,
        input_schema: CLASSIFICATION_TOOL_INPUT_SCHEMA,
        strict: true,
        cache_control: cacheControl,
      },
    ],
    tool_choice: { type: "tool", name: CLASSIFICATION_TOOL_NAME },
    system: [{ type: "text", text: input.systemPrompt, cache_control: cacheControl }],
    messages: [{ role: "user", content: buildUserMessage(input.members) }],
  };
}
