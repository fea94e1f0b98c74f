import { describe, expect, it } from "@jest/globals";
import { CLASSIFICATION_TOOL_DESCRIPTION, CLASSIFICATION_TOOL_INPUT_SCHEMA } from "./classification-tool.ts";
import { buildSystemPrompt, buildUserMessage, pickSignals } from "./prompts.ts";
import { DEFAULT_THRESHOLDS, resolveThresholds } from "./rubric.ts";
import { buildSignals } from "./testing/build-signals.ts";

/** A member row as a repository would return it: signals plus identity the LLM must never see. */
const memberRow = () => ({
  ...buildSignals(),
  id: "8f14e45f-ceea-467a-9af0-2b0f4d4c8a11",
  memberId: "0b9d4b0e-1f8e-4a5e-9d3c-7c7b7a4f2e10",
  name: "Ada Lovelace",
  email: "ada@example.org",
});

const FENCE = /^```json\n([\s\S]*)\n```$/;

describe("buildUserMessage", () => {
  it("is a single fenced json block holding, per member, only its ref, signals and the rubric suggestion", () => {
    const text = buildUserMessage([
      { ref: "m1", signals: buildSignals(), rubricSuggestion: "moderate" },
      { ref: "m2", signals: buildSignals({ attended90: 1 }), rubricSuggestion: "at_risk" },
    ]);
    const match = FENCE.exec(text);
    expect(match).not.toBeNull();
    expect(text.match(/```/g)).toHaveLength(2);
    const payload = JSON.parse(match?.[1] ?? "");
    expect(Object.keys(payload)).toEqual(["members"]);
    expect(payload.members).toEqual([
      { ref: "m1", signals: buildSignals(), rubricSuggestion: "moderate" },
      { ref: "m2", signals: buildSignals({ attended90: 1 }), rubricSuggestion: "at_risk" },
    ]);
    // One member per line, no indentation: the user turn is billed at the full rate.
    expect(text.split("\n")).toHaveLength(6);
  });

  it("drops names, emails and ids carried on the objects passed in", () => {
    const text = buildUserMessage([{ ref: "m1", signals: memberRow(), rubricSuggestion: "at_risk" }]);
    for (const secret of ["Ada", "ada@example.org", "8f14e45f", "0b9d4b0e", "memberId", "email"]) {
      expect(text).not.toContain(secret);
    }
  });

  it("refuses signals that are not valid rather than sending them", () => {
    expect(() => buildUserMessage([{ ref: "m1", signals: buildSignals({ attended90: -1 }), rubricSuggestion: "moderate" }])).toThrow();
  });
});

describe("pickSignals", () => {
  it("keeps exactly the twelve signal fields", () => {
    expect(Object.keys(pickSignals(memberRow())).sort()).toEqual(Object.keys(buildSignals()).sort());
  });
});

describe("buildSystemPrompt", () => {
  const prompt = buildSystemPrompt(resolveThresholds());

  it("quotes the rubric thresholds", () => {
    expect(prompt).toContain(`tenureDays < ${DEFAULT_THRESHOLDS.newMemberDays}`);
    expect(prompt).toContain(`lastAttendedDaysAgo > ${DEFAULT_THRESHOLDS.atRiskAfterDays}`);
    expect(prompt).toContain(`lastAttendedDaysAgo <= ${DEFAULT_THRESHOLDS.highlyEngagedWithinDays}`);
    expect(prompt).toContain("noShows90 >= 2 and noShows90 >= 50% of registered90");
    expect(prompt).toContain("attended90 >= 3");
  });

  it("follows organisation overrides", () => {
    expect(buildSystemPrompt(resolveThresholds({ atRiskAfterDays: 60 }))).toContain("lastAttendedDaysAgo > 60");
  });

  it("asks to weigh trend, no-shows and recency, to justify departures, and states the member-text rules", () => {
    for (const phrase of ["trend", "no-shows", "recency", "depart", "second person", "risk", "churn", "record_engagement_classification"]) {
      expect(prompt).toContain(phrase);
    }
  });

  it("is identical for every member, so it can be cached", () => {
    expect(buildSystemPrompt(resolveThresholds())).toBe(prompt);
  });

  it("with the tool definition, is longer than any listed model's minimum cacheable prefix (Haiku 4.5's 4,096 tokens, 4 characters each)", () => {
    const tool = JSON.stringify(CLASSIFICATION_TOOL_INPUT_SCHEMA) + CLASSIFICATION_TOOL_DESCRIPTION;
    expect((prompt.length + tool.length) / 4).toBeGreaterThan(4096);
  });

  it("keeps only rubric-following examples when an organisation overrides thresholds (the departures reason with the defaults)", () => {
    const custom = buildSystemPrompt(resolveThresholds({ atRiskAfterDays: 60 }));
    expect(custom).not.toContain("Judgement: depart");
    expect(custom.match(/^Example \d+\./gm)?.length).toBeGreaterThanOrEqual(30);
  });

  it("carries worked examples that follow the rubric and some that depart from it with a reason", () => {
    const examples = prompt.match(/^Example \d+\./gm) ?? [];
    expect(examples.length).toBeGreaterThanOrEqual(30);
    expect(prompt).toMatch(/Judgement: follow the suggestion: highly_engaged/);
    expect(prompt).toMatch(/Judgement: depart from the suggestion: moderate\. Why: .{20,}/);
    expect(prompt).toMatch(/Judgement: depart from the suggestion: highly_engaged\. Why: .{20,}/);
  });
});
