import type { EngagementLevel } from "./levels.ts";
import type { RubricStep } from "./rubric.ts";

/** Why an LLM answer was not used; stored with the result so admins and dashboards can count them. */
export const FALLBACK_REASONS = ["refusal", "max_tokens", "invalid_tool_input", "unsafe_member_text"] as const;
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

export type ClassificationSource = "rules" | "llm" | "fallback";

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Messages API calls made for this result: 0 for rules, 1 or 2 otherwise. */
  llmCalls: number;
}

/** One member's classification, as plain data any caller can store or print. */
export interface ClassificationResult {
  level: EngagementLevel;
  source: ClassificationSource;
  adminExplanation: string;
  memberExplanation: string;
  keyFactors: string[];
  /** The rubric step the rules reached, kept even when the model decided, to show agreement or departure. */
  rubricStep: RubricStep;
  /** The model that answered, or null when no model was called. */
  model: string | null;
  fallbackReason: FallbackReason | null;
  usage: TokenUsage;
  /**
   * Set on a model's judgement (source "llm"): what it was judged from (inputsFingerprint), so a later run whose
   * inputs fingerprint is the same can reuse it without a call.
   */
  inputsFingerprint?: string;
}

export function zeroUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, llmCalls: 0 };
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    llmCalls: a.llmCalls + b.llmCalls,
  };
}
