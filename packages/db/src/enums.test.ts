// The database's enums and the domain's lists are one fact in two languages (SQL and TypeScript): they must agree.
import { ENGAGEMENT_LEVELS, ENGAGEMENT_SOURCES } from "@engagement/engagement";
import { describe, expect, it } from "@jest/globals";
import { EngagementLevel, EngagementSource, RunStatus } from "./generated/prisma/enums.ts";
import { RUN_STATUSES } from "./repositories/run-summaries.ts";

describe("enums", () => {
  it("the database's engagement levels and sources are the domain's, in the same order", () => {
    expect(Object.values(EngagementLevel)).toEqual([...ENGAGEMENT_LEVELS]);
    expect(Object.values(EngagementSource)).toEqual([...ENGAGEMENT_SOURCES]);
  });

  it("RUN_STATUSES lists the run status enum in lifecycle order", () => {
    expect(RUN_STATUSES).toEqual(Object.values(RunStatus));
    expect(RUN_STATUSES).toEqual(["queued", "running", "completed", "failed"]);
  });
});
