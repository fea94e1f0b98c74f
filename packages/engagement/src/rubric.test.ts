import { describe, expect, it } from "@jest/globals";
import { DEFAULT_THRESHOLDS, evaluateRubric, isFactsDecided, prior90, RUBRIC_STEPS, resolveThresholds } from "./rubric.ts";
import { EngagementSignals } from "./signals.ts";
import { buildSignals } from "./testing/build-signals.ts";

/** Signals with no at-risk trigger, tuned per test for step 5 and 6. */
const steady = (o: Partial<EngagementSignals>) => buildSignals({ noShows90: 0, attended180: (o.attended90 ?? 3) + 1, ...o });

describe("evaluateRubric", () => {
  it("the baseline fixture is valid signals and lands on the default moderate step", () => {
    expect(EngagementSignals.safeParse(buildSignals()).success).toBe(true);
    expect(evaluateRubric(buildSignals())).toMatchObject({ level: "moderate", step: "default_moderate" });
  });

  describe("step 1: new member", () => {
    it("29 days of tenure is new", () => {
      const r = evaluateRubric(buildSignals({ tenureDays: 29 }));
      expect(r).toMatchObject({ level: "new", step: "new_member" });
      expect(r.reasons.join(" ")).toContain("29 days");
    });
    it("30 days of tenure is no longer new", () => {
      expect(evaluateRubric(buildSignals({ tenureDays: 30 })).step).not.toBe("new_member");
    });
    it("wins over every later rule (new member who never attended and has no events)", () => {
      const r = evaluateRubric(buildSignals({ tenureDays: 0, orgEvents30: 0, orgEvents90: 0, attended30: 0, attended90: 0 }));
      expect(r.level).toBe("new");
    });
  });

  describe("step 2: organisation held no events in 90 days", () => {
    const noEvents = (previousLevel: EngagementSignals["previousLevel"]) =>
      buildSignals({ orgEvents30: 0, orgEvents90: 0, attended30: 0, attended90: 0, previousLevel, lastAttendedDaysAgo: 120 });

    it.each(["highly_engaged", "moderate", "at_risk", "inactive"] as const)("keeps previous level %s", (previous) => {
      expect(evaluateRubric(noEvents(previous))).toMatchObject({ level: previous, step: "no_opportunity" });
    });
    it("does not carry 'new' once tenure has passed: moderate instead", () => {
      expect(evaluateRubric(noEvents("new"))).toMatchObject({ level: "moderate", step: "no_opportunity" });
    });
    it("with no previous level defaults to moderate", () => {
      expect(evaluateRubric(noEvents(null))).toMatchObject({ level: "moderate", step: "no_opportunity" });
    });
    it("one event in 90 days is an opportunity, so the rule does not apply", () => {
      const r = evaluateRubric(buildSignals({ orgEvents30: 0, orgEvents90: 1, attended30: 0, attended90: 0, upcomingRegistrations: 0 }));
      expect(r.step).toBe("no_attendance");
    });
  });

  describe("step 3: attended nothing in 90 days", () => {
    const none = (upcomingRegistrations: number) =>
      buildSignals({ attended30: 0, attended90: 0, upcomingRegistrations, lastAttendedDaysAgo: 100 });

    it("with an upcoming registration is at risk", () => {
      expect(evaluateRubric(none(1))).toMatchObject({ level: "at_risk", step: "no_attendance" });
    });
    it("with no upcoming registration is inactive", () => {
      expect(evaluateRubric(none(0))).toMatchObject({ level: "inactive", step: "no_attendance" });
    });
    it("one attendance is enough to leave this rule", () => {
      expect(evaluateRubric(buildSignals({ attended30: 0, attended90: 1, upcomingRegistrations: 0 })).step).not.toBe("no_attendance");
    });
  });

  describe("step 4: at-risk signals", () => {
    describe("declining trend", () => {
      it("prior90 = 2 and attended90 = 1 (exactly half) is declining", () => {
        const r = evaluateRubric(steady({ attended90: 1, attended180: 3 }));
        expect(r).toMatchObject({ level: "at_risk", step: "at_risk_signals", atRiskTriggers: ["declining"] });
        expect(r.reasons[0]).toContain("from 2");
      });
      it("prior90 = 1 is too little history to call a decline", () => {
        const r = evaluateRubric(steady({ attended90: 1, attended180: 2 }));
        expect(r.atRiskTriggers).not.toContain("declining");
        expect(r.level).toBe("moderate");
      });
      it("prior90 = 4 and attended90 = 2 (exactly half) is declining", () => {
        expect(evaluateRubric(steady({ attended90: 2, attended180: 6 })).atRiskTriggers).toEqual(["declining"]);
      });
      it("prior90 = 4 and attended90 = 3 (more than half) is not declining", () => {
        expect(evaluateRubric(steady({ attended90: 3, attended180: 7 })).atRiskTriggers).toEqual([]);
      });
      it("prior90 is attended180 minus attended90", () => {
        expect(prior90(buildSignals({ attended90: 3, attended180: 8 }))).toBe(5);
      });
    });

    describe("recency", () => {
      it("last attended 45 days ago is still recent enough", () => {
        expect(evaluateRubric(steady({ lastAttendedDaysAgo: 45 })).level).toBe("moderate");
      });
      it("last attended 46 days ago is at risk", () => {
        const r = evaluateRubric(steady({ lastAttendedDaysAgo: 46 }));
        expect(r).toMatchObject({ level: "at_risk", atRiskTriggers: ["not_recent"] });
        expect(r.reasons[0]).toContain("46 days");
      });
      it("a null last attendance despite attendances counts as not recent", () => {
        expect(evaluateRubric(steady({ lastAttendedDaysAgo: null })).atRiskTriggers).toEqual(["not_recent"]);
      });
    });

    describe("no-shows", () => {
      it("1 no-show out of 1 registration is too few to count", () => {
        expect(evaluateRubric(steady({ noShows90: 1, registered90: 1 })).level).toBe("moderate");
      });
      it("2 no-shows out of 4 registrations (exactly half) is at risk", () => {
        expect(evaluateRubric(steady({ noShows90: 2, registered90: 4 }))).toMatchObject({ level: "at_risk", atRiskTriggers: ["no_shows"] });
      });
      it("2 no-shows out of 5 registrations (under half) is not", () => {
        expect(evaluateRubric(steady({ noShows90: 2, registered90: 5 })).level).toBe("moderate");
      });
    });

    it("reports every trigger that holds, each with its own reason", () => {
      const r = evaluateRubric(steady({ attended90: 1, attended180: 5, lastAttendedDaysAgo: 80, noShows90: 3, registered90: 4 }));
      expect(r.atRiskTriggers).toEqual(["declining", "not_recent", "no_shows"]);
      expect(r.reasons).toHaveLength(3);
    });

    it("wins over highly engaged when both would match", () => {
      const r = evaluateRubric(steady({ attended90: 8, attended180: 9, noShows90: 4, registered90: 8, lastAttendedDaysAgo: 2 }));
      expect(r.level).toBe("at_risk");
    });
  });

  describe("step 5: highly engaged", () => {
    it("3 of 6 events (exactly half), last 30 days ago, is highly engaged", () => {
      const r = evaluateRubric(steady({ attended90: 3, orgEvents90: 6, lastAttendedDaysAgo: 30 }));
      expect(r).toMatchObject({ level: "highly_engaged", step: "highly_engaged" });
      expect(r.reasons[0]).toContain("3 of 6");
    });
    it("last attended 31 days ago is only moderate", () => {
      expect(evaluateRubric(steady({ attended90: 3, orgEvents90: 6, lastAttendedDaysAgo: 31 })).level).toBe("moderate");
    });
    it("3 of 7 events (under half) is only moderate", () => {
      expect(evaluateRubric(steady({ attended90: 3, orgEvents90: 7 })).level).toBe("moderate");
    });
    it("2 of 2 events is too few attendances, however high the share", () => {
      expect(evaluateRubric(steady({ attended30: 1, attended90: 2, orgEvents30: 1, orgEvents90: 2 })).level).toBe("moderate");
    });
  });

  describe("step 6: default", () => {
    it("anything else is moderate", () => {
      expect(evaluateRubric(steady({ attended90: 2, orgEvents90: 10 }))).toMatchObject({ level: "moderate", step: "default_moderate" });
    });
  });

  describe("threshold overrides", () => {
    it("a partial override changes only its own rule", () => {
      const s = steady({ lastAttendedDaysAgo: 50 });
      expect(evaluateRubric(s).level).toBe("at_risk");
      expect(evaluateRubric(s, { atRiskAfterDays: 60 }).level).toBe("moderate");
    });
    it("an explicit undefined keeps the default", () => {
      expect(resolveThresholds({ newMemberDays: undefined, noShowMinCount: 3 })).toEqual({ ...DEFAULT_THRESHOLDS, noShowMinCount: 3 });
    });
    it("overrides new-member tenure", () => {
      expect(evaluateRubric(buildSignals({ tenureDays: 45 }), { newMemberDays: 60 }).level).toBe("new");
    });
  });
});

describe("isFactsDecided", () => {
  it("is true exactly for the three fact steps", () => {
    const decided = RUBRIC_STEPS.filter((step) => isFactsDecided({ step }));
    expect(decided).toEqual(["new_member", "no_opportunity", "no_attendance"]);
  });
});
