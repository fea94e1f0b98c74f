import { z } from "zod";
import {
  FORCED_TOOL_NOT_SUPPORTED,
  FORCED_TOOL_WITH_MANUAL_THINKING,
  HIGH_EFFORTS,
  type ModelCapabilities,
  modelCapabilities,
  THINKING_NOT_SUPPORTED,
} from "./models.ts";
import { strictToolsProblem } from "./strict-schema.ts";

/**
 * The part of the Messages API request (version 2026-10-21) the fake checks. Objects are loose because the
 * real API accepts many optional fields the fake has no use for (metadata, output_config, service_tier, ...);
 * rejecting them would make the fake stricter than the service it stands in for.
 */

export const CacheControl = z.object({
  type: z.literal("ephemeral"),
  ttl: z.enum(["5m", "1h"]).optional(),
});
export type CacheControl = z.infer<typeof CacheControl>;

const TextBlock = z.looseObject({
  type: z.literal("text"),
  text: z.string(),
  cache_control: CacheControl.nullish(),
});

const ContentBlock = z.looseObject({ type: z.string(), cache_control: CacheControl.nullish() });

const MessageParam = z.object({
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(ContentBlock).min(1)]),
});
export type MessageParam = z.infer<typeof MessageParam>;

const Tool = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.looseObject({ type: z.literal("object") }),
  cache_control: CacheControl.nullish(),
  strict: z.boolean().optional(),
});
export type Tool = z.infer<typeof Tool>;

const ToolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("any"), disable_parallel_tool_use: z.boolean().optional() }),
  z.object({ type: z.literal("none") }),
  z.object({ type: z.literal("tool"), name: z.string().min(1), disable_parallel_tool_use: z.boolean().optional() }),
]);
export type ToolChoice = z.infer<typeof ToolChoice>;

const Thinking = z.discriminatedUnion("type", [
  z.object({ type: z.literal("enabled"), budget_tokens: z.number().int().min(1024), display: z.string().nullish() }),
  z.object({ type: z.literal("disabled") }),
  z.object({ type: z.literal("between_tools") }),
  z.object({ type: z.literal("adaptive"), display: z.enum(["summarized", "omitted"]).nullish() }),
]);

export const MessagesRequest = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().positive(),
  messages: z
    .array(MessageParam)
    .min(1, "at least one message is required")
    .refine((m) => m.at(-1)?.role === "user", "the final message must have role `user`"),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  tools: z.array(Tool).optional(),
  tool_choice: ToolChoice.optional(),
  thinking: Thinking.optional(),
  output_config: z.looseObject({ effort: z.enum(["low", "medium", "high", "xhigh", "max"]).optional() }).optional(),
  stream: z.boolean().optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

/**
 * "Cache entries with longer TTL must appear before shorter TTLs (that is, a 1-hour cache entry must appear before
 * any 5-minute cache entries)" (prompt caching page, "Mixing different TTLs"), in the cache's order: tools, system,
 * messages.
 */
function cacheTtlOrderProblem(request: MessagesRequest): string | null {
  const marks: (CacheControl | null | undefined)[] = [
    ...(request.tools ?? []).map((t) => t.cache_control),
    ...(Array.isArray(request.system) ? request.system.map((b) => b.cache_control) : []),
    ...request.messages.flatMap((m) => (typeof m.content === "string" ? [] : m.content.map((b) => b.cache_control))),
  ];
  let seenFiveMinutes = false;
  for (const mark of marks) {
    if (!mark) continue;
    const ttl = mark.ttl ?? "5m";
    if (ttl === "1h" && seenFiveMinutes) {
      return 'cache_control: a "1h" cache entry must appear before any "5m" cache entries (longer TTLs first)';
    }
    if (ttl === "5m") seenFiveMinutes = true;
  }
  return null;
}

/** Sampling parameters the 2026-10-21 API version answers with a 400, even at their default values. */
export const REMOVED_SAMPLING_PARAMS = ["temperature", "top_p", "top_k"] as const;
const SAMPLING_REMOVED_SINCE = "2026-10-21";

export type RequestCheck =
  | { ok: true; request: MessagesRequest; model: ModelCapabilities }
  | { ok: false; message: string; type?: "not_found_error" };

/** Checks a parsed JSON body the way the real endpoint would, returning the first problem as its message. */
export function checkMessagesRequest(body: unknown, apiVersion: string): RequestCheck {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: "request body must be a JSON object" };
  }
  // Dates in YYYY-MM-DD order compare correctly as strings.
  if (apiVersion >= SAMPLING_REMOVED_SINCE) {
    const sent = REMOVED_SAMPLING_PARAMS.find((p) => p in body);
    if (sent) return { ok: false, message: `${sent}: Extra inputs are not permitted` };
  }
  const parsed = MessagesRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return { ok: false, message: `${where}${issue?.message ?? "invalid request"}` };
  }
  const request = parsed.data;
  const strictProblem = strictToolsProblem(request.tools ?? []);
  if (strictProblem) return { ok: false, message: strictProblem };
  const ttlProblem = cacheTtlOrderProblem(request);
  if (ttlProblem) return { ok: false, message: ttlProblem };
  const model = modelCapabilities(request.model);
  if (!model) return { ok: false, type: "not_found_error", message: `model: ${request.model}` };
  const thinking = request.thinking?.type ?? (model.defaultThinking === "adaptive" ? "adaptive" : "disabled");
  const effort = request.output_config?.effort ?? "medium";
  if (request.thinking?.type === "enabled" && !model.manualThinking) return { ok: false, message: THINKING_NOT_SUPPORTED("enabled") };
  if (request.thinking?.type === "disabled") {
    if (model.disableThinking === "never") return { ok: false, message: THINKING_NOT_SUPPORTED("disabled") };
    if (model.disableThinking === "up_to_high" && (HIGH_EFFORTS as readonly string[]).includes(effort)) {
      return { ok: false, message: `thinking: {"type": "disabled"} is not supported at effort "${effort}"; use adaptive thinking` };
    }
  }
  const choice = request.tool_choice;
  if (choice && (choice.type === "tool" || choice.type === "any")) {
    if (!model.forcedToolChoice) return { ok: false, message: FORCED_TOOL_NOT_SUPPORTED };
    if (thinking === "enabled") return { ok: false, message: FORCED_TOOL_WITH_MANUAL_THINKING };
    const names = (request.tools ?? []).map((t) => t.name);
    if (choice.type === "any" && names.length === 0) {
      return { ok: false, message: 'tool_choice: type "any" requires at least one tool in `tools`' };
    }
    if (choice.type === "tool" && !names.includes(choice.name)) {
      return { ok: false, message: `tool_choice: tool "${choice.name}" is not defined in \`tools\`` };
    }
  }
  return { ok: true, request, model };
}
