import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { bucketSignals, inputsFingerprint, type Judge, rulesJudgeIdentity } from "./inputs-fingerprint.ts";
import { ENGAGEMENT_LEVELS } from "./levels.ts";
import { DEFAULT_THRESHOLDS, evaluateRubric, type RubricThresholds, resolveThresholds } from "./rubric.ts";
import type { EngagementSignals } from "./signals.ts";
import { buildSignals } from "./testing/build-signals.ts";

const judge: Judge = { identity: rulesJudgeIdentity(DEFAULT_THRESHOLDS), thresholds: DEFAULT_THRESHOLDS };

/**
 * Valid signals drawn from small ranges, so that pairs with equal buckets (and the thresholds' edges) come up
 * often: every invariant of EngagementSignals holds by construction.
 */
const signalsArb: fc.Arbitrary<EngagementSignals> = fc
  .record({
    tenureDays: fc.integer({ min: 0, max: 800 }),
    orgEvents: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
    attended: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3)),
    registered90: fc.nat(4),
    noShows90: fc.nat(4),
    upcomingRegistrations: fc.nat(2),
    lastAttendedDaysAgo: fc.option(fc.integer({ min: 0, max: 120 }), { freq: 8 }),
    previousLevel: fc.option(fc.constantFrom(...ENGAGEMENT_LEVELS)),
  })
  .map(({ orgEvents: [e1, e2, e3], attended: [a1, a2, a3], registered90, noShows90, ...rest }) => ({
    ...rest,
    orgEvents30: e1,
    orgEvents90: e1 + e2,
    orgEvents180: e1 + e2 + e3,
    attended30: a1,
    attended90: a1 + a2,
    attended180: a1 + a2 + a3,
    registered90: registered90 + noShows90,
    noShows90,
  }));

const thresholdsArb: fc.Arbitrary<RubricThresholds> = fc
  .record({
    newMemberDays: fc.integer({ min: 0, max: 90 }),
    atRiskAfterDays: fc.integer({ min: 0, max: 100 }),
    highlyEngagedWithinDays: fc.integer({ min: 0, max: 100 }),
  })
  .map((t) => resolveThresholds(t));

/** One day later with nothing happening: only the two counters of days move. */
const nextDay = (s: EngagementSignals): EngagementSignals => ({
  ...s,
  tenureDays: s.tenureDays + 1,
  lastAttendedDaysAgo: s.lastAttendedDaysAgo === null ? null : s.lastAttendedDaysAgo + 1,
});

describe("bucketSignals", () => {
  it("never hides a change the rubric would act on: equal buckets give the same level and step, whatever the thresholds", () => {
    fc.assert(
      fc.property(thresholdsArb, signalsArb, signalsArb, (t, a, b) => {
        // Most random pairs differ somewhere; moving b onto a's counts leaves only the day fields (and the
        // previous level) free, which is where the bucketing could hide something.
        const near: EngagementSignals = {
          ...a,
          tenureDays: b.tenureDays,
          lastAttendedDaysAgo: b.lastAttendedDaysAgo,
          previousLevel: b.previousLevel,
        };
        for (const other of [b, near]) {
          if (bucketSignals(a, t) !== bucketSignals(other, t)) continue;
          const [ra, rb] = [evaluateRubric(a, t), evaluateRubric(other, t)];
          expect([rb.level, rb.step]).toEqual([ra.level, ra.step]);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("keeps a quiet week of a steady member in one bucket", () => {
    let s = buildSignals({ tenureDays: 400, lastAttendedDaysAgo: 2 });
    const first = bucketSignals(s);
    for (let day = 0; day < 7; day++) s = nextDay(s);
    expect(bucketSignals(s)).toBe(first);
  });

  it("moves lastAttendedDaysAgo to another bucket as it passes highlyEngagedWithinDays and atRiskAfterDays", () => {
    const at = (d: number | null) => bucketSignals(buildSignals({ lastAttendedDaysAgo: d }));
    const { highlyEngagedWithinDays: w, atRiskAfterDays: r } = DEFAULT_THRESHOLDS;
    expect(at(0)).toBe(at(w));
    expect(at(w + 1)).not.toBe(at(w));
    expect(at(w + 1)).toBe(at(r));
    expect(at(r + 1)).not.toBe(at(r));
    expect(at(null)).not.toBe(at(r + 1));
  });

  it("buckets tenure by doublings of newMemberDays, with everything below it apart", () => {
    const at = (d: number) => bucketSignals(buildSignals({ tenureDays: d }));
    expect(at(29)).not.toBe(at(30));
    expect(at(30)).toBe(at(59));
    expect(at(60)).not.toBe(at(59));
    expect(at(240)).toBe(at(479));
  });

  it("ignores the previous level unless the rubric reads it (no event in 90 days)", () => {
    expect(bucketSignals(buildSignals({ previousLevel: "moderate" }))).toBe(bucketSignals(buildSignals({ previousLevel: "at_risk" })));
    const quiet = { orgEvents30: 0, orgEvents90: 0 };
    expect(bucketSignals(buildSignals({ ...quiet, previousLevel: "moderate" }))).not.toBe(
      bucketSignals(buildSignals({ ...quiet, previousLevel: "at_risk" })),
    );
  });

  it("tells every count apart", () => {
    const base = buildSignals();
    const changes: Partial<EngagementSignals>[] = [
      { orgEvents30: 5 },
      { orgEvents90: 11 },
      { orgEvents180: 21 },
      { attended30: 2 },
      { attended90: 4 },
      { attended180: 6 },
      { registered90: 5 },
      { noShows90: 0 },
      { upcomingRegistrations: 2 },
    ];
    for (const change of changes) expect(bucketSignals({ ...base, ...change })).not.toBe(bucketSignals(base));
  });
});

describe("inputsFingerprint", () => {
  it("stays the same over a quiet day and changes with a new attendance", () => {
    const s = buildSignals({ lastAttendedDaysAgo: 5 });
    expect(inputsFingerprint(nextDay(s), judge)).toBe(inputsFingerprint(s, judge));
    const attended = {
      ...s,
      attended30: s.attended30 + 1,
      attended90: s.attended90 + 1,
      attended180: s.attended180 + 1,
      lastAttendedDaysAgo: 0,
    };
    expect(inputsFingerprint(attended, judge)).not.toBe(inputsFingerprint(s, judge));
  });

  it("changes with the thresholds, even where the buckets stay the same", () => {
    const s = buildSignals();
    const t = resolveThresholds({ noShowRatio: 0.6 });
    expect(bucketSignals(s, t)).toBe(bucketSignals(s));
    expect(inputsFingerprint(s, { identity: rulesJudgeIdentity(t), thresholds: t })).not.toBe(inputsFingerprint(s, judge));
  });

  it("changes with the judge's identity (another model or prompt)", () => {
    const s = buildSignals();
    expect(inputsFingerprint(s, { ...judge, identity: "anthropic:model-a:0123" })).not.toBe(
      inputsFingerprint(s, { ...judge, identity: "anthropic:model-b:0123" }),
    );
  });
});

describe("rulesJudgeIdentity", () => {
  it("names every threshold, so any change of one gives another identity", () => {
    for (const key of Object.keys(DEFAULT_THRESHOLDS) as (keyof RubricThresholds)[]) {
      const changed = resolveThresholds({ [key]: DEFAULT_THRESHOLDS[key] + 1 });
      expect(rulesJudgeIdentity(changed)).not.toBe(rulesJudgeIdentity(DEFAULT_THRESHOLDS));
    }
  });
});
