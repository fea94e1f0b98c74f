// The evaluation set (packages/eval/src/histories.json) through the real signal SQL: it must stay large, cover every rubric
// step, and the rules must match every hand-worked label. A failure means the SQL, the rubric or a label is wrong.
import { createAnthropicClassifier } from "@engagement/anthropic";
import { createTestDatabase, type TestDatabase } from "@engagement/db/testing";
import { ENGAGEMENT_LEVELS, evaluateRubric, RUBRIC_STEPS } from "@engagement/engagement";
import { startFakeAnthropic } from "@engagement/fake-anthropic";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { loadHistories } from "./histories.ts";
import { type LoadedHistory, loadHistorySignals } from "./load-signals.ts";
import { accuracy } from "./metrics.ts";

describe("evaluation set", () => {
  const set = loadHistories();
  let t: TestDatabase;
  let loaded: LoadedHistory[];

  beforeAll(async () => {
    t = await createTestDatabase("eval");
    loaded = await loadHistorySignals(t.db, set);
  }, 120_000);
  afterAll(async () => t.drop());

  it("holds at least 100 labelled histories built from events", () => {
    expect(set.histories.length).toBeGreaterThanOrEqual(100);
    expect(set.histories.every((h) => h.events.length > 0 || h.id === "org-without-events")).toBe(true);
  });

  it("labels every engagement level and every rubric step", () => {
    expect(new Set(set.histories.map((h) => h.expectedLevel))).toEqual(new Set(ENGAGEMENT_LEVELS));
    expect(new Set(set.histories.map((h) => h.expectedStep))).toEqual(new Set(RUBRIC_STEPS));
  });

  it("the rules reach every rubric step on the computed signals", () => {
    const reached = new Set(loaded.map((l) => evaluateRubric(l.signals).step));
    expect(reached).toEqual(new Set(RUBRIC_STEPS));
  });

  it("the rules classifier matches every label (level and step) through the real SQL", () => {
    const wrong = loaded
      .map(({ history, signals }) => ({ history, rubric: evaluateRubric(signals), signals }))
      .filter(({ history, rubric }) => rubric.level !== history.expectedLevel || rubric.step !== history.expectedStep)
      .map(({ history, rubric, signals }) => ({
        id: history.id,
        expected: [history.expectedLevel, history.expectedStep],
        got: [rubric.level, rubric.step],
        signals,
      }));
    expect(wrong).toEqual([]);
    const a = accuracy(
      loaded.map((l) => ({ id: l.history.id, expected: l.history.expectedLevel, actual: evaluateRubric(l.signals).level })),
    );
    expect(a.correct / a.total).toBe(1);
  });

  // The fake judges each item on its own, so this shows that refs bring every answer back to its member and that
  // each item is checked alone; whether a real model judges a member the same in company is for --real runs.
  it("through the fake judge, the decisions at the default K equal those at K = 1, each item checked alone", async () => {
    const fake = await startFakeAnthropic({ apiKey: "eval-key" });
    try {
      const signals = loaded.map((l) => l.signals);
      const one = await createAnthropicClassifier({ apiKey: "eval-key", baseURL: fake.url, membersPerRequest: 1 }).classifyMany(signals);
      const requestsAtOne = fake.requests.length;
      fake.reset();
      const many = await createAnthropicClassifier({ apiKey: "eval-key", baseURL: fake.url }).classifyMany(signals);
      const decision = (r: (typeof one)[number]) => [r.level, r.source, r.fallbackReason, r.memberExplanation];
      expect(many.map(decision)).toEqual(one.map(decision));
      const judged = one.filter((r) => r.source === "llm").length;
      expect(judged).toBeGreaterThan(40);
      expect(requestsAtOne).toBe(judged);
      expect(fake.requests.length).toBe(Math.ceil(judged / 20));
    } finally {
      await fake.stop();
    }
  });
});
