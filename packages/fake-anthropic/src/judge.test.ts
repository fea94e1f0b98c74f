import { describe, expect, it } from "@jest/globals";
import { classify } from "./judge.ts";
import { ADMIN_EXPLANATION_MAX, MEMBER_EXPLANATION_MAX } from "./judge-text.ts";
import { deniedTermsIn, MEMBER_DENIED_TERMS } from "./member-language.ts";
import { buildSignals, randomSignals, seededRandom } from "./test-builders.ts";

describe("classify", () => {
  it("gives the same classification for the same signals", () => {
    const signals = buildSignals({ attended90: 2, noShows90: 2 });
    expect(classify(signals, "moderate")).toEqual(classify({ ...signals }, "moderate"));
  });

  it("judges a frequent attendee with upcoming registrations highly engaged", () => {
    const result = classify(buildSignals({ attended90: 7, attended180: 13, upcomingRegistrations: 2, lastAttendedDaysAgo: 3 }));
    expect(result.level).toBe("highly_engaged");
  });

  it("judges a member who stopped coming and missed registrations at_risk, citing the numbers", () => {
    const result = classify(
      buildSignals({
        attended30: 0,
        attended90: 1,
        attended180: 7,
        registered90: 3,
        noShows90: 2,
        upcomingRegistrations: 0,
        lastAttendedDaysAgo: 70,
      }),
      "moderate",
    );
    expect(result.level).toBe("at_risk");
    expect(result.adminExplanation).toContain("1 of 8 events");
    expect(result.adminExplanation).toContain("70 days");
    expect(result.adminExplanation).toMatch(/Departs from the rubric suggestion moderate/);
  });

  it("does not claim a departure when it agrees with the rubric", () => {
    const result = classify(buildSignals({ upcomingRegistrations: 0 }), "moderate");
    expect(result.level).toBe("moderate");
    expect(result.adminExplanation).not.toMatch(/Departs/);
  });

  it("disagrees with the rubric on some borderline members rather than echoing it", () => {
    const random = seededRandom(7);
    const suggestions = ["highly_engaged", "moderate", "at_risk"];
    let departures = 0;
    for (let i = 0; i < 300; i++) {
      const suggestion = suggestions[i % 3] as string;
      if (classify(randomSignals(random), suggestion).level !== suggestion) departures++;
    }
    expect(departures).toBeGreaterThan(0);
  });

  it("keeps every text within its limits and the member text free of denied words across varied signals", () => {
    const random = seededRandom(20261126);
    const seenLevels = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const result = classify(randomSignals(random), ["highly_engaged", "moderate", "at_risk", "new"][i % 4]);
      seenLevels.add(result.level);
      expect(["highly_engaged", "moderate", "at_risk"]).toContain(result.level);
      expect(result.adminExplanation.length).toBeLessThanOrEqual(ADMIN_EXPLANATION_MAX);
      expect(result.memberExplanation.length).toBeLessThanOrEqual(MEMBER_EXPLANATION_MAX);
      expect(result.memberExplanation).toMatch(/\byou\b/i);
      expect(deniedTermsIn(result.memberExplanation)).toEqual([]);
      expect(result.keyFactors.length).toBeGreaterThanOrEqual(1);
      expect(result.keyFactors.length).toBeLessThanOrEqual(4);
    }
    expect([...seenLevels].sort()).toEqual(["at_risk", "highly_engaged", "moderate"]);
  });
});

describe("deniedTermsIn", () => {
  it("finds denied words in any case and inflection", () => {
    expect(deniedTermsIn("You are AT RISK")).toEqual(expect.arrayContaining(["risk", "at risk"]));
    expect(deniedTermsIn("attendance Declined")).toEqual(["decline"]);
    expect(deniedTermsIn("Thanks for coming!")).toEqual([]);
    expect(MEMBER_DENIED_TERMS).toContain("highly_engaged");
  });
});
