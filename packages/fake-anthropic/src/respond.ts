import { newId } from "./api-error.ts";
import {
  CLASSIFICATION_TOOL,
  type MemberPayload,
  MULTI_CLASSIFICATION_TOOL,
  readClassificationPayload,
  readMembersPayload,
} from "./classification-prompt.ts";
import type { ContentFault } from "./faults.ts";
import { classify } from "./judge.ts";
import type { MessagesRequest } from "./protocol.ts";
import { estimateTokens, type PromptCache, type Usage } from "./usage.ts";

type ContentBlock =
  | { type: "text"; text: string; citations: null }
  | { type: "tool_use"; id: string; name: string; input: unknown; caller: { type: "direct" } };

export interface MessageResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: ContentBlock[];
  stop_reason: "end_turn" | "tool_use" | "max_tokens" | "refusal";
  stop_sequence: null;
  stop_details: { type: "refusal"; category: null; explanation: string } | null;
  container: null;
  diagnostics: null;
  usage: Usage;
}

export type Reply = { ok: true; message: MessageResponse } | { ok: false; message: string };

const text = (t: string): ContentBlock => ({ type: "text", text: t, citations: null });
const toolUse = (name: string, input: unknown): ContentBlock => ({
  type: "tool_use",
  id: newId("toolu"),
  name,
  input,
  caller: { type: "direct" },
});

interface Draft {
  content: ContentBlock[];
  stop_reason: MessageResponse["stop_reason"];
  stop_details?: MessageResponse["stop_details"];
  /** What the output token count is estimated from. */
  output: string;
}

function forcedTool(request: MessagesRequest): string | null {
  const choice = request.tool_choice;
  if (choice?.type === "tool") return choice.name;
  if (choice?.type === "any") {
    const names = (request.tools ?? []).map((t) => t.name);
    return [MULTI_CLASSIFICATION_TOOL, CLASSIFICATION_TOOL].find((n) => names.includes(n)) ?? names[0] ?? null;
  }
  return null;
}

/** An object cut off mid-generation: its first key whole, the second half-written, the rest never reached. */
function truncatedObject(input: Record<string, unknown>): Record<string, unknown> {
  const partial: Record<string, unknown> = {};
  const [firstKey, secondKey] = Object.keys(input);
  if (firstKey !== undefined) partial[firstKey] = input[firstKey];
  const second = secondKey === undefined ? undefined : input[secondKey];
  if (secondKey !== undefined && typeof second === "string") partial[secondKey] = second.slice(0, Math.ceil(second.length / 2));
  return partial;
}

/**
 * A tool call cut off mid-generation, as a model stopped by max_tokens leaves it: for a list of
 * classifications, the first half of the items whole and the next one half-written.
 */
function truncated(name: string, input: Record<string, unknown>): Draft {
  const items = input.classifications;
  if (Array.isArray(items)) {
    const kept = Math.floor(items.length / 2);
    const next = items[kept] as Record<string, unknown> | undefined;
    const partial = [...items.slice(0, kept), ...(next ? [truncatedObject(next)] : [])];
    return { content: [toolUse(name, { classifications: partial })], stop_reason: "max_tokens", output: "" };
  }
  return { content: [toolUse(name, truncatedObject(input))], stop_reason: "max_tokens", output: "" };
}

const UNSAFE_MEMBER_TEXT = "Our records show you are at risk of drifting away from our events.";

