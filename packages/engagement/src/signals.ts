import { z } from "zod";
import { EngagementLevel } from "./levels.ts";

const count = z.number().int().min(0);

/**
 * What the classifiers see of one member in one organisation at one instant. Field names are a public
 * contract (the `classify` CLI reads them). Windows count events whose start lies in (asOf - N days, asOf];
 * cancelled events never count. No field identifies a person: this object is all the LLM receives.
 */
export const EngagementSignals = z
  .object({
    /** Whole days since the member joined. */
    tenureDays: count,
    /** Events the organisation held in the last 30/90/180 days. */
    orgEvents30: count,
    orgEvents90: count,
    orgEvents180: count,
    /** Events in those windows the member attended. */
    attended30: count,
    attended90: count,
    attended180: count,
    /** Registrations (any status but cancelled) for events in the 90-day window. */
    registered90: count,
    /** Of those, the ones that ended without attendance. */
    noShows90: count,
    /** Active registrations for events starting after asOf. */
    upcomingRegistrations: count,
    /** Whole days since the last attended event; null if never. */
    lastAttendedDaysAgo: count.nullable(),
    /** The member's last computed level, or null. */
    previousLevel: EngagementLevel.nullable(),
  })
  .strict()
  .refine((s) => s.attended30 <= s.attended90 && s.attended90 <= s.attended180, {
    message: "attended30 <= attended90 <= attended180 must hold",
    path: ["attended90"],
  })
  .refine((s) => s.orgEvents30 <= s.orgEvents90 && s.orgEvents90 <= s.orgEvents180, {
    message: "orgEvents30 <= orgEvents90 <= orgEvents180 must hold",
    path: ["orgEvents90"],
  })
  .refine((s) => s.noShows90 <= s.registered90, { message: "noShows90 cannot exceed registered90", path: ["noShows90"] });

export type EngagementSignals = z.infer<typeof EngagementSignals>;
