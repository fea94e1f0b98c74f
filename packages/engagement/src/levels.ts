import { z } from "zod";

/** The five engagement levels, in the order dashboards show them. */
export const ENGAGEMENT_LEVELS = ["highly_engaged", "moderate", "at_risk", "new", "inactive"] as const;
export const EngagementLevel = z.enum(ENGAGEMENT_LEVELS);
export type EngagementLevel = z.infer<typeof EngagementLevel>;

/** The levels the LLM may choose among: facts decide new and inactive. */
export const JUDGED_LEVELS = ["highly_engaged", "moderate", "at_risk"] as const;
export const JudgedLevel = z.enum(JUDGED_LEVELS);
export type JudgedLevel = z.infer<typeof JudgedLevel>;

export const ENGAGEMENT_SOURCES = ["rules", "llm", "fallback", "carried"] as const;
export type EngagementSource = (typeof ENGAGEMENT_SOURCES)[number];
