// Request and response shapes of the admin engagement and override routes; the OpenAPI document is generated
// from these, so a description here is what API users read.
import { decodeEngagementCursor, RUN_STATUSES } from "@engagement/db";
import { z } from "zod";
import { Level, Source, Timestamp } from "./common.schemas.ts";

export const ListQuery = z.object({
  level: Level.optional().describe("filter on the effective level (the active override, else the computed level)"),
  source: Source.optional(),
  overridden: z.enum(["true", "false"]).optional().describe("true: only members with an active override; false: only without"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z
    .string()
    .max(1000)
    .refine((c) => decodeEngagementCursor(c) !== null, "not a cursor returned by this API")
    .optional()
    .describe("nextCursor of the previous page"),
});

export const ActiveOverride = z
  .object({
    level: Level,
    note: z.string(),
    setBy: z.uuid().nullable(),
    setByName: z.string().nullable(),
    setAt: Timestamp,
    expiresAt: Timestamp.nullable(),
  })
  .describe("the override in force, or null");

export const EngagementRow = z.object({
  userId: z.uuid(),
  name: z.string(),
  level: Level.describe("effective level: the active override, else the computed level"),
  computedLevel: Level,
  source: Source,
  adminExplanation: z.string(),
  keyFactors: z.array(z.string()),
  computedAt: Timestamp,
  override: ActiveOverride.nullable(),
});

export const EngagementList = z.object({
  items: z.array(EngagementRow),
  nextCursor: z.string().nullable().describe("pass as ?cursor= for the next page; null on the last page"),
});

export const RunHeadline = z.object({
  runId: z.uuid(),
  status: z.enum(RUN_STATUSES),
  trigger: z.enum(["scheduled", "manual"]),
  membersTotal: z.number().int(),
  createdAt: Timestamp,
  startedAt: Timestamp.nullable(),
  finishedAt: Timestamp.nullable(),
});

export const EngagementSummary = z.object({
  orgId: z.uuid(),
  counts: z.object(Object.fromEntries(Level.options.map((l) => [l, z.number().int()])) as Record<z.infer<typeof Level>, z.ZodNumber>),
  total: z.number().int(),
  overridden: z.number().int().describe("members with an active override"),
  lastRun: RunHeadline.nullable(),
});

export const OverrideAuditEntry = z.object({
  id: z.uuid(),
  action: z.enum(["set", "cleared", "expired"]),
  previousLevel: Level.nullable().describe("effective level before the change"),
  newLevel: Level.nullable().describe("effective level after the change"),
  note: z.string().nullable(),
  actorId: z.uuid().nullable().describe("the admin; null when the system expired the override or the admin has been erased"),
  actorName: z.string().nullable(),
  actorErasureId: z
    .uuid()
    .nullable()
    .describe("set when the admin who acted has since been erased: an opaque reference, the same for all of their actions"),
  expiresAt: Timestamp.nullable(),
  createdAt: Timestamp,
});

export const OverrideHistory = z.object({ items: z.array(OverrideAuditEntry).describe("newest first") });

export const MemberDetail = EngagementRow.extend({
  memberExplanation: z.string(),
  signals: z.record(z.string(), z.unknown()).describe("the attendance signals the level was computed from"),
  model: z.string().nullable(),
  fallbackReason: z.string().nullable(),
  levelHistory: z
    .array(z.object({ date: Timestamp, level: Level, runId: z.uuid() }))
    .describe("each change of the computed level across runs (the first classification included), newest first"),
  overrideHistory: z.array(OverrideAuditEntry).describe("newest first"),
});

const Note = z.string().trim().min(1, "must not be empty").max(1000, "must be at most 1000 characters");
const YEAR_MS = 366 * 24 * 3600 * 1000;

export const SetOverrideBody = z.object({
  level: Level,
  note: Note.describe("why; required, 1–1000 characters after trimming"),
  expiresAt: Timestamp.optional()
    .describe("when the override ends by itself; in the future and at most a year ahead")
    .superRefine((value, ctx) => {
      if (value === undefined) return;
      const at = Date.parse(value);
      if (at <= Date.now()) ctx.addIssue({ code: "custom", message: "must be in the future" });
      else if (at > Date.now() + YEAR_MS) ctx.addIssue({ code: "custom", message: "must be at most one year ahead" });
    }),
});

export const ClearOverrideBody = z.object({ note: Note.optional().describe("why; optional, 1–1000 characters") });

export const OverrideChange = z.object({
  userId: z.uuid(),
  action: z.enum(["set", "cleared"]),
  previousLevel: Level,
  level: Level.describe("effective level now"),
  expiresAt: Timestamp.nullable(),
  auditId: z.uuid(),
});
