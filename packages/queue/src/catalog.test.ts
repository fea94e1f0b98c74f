import { describe, expect, it } from "@jest/globals";
import { UnrecoverableError } from "bullmq";
import { failedAttemptLog, InvalidPayloadError, isLastAttempt, parsePayload } from "./catalog.ts";

const RUN = "6f1c1c1e-8f0a-4d6e-9a55-2a7cf1f1a001";

describe("job catalog", () => {
  it("the org-run step state is part of its schema: a new job, a prepared one, and an older job without it all parse", () => {
    expect(parsePayload("orgRun", { runId: RUN })).toEqual({ runId: RUN });
    expect(parsePayload("orgRun", { runId: RUN, step: "finalize", classifyJobs: 3 })).toEqual({
      runId: RUN,
      step: "finalize",
      classifyJobs: 3,
    });
  });

  it("refuses a payload that does not fit, for good (no retry)", () => {
    expect(() => parsePayload("orgRun", { runId: RUN, step: "done" })).toThrow(InvalidPayloadError);
    expect(() => parsePayload("classify", { runId: RUN, orgId: RUN, userIds: [] })).toThrow(/invalid classify payload/);
  });

  it("knows a job's last attempt", () => {
    expect(isLastAttempt({ attemptsMade: 2, opts: { attempts: 3 } })).toBe(true);
    expect(isLastAttempt({ attemptsMade: 1, opts: { attempts: 3 } })).toBe(false);
    expect(isLastAttempt({ attemptsMade: 0, opts: {} })).toBe(true);
  });
});

describe("failedAttemptLog", () => {
  const job = (attemptsMade: number, attempts = 4) => ({ attemptsMade, opts: { attempts } });

  it("an attempt BullMQ will retry is a warning with its number, not an error", () => {
    expect(failedAttemptLog(job(1), new Error("503"))).toEqual({
      level: "warn",
      msg: "job attempt failed; BullMQ will retry it",
      attempt: 1,
      attempts: 4,
    });
    expect(failedAttemptLog(job(3), new Error("503")).level).toBe("warn");
  });

  it("the last attempt, or a failure no attempt can mend, is an error: that needs a person", () => {
    expect(failedAttemptLog(job(4), new Error("503"))).toMatchObject({ level: "error", msg: "job failed for good", attempt: 4 });
    expect(failedAttemptLog(job(1), new UnrecoverableError("bad payload")).level).toBe("error");
    expect(failedAttemptLog(undefined, new Error("lost")).level).toBe("error");
  });
});
