import type Anthropic from "@anthropic-ai/sdk";
import type { EngagementLevel, EngagementSignals } from "@engagement/engagement";
import {
  buildUserMessage,
  CLASSIFICATION_TOOL_DESCRIPTION,
  CLASSIFICATION_TOOL_INPUT_SCHEMA,
  CLASSIFICATION_TOOL_NAME,
} from "@engagement/engagement";

export type ClassificationRequest = Anthropic.Messages.MessageCreateParamsNonStreaming;

export interface ClassificationRequestInput {
  model: string;
  maxTokens: number;
  systemPrompt: string;
  signals: EngagementSignals;
  rubricSuggestion: EngagementLevel;
}

/**
 * The Messages API body (version 2026-10-21). Constraints it encodes:
 * - `tool_choice` forces our tool, which conflicts with thinking; Haiku 5.5 thinks by default, so thinking
 *   is disabled explicitly.
 * - No temperature/top_p/top_k: this API version answers them with a 400.
 * - Tools and system carry `cache_control`; the cached prefix is tools then system, identical for every
 *   member of an organisation, so only the small user turn is billed at the full rate after the first call.
 */
export function buildClassificationRequest(input: ClassificationRequestInput): ClassificationRequest {
  return {
    model: input.model,
    max_tokens: input.maxTokens,
    thinking: { type: "disabled" },
    tools: [
      {
        name: CLASSIFICATION_TOOL_NAME,
        description: CLASSIFICATION_TOOL_DESCRIPTION,
        input_schema: CLASSIFICATION_TOOL_INPUT_SCHEMA,
        cache_control: { type: "ephemeral" },
      },
    ],
    tool_choice: { type: "tool", name: CLASSIFICATION_TOOL_NAME },
    system: [{ type: "text", text: input.systemPrompt, cache_control: { type: "ephemeral" } }],
    messages: [{ role: "user", content: buildUserMessage(input.signals, input.rubricSuggestion) }],
  };
}
