import type Anthropic from "@anthropic-ai/sdk";
import type { FallbackReason, TokenUsage } from "@engagement/engagement";
import { CLASSIFICATION_TOOL_NAME, ClassificationToolInput, checkMemberText } from "@engagement/engagement";

export type ResponseOutcome = { ok: true; input: ClassificationToolInput } | { ok: false; reason: FallbackReason; detail: string };

/** What one response means for the classification; content problems become a reason, never a throw. */
export function interpretResponse(message: Anthropic.Message): ResponseOutcome {
  if (message.stop_reason === "refusal") {
    return { ok: false, reason: "refusal", detail: message.stop_details?.explanation ?? "the model declined" };
  }
  // A tool call cut off by max_tokens has incomplete input even if it happens to parse.
  if (message.stop_reason === "max_tokens") {
    return { ok: false, reason: "max_tokens", detail: "the answer was cut off at max_tokens" };
  }
  // By type and name, never by position: the content may start with a thinking or text block.
  const toolUse = message.content.find(
    (block): block is Anthropic.ToolUseBlock => block.type === "tool_use" && block.name === CLASSIFICATION_TOOL_NAME,
  );
  if (!toolUse) {
    return { ok: false, reason: "invalid_tool_input", detail: `no ${CLASSIFICATION_TOOL_NAME} tool_use block` };
  }
  const parsed = ClassificationToolInput.safeParse(toolUse.input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: "invalid_tool_input", detail: `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}` };
  }
  const guard = checkMemberText(parsed.data.memberExplanation);
  if (!guard.ok) {
    return { ok: false, reason: "unsafe_member_text", detail: `memberExplanation uses: ${guard.offending.join(", ")}` };
  }
  return { ok: true, input: parsed.data };
}

/** Token counts for one call; the cache fields are nullable in the API, and a missing count costs nothing. */
export function usageOf(message: Pick<Anthropic.Message, "usage">): TokenUsage {
  const u = message.usage as Partial<Anthropic.Usage> | undefined;
  return {
    inputTokens: u?.input_tokens ?? 0,
    outputTokens: u?.output_tokens ?? 0,
    cacheReadTokens: u?.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u?.cache_creation_input_tokens ?? 0,
    llmCalls: 1,
  };
}
