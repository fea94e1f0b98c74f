import { z } from "zod";
import type { MessageParam } from "./protocol.ts";

/** The tool whose forced use makes the fake act as the engagement judge. */
export const CLASSIFICATION_TOOL = "record_engagement_classification";

const count = z.number().int().min(0);

/**
 * The fake's own reading of the signals block. It is deliberately independent of the project's schema so a
 * change there shows up as a failing test instead of being silently mirrored.
 */
export const JudgeSignals = z.object({
  tenureDays: count,
  orgEvents30: count,
  orgEvents90: count,
  orgEvents180: count,
  attended30: count,
  attended90: count,
  attended180: count,
  registered90: count,
  noShows90: count,
  upcomingRegistrations: count,
  lastAttendedDaysAgo: count.nullable(),
  previousLevel: z.string().nullable(),
});
export type JudgeSignals = z.infer<typeof JudgeSignals>;

const PromptPayload = z.object({ signals: JudgeSignals, rubricSuggestion: z.string().optional() });
export type PromptPayload = z.infer<typeof PromptPayload>;

export type PayloadResult = { ok: true; payload: PromptPayload } | { ok: false; message: string };

function textOf(message: MessageParam): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((block) => (block.type === "text" && typeof block.text === "string" ? block.text : "")).join("\n");
}

const JSON_FENCE = /```json[^\S\n]*\n([\s\S]*?)```/;

/** Reads `{signals, rubricSuggestion}` from the first ```json fence of the last user message. */
export function readClassificationPayload(messages: MessageParam[]): PayloadResult {
  const lastUser = messages.findLast((m) => m.role === "user");
  const fenced = lastUser ? JSON_FENCE.exec(textOf(lastUser)) : null;
  if (!fenced?.[1]) {
    return { ok: false, message: "fake-anthropic: the last user message has no ```json block with the signals" };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fenced[1]);
  } catch (error) {
    return { ok: false, message: `fake-anthropic: the \`\`\`json block is not valid JSON (${(error as Error).message})` };
  }
  const parsed = PromptPayload.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `fake-anthropic: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid signals"}` };
  }
  return { ok: true, payload: parsed.data };
}
