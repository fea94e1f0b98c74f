import { describe, expect, it } from "@jest/globals";
import { type RunSummary, summaryTable } from "./watch.ts";

const summary = (fields: Partial<RunSummary>): RunSummary => ({
  runId: "00000000-0000-4000-8000-000000000001",
  org: "Running Club",
  orgId: "00000000-0000-4000-8000-000000000002",
  status: "completed",
  members: 10,
  levels: { highly_engaged: 2, moderate: 3, at_risk: 2, new: 1, inactive: 2 },
  bySource: { rules: 4, llm: 2, fallback: 4 },
  llmCalls: 3,
  tokens: { input: 100, output: 50, cacheRead: 900, cacheWrite: 0 },
  errors: 4,
  errorDetails: { fallbackReasons: { spend_limit: 4 } },
  expiredOverrides: 0,
  rateLimitedResponses: 0,
  llmStoppedReason: null,
  durationMs: 1200,
  ...fields,
});

describe("run summary table", () => {
  it("says under the table, in words, which run stopped calling the LLM and how many members got the rules", () => {
    const text = summaryTable([summary({ llmStoppedReason: "spend_limit" }), summary({ org: "Book Circle", errorDetails: {} })]);
    const notes = text.split("\n").filter((l) => l.startsWith("!"));
    expect(notes).toEqual([
      "! Running Club: LLM calls stopped, the provider's spend limit was reached (raise it, or wait for the next billing period); 4 members got the rules result.",
    ]);
  });

  it("adds no note when every run could call the LLM to the end", () => {
    expect(summaryTable([summary({})])).not.toContain("!");
  });
});
