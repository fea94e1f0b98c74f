import { z } from "zod";
import type { MessageParam } from "./protocol.ts";

/** The tool whose forced use makes the fake act as the engagement judge, one member per request (old clients). */
export const CLASSIFICATION_TOOL = "record_engagement_classification";
/** The same judge for several members per request: `{members: [{ref, signals, rubricSuggestion}]}` in, one item per ref out. */
export const MULTI_CLASSIFICATION_TOOL = "record_engagement_classifications";
/** The most members the contract allows in one request. */
export const MAX_MEMBERS_PER_REQUEST = 200;

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

const MemberPayload = z.object({ ref: z.string().min(1), signals: JudgeSignals, rubricSuggestion: z.string().optional() });
export type MemberPayload = z.infer<typeof MemberPayload>;

const MembersPayload = z.object({
  members: z
    .array(MemberPayload)
    .min(1)
    .max(MAX_MEMBERS_PER_REQUEST)
    .superRefine((members, ctx) => {
      const seen = new Set<string>();
      members.forEach((m, i) => {
        if (seen.has(m.ref)) ctx.addIssue({ code: "custom", path: [i, "ref"], message: `duplicate ref "${m.ref}"` });
        seen.add(m.ref);
      });
    }),
});

export type MembersResult = { ok: true; members: MemberPayload[] } | { ok: false; message: string };

function textOf(message: MessageParam): string {
  if (typeof message.content === "string") return message.content;
  return message.content.map((block) => (block.type === "text" && typeof block.text === "string" ? block.text : "")).join("\n");
}

const JSON_FENCE = /```json[^\S\n]*\n([\s\S]*?)```/;

function readFencedJson<T>(messages: MessageParam[], schema: z.ZodType<T>): { ok: true; value: T } | { ok: false; message: string } {
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
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: `fake-anthropic: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid signals"}` };
  }
  return { ok: true, value: parsed.data };
}

/** Reads `{signals, rubricSuggestion}` from the first ```json fence of the last user message. */
export function readClassificationPayload(messages: MessageParam[]): PayloadResult {
  const read = readFencedJson(messages, PromptPayload);
  return read.ok ? { ok: true, payload: read.value } : read;
}

/** Reads `{members: [...]}` (1..200 members, unique refs) from the first ```json fence of the last user message. */
export function readMembersPayload(messages: MessageParam[]): MembersResult {
  const read = readFencedJson(messages, MembersPayload);
  return read.ok ? { ok: true, members: read.value.members } : read;
}
