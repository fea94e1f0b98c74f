// The labelled evaluation set: raw attendance histories (not signal objects), so the evaluation exercises the
// real signal SQL as well as the rubric. histories.json is committed; build-histories.ts regenerates it.
import { readFileSync } from "node:fs";
import { EngagementLevel, RUBRIC_STEPS } from "@engagement/engagement";
import { z } from "zod";

export const RegistrationStatus = z.enum(["registered", "attended", "no_show", "cancelled"]);

export const HistoryEvent = z
  .object({
    /** Start of the event in days before asOf (fractions allowed; negative: after asOf). */
    daysAgo: z.number(),
    cancelled: z.boolean(),
    /** The member's registration for this event, or null when they did not register. */
    registration: RegistrationStatus.nullable(),
  })
  .strict();

export const MemberHistory = z
  .object({
    id: z.string().regex(/^[a-z0-9_-]+$/),
    description: z.string().min(1),
    /** The rubric's label, worked out by hand from the events (not by running the rubric). */
    expectedLevel: EngagementLevel,
    expectedStep: z.enum(RUBRIC_STEPS),
    /** Days before asOf the member joined. */
    joinedDaysAgo: z.number().min(0),
    /** The member's last computed level (stored as a member_engagements row), or null. */
    previousLevel: EngagementLevel.nullable(),
    /** Every event of the member's organisation in the history, with the member's registration if any. */
    events: z.array(HistoryEvent),
  })
  .strict();
export type MemberHistory = z.infer<typeof MemberHistory>;

export const HistorySet = z
  .object({
    /** The instant signals are computed at; event offsets are relative to it. */
    asOf: z.iso.datetime(),
    histories: z.array(MemberHistory),
  })
  .strict()
  .refine((set) => new Set(set.histories.map((h) => h.id)).size === set.histories.length, { message: "history ids must be unique" });
export type HistorySet = z.infer<typeof HistorySet>;

export const HISTORIES_PATH = new URL("./histories.json", import.meta.url);

export function loadHistories(path: URL = HISTORIES_PATH): HistorySet {
  return HistorySet.parse(JSON.parse(readFileSync(path, "utf8")));
}
