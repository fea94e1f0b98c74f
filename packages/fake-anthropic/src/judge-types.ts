// The judge's vocabulary, shared by the judgement (judge.ts) and its wording (judge-text.ts).
export const JUDGE_LEVELS = ["highly_engaged", "moderate", "at_risk"] as const;
export type JudgeLevel = (typeof JUDGE_LEVELS)[number];

/** What the fake model puts in the `record_engagement_classification` tool input. */
export interface Classification {
  level: JudgeLevel;
  adminExplanation: string;
  memberExplanation: string;
  keyFactors: string[];
}

/** One consideration behind a judgement: its weight and how to name it to an admin. */
export interface Factor {
  points: number;
  /** A phrase for the admin explanation and key factors, citing the numbers. */
  note: string;
}

export interface Assessment {
  level: JudgeLevel;
  points: number;
  factors: Factor[];
}
