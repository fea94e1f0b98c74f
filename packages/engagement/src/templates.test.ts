import { describe, expect, it } from "@jest/globals";
import { ENGAGEMENT_LEVELS } from "./levels.ts";
import { checkMemberText } from "./member-language.ts";
import { evaluateRubric } from "./rubric.ts";
import {
  ADMIN_EXPLANATION_MAX,
  adminExplanation,
  clampText,
  KEY_FACTOR_MAX,
  keyFactors,
  MEMBER_EXPLANATION_MAX,
  memberExplanation,
} from "./templates.ts";
import { buildSignals, SIGNALS_BY_LEVEL } from "./testing/build-signals.ts";

/** Cases that reach each template branch, including the odd ones (carried levels with no attendance). */
const CASES = {
  ...SIGNALS_BY_LEVEL,
  carriedHighlyEngaged: buildSignals({ orgEvents30: 0, orgEvents90: 0, attended30: 0, attended90: 0, previousLevel: "highly_engaged" }),
  carriedModerate: buildSignals({ orgEvents30: 0, orgEvents90: 0, attended30: 0, attended90: 0, upcomingRegistrations: 0 }),
  atRiskWithUpcoming: buildSignals({ attended30: 0, attended90: 0, upcomingRegistrations: 3 }),
  nullRecency: buildSignals({ lastAttendedDaysAgo: null, noShows90: 0 }),
  huge: buildSignals({
    tenureDays: 99_999,
    orgEvents30: 9_999,
    orgEvents90: 99_999,
    orgEvents180: 999_999,
    attended30: 9_999,
    attended90: 99_999,
    attended180: 999_999,
    registered90: 99_999,
    noShows90: 99_999,
    upcomingRegistrations: 99_999,
    lastAttendedDaysAgo: 99_999,
    previousLevel: "highly_engaged",
  }),
};

describe.each(Object.entries(CASES))("templates for %s", (_name, signals) => {
  const rubric = evaluateRubric(signals);

  it("member text for every level passes the language guard, is second person and within the limit", () => {
    for (const level of ENGAGEMENT_LEVELS) {
      const text = memberExplanation(level, signals);
      expect(checkMemberText(text)).toEqual({ ok: true, offending: [] });
      expect(text).toMatch(/\byou/i);
      expect(text.length).toBeLessThanOrEqual(MEMBER_EXPLANATION_MAX);
    }
  });

  it("admin text names the decision and the 90-day numbers, within the limit", () => {
    const text = adminExplanation(signals, rubric);
    expect(text.length).toBeLessThanOrEqual(ADMIN_EXPLANATION_MAX);
    expect(text).toContain(`Rules: ${rubric.level}`);
    expect(text).toContain(`${signals.attended90}/${signals.orgEvents90}`);
  });

  it("key factors are 1 to 5 short strings", () => {
    const factors = keyFactors(signals, rubric);
    expect(factors.length).toBeGreaterThanOrEqual(1);
    expect(factors.length).toBeLessThanOrEqual(5);
    for (const f of factors) expect(f.length).toBeLessThanOrEqual(KEY_FACTOR_MAX);
  });

  it("is deterministic", () => {
    expect(adminExplanation(signals, rubric)).toBe(adminExplanation(signals, evaluateRubric(signals)));
    expect(memberExplanation(rubric.level, signals)).toBe(memberExplanation(rubric.level, signals));
  });
});

describe("template wording", () => {
  it("admin text for an at-risk member cites each trigger's numbers", () => {
    const s = SIGNALS_BY_LEVEL.at_risk;
    const text = adminExplanation(s, evaluateRubric(s));
    expect(text).toContain("from 5 in the previous 90 days to 1");
    expect(text).toContain("70 days ago");
    expect(text).toContain("2 no-shows out of 3 registrations");
  });
  it("member text counts attended events with correct plurals", () => {
    expect(memberExplanation("moderate", buildSignals({ attended90: 1, attended30: 1 }))).toContain("1 event in");
    expect(memberExplanation("highly_engaged", SIGNALS_BY_LEVEL.highly_engaged)).toContain("7 events");
  });
  it("member text mentions upcoming registrations when there are some", () => {
    expect(memberExplanation("at_risk", buildSignals({ upcomingRegistrations: 2 }))).toContain("your 2 upcoming events");
    expect(memberExplanation("at_risk", buildSignals({ upcomingRegistrations: 0 }))).toContain("what's coming up");
  });
  it("key factors for a declining member show the drop", () => {
    const s = SIGNALS_BY_LEVEL.at_risk;
    expect(keyFactors(s, evaluateRubric(s))[0]).toBe("Attendance down from 5 to 1 (previous vs last 90 days)");
  });
});

describe("clampText", () => {
  it("leaves short text alone", () => {
    expect(clampText("short", 10)).toBe("short");
  });
  it("cuts long text at a word boundary within the limit and marks the cut", () => {
    const out = clampText("alpha beta gamma delta", 12);
    expect(out).toBe("alpha beta…");
    expect(out.length).toBeLessThanOrEqual(12);
  });
});