/** One item per member, in request order, with the content fault applied (see faults.ts). */
function classificationsFor(members: MemberPayload[], fault: ContentFault | null): Record<string, unknown> {
  const items: Record<string, unknown>[] = members.map((m) => ({ ref: m.ref, ...classify(m.signals, m.rubricSuggestion) }));
  const last = items.length - 1;
  if (fault === "unsafe_member_text") for (const item of items) item.memberExplanation = UNSAFE_MEMBER_TEXT;
  if (fault === "unsafe_item") (items[last] as Record<string, unknown>).memberExplanation = UNSAFE_MEMBER_TEXT;
  if (fault === "invalid_item") (items[last] as Record<string, unknown>).level = "somewhat_engaged";
  if (fault === "unknown_ref") {
    const refs = new Set(members.map((m) => m.ref));
    let unknown = "m0";
    for (let n = 0; refs.has(unknown); n++) unknown = `unknown-${n}`;
    (items[last] as Record<string, unknown>).ref = unknown;
  }
  if (fault === "missing_item") items.splice(last, 1);
  // Not the schema's shape: the array under another name and items without memberExplanation or keyFactors.
  if (fault === "malformed_tool_input") {
    return { results: items.map(({ ref, level, adminExplanation }) => ({ ref, level, adminExplanation })) };
  }
  return { classifications: items };
}

function draftFor(request: MessagesRequest, fault: ContentFault | null): Draft | { error: string } {
  if (fault === "refusal") {
    const explanation = "The request was declined by the fake's scripted refusal.";
    return {
      content: [text("I'm not able to help with this request.")],
      stop_reason: "refusal",
      stop_details: { type: "refusal", category: null, explanation },
      output: explanation,
    };
  }
  const tool = forcedTool(request);
  if (tool === null || fault === "text_only") {
    const reply =
      tool === null
        ? "Hello from the fake Anthropic server. This reply is fixed text for requests that force no tool."
        : "Based on the signals, this member attends some events; I would record a classification, but answered in prose.";
    return { content: [text(reply)], stop_reason: "end_turn", output: reply };
  }
  let input: Record<string, unknown> = {};
  if (tool === MULTI_CLASSIFICATION_TOOL) {
    const payload = readMembersPayload(request.messages);
    if (!payload.ok) return { error: payload.message };
    input = classificationsFor(payload.members, fault);
  }
  if (tool === CLASSIFICATION_TOOL) {
    const payload = readClassificationPayload(request.messages);
    if (!payload.ok) return { error: payload.message };
    const c = classify(payload.payload.signals, payload.payload.rubricSuggestion);
    input = { ...c };
    if (fault === "malformed_tool_input") input = { level: "somewhat_engaged", adminExplanation: c.adminExplanation };
    if (fault === "invalid_item") input = { ...c, level: "somewhat_engaged" };
    if (fault === "unsafe_member_text" || fault === "unsafe_item") input = { ...c, memberExplanation: UNSAFE_MEMBER_TEXT };
  }
  if (fault === "max_tokens") return truncated(tool, input);
  return { content: [toolUse(tool, input)], stop_reason: "tool_use", output: JSON.stringify(input) };
}

/** Builds the model's answer; `ok: false` means the request itself is unusable (a 400). */
export function answer(
  request: MessagesRequest,
  cache: PromptCache,
  fault: ContentFault | null,
  serviceTier: Usage["service_tier"] = "standard",
): Reply {
  let draft = draftFor(request, fault);
  if ("error" in draft) return { ok: false, message: draft.error };
  let outputTokens = draft.stop_reason === "max_tokens" ? request.max_tokens : estimateTokens(draft.output.length);
  // A real model that runs out of max_tokens stops mid-answer; the fake does the same rather than overspend.
  if (outputTokens > request.max_tokens) {
    const block = draft.content[0];
    draft =
      block?.type === "tool_use"
        ? truncated(block.name, block.input as Record<string, unknown>)
        : { content: [text(draft.output.slice(0, request.max_tokens * 4))], stop_reason: "max_tokens", output: "" };
    outputTokens = request.max_tokens;
  }
  return {
    ok: true,
    message: {
      id: newId("msg"),
      type: "message",
      role: "assistant",
      model: request.model,
      content: draft.content,
      stop_reason: draft.stop_reason,
      stop_sequence: null,
      stop_details: draft.stop_details ?? null,
      container: null,
      diagnostics: null,
      usage: { ...cache.usage(request, outputTokens), service_tier: serviceTier },
    },
  };
}
