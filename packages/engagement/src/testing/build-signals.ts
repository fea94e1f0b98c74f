import type { EngagementSignals } from "../signals.ts";

/**
 * A steady, moderately engaged long-standing member: every rubric test starts here and changes only the
 * fields it is about, so each test reads as "this fact alone moves the result".
 */
export function buildSignals(overrides: Partial<EngagementSignals> = {}): EngagementSignals {
  return {
    tenureDays: 400,
    orgEvents30: 4,
    orgEvents90: 10,
    orgEvents180: 20,
    attended30: 1,
    attended90: 3,
    attended180: 5,
    registered90: 4,
    noShows90: 1,
    upcomingRegistrations: 1,
    lastAttendedDaysAgo: 10,
    previousLevel: "moderate",
    ...overrides,
  };
}

/** One signals fixture per level the rules can reach, for tests that must cover every level. */
export const SIGNALS_BY_LEVEL = {
  new: buildSignals({ tenureDays: 5, previousLevel: null }),
  inactive: buildSignals({
    attended30: 0,
    attended90: 0,
    attended180: 0,
    registered90: 0,
    noShows90: 0,
    upcomingRegistrations: 0,
    lastAttendedDaysAgo: null,
  }),
  at_risk: buildSignals({ attended30: 0, attended90: 1, attended180: 6, lastAttendedDaysAgo: 70, noShows90: 2, registered90: 3 }),
  moderate: buildSignals(),
  highly_engaged: buildSignals({ attended30: 3, attended90: 7, attended180: 12, registered90: 7, noShows90: 0, lastAttendedDaysAgo: 3 }),
} satisfies Record<string, EngagementSignals>;
