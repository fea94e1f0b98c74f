import type Anthropic from "@anthropic-ai/sdk";
import type { FallbackReason, TokenUsage } from "@engagement/engagement";
import { CLASSIFICATION_TOOL_NAME, ClassificationItem, ClassificationToolInput, checkMemberText } from "@engagement/engagement";

export type ItemOutcome = { ok: true; item: ClassificationItem } | { ok: false; reason: FallbackReason; detail: string };

/**
 * What one response means for each member of the request. A problem with the whole answer (a refusal, a cut-off,
 * no tool call) is every member's; otherwise each item is checked alone, and a member whose item is missing or
 * bad gets its own reason while the others keep their good answers.
 */
export function interpretResponse(message: Anthropic.Message, refs: readonly string[]): Map<string, ItemOutcome> {
  const whole = wholeAnswerProblem(message);
  if (whole) return new Map(refs.map((ref) => [ref, whole]));
  const toolUse = message.content.find(
    (block): block is Anthropic.ToolUseBlock => block.type === "tool_use" && block.name === CLASSIFICATION_TOOL_NAME,
  ) as Anthropic.ToolUseBlock;
  const envelope = ClassificationToolInput.safeParse(toolUse.input);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const bad: ItemOutcome = {
      ok: false,
      reason: "invalid_tool_input",
      detail: `${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    };
    return new Map(refs.map((ref) => [ref, bad]));
  }
  const wanted = new Set(refs);
  const outcomes = new Map<string, ItemOutcome>();
  envelope.data.classifications.forEach((raw, index) => {
    const ref = typeof raw === "object" && raw !== null ? (raw as { ref?: unknown }).ref : undefined;
    // An item for a member not in this request, or a second item for one, is not trusted for anyone.
    if (typeof ref !== "string" || !wanted.has(ref)) return;
    if (outcomes.has(ref)) {
      outcomes.set(ref, { ok: false, reason: "invalid_tool_input", detail: `classifications: ref ${ref} answered twice` });
      return;
    }
    outcomes.set(ref, checkItem(raw, index));
  });
  for (const ref of refs) {
    if (!outcomes.has(ref))
      outcomes.set(ref, { ok: false, reason: "invalid_tool_input", detail: `classifications: no item for ref ${ref}` });
  }
  return outcomes;
}

function wholeAnswerProblem(message: Anthropic.Message): ItemOutcome | null {
  if (message.stop_reason === "refusal") {
    return { ok: false, reason: "refusal", detail: message.stop_details?.explanation ?? "the model declined" };
  }
  // A tool call cut off by max_tokens has incomplete input even if it happens to parse.
  if (message.stop_reason === "max_tokens") {
    return { ok: false, reason: "max_tokens", detail: "the answer was cut off at max_tokens" };
  }
  // By type and name, never by position: the content may start with a thinking or text block.
  const toolUse = message.content.some((block) => block.type === "tool_use" && block.name === CLASSIFICATION_TOOL_NAME);
  return toolUse ? null : { ok: false, reason: "invalid_tool_input", detail: `no ${CLASSIFICATION_TOOL_NAME} tool_use block` };
}

function checkItem(raw: unknown, index: number): ItemOutcome {
  const parsed = ClassificationItem.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      reason: "invalid_tool_input",
      detail: `classifications.${index}.${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
    };
  }
  const guard = checkMemberText(parsed.data.memberExplanation);
  if (!guard.ok) {
    return { ok: false, reason: "unsafe_member_text", detail: `memberExplanation uses: ${guard.offending.join(", ")}` };
  }
  return { ok: true, item: parsed.data };
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

/**
 * One request's usage shared among the members it served, so that summing members gives the request's totals
 * exactly: tokens split evenly with the remainder on the first members, and the call counted once, on the first.
 */
export function splitUsage(usage: TokenUsage, parts: number): TokenUsage[] {
  const share = (total: number, i: number) => Math.floor(total / parts) + (i < total % parts ? 1 : 0);
  return Array.from({ length: parts }, (_, i) => ({
    inputTokens: share(usage.inputTokens, i),
    outputTokens: share(usage.outputTokens, i),
    cacheReadTokens: share(usage.cacheReadTokens, i),
    cacheWriteTokens: share(usage.cacheWriteTokens, i),
    llmCalls: share(usage.llmCalls, i),
  }));
}
