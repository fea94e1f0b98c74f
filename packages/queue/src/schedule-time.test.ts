import { describe, expect, it } from "@jest/globals";
import { runDateOf, scheduledInstant } from "./schedule-time.ts";

describe("scheduledInstant", () => {
  it("reads the due instant from a scheduler job id, even when timestamp + delay falls just before midnight", () => {
    const due = Date.UTC(2026, 10, 27, 0, 0, 0);
    const job = { id: `repeat:engagement-nightly:${due}`, timestamp: due - 86_400_000 + 5, opts: { delay: 86_400_000 - 87 } };
    expect(scheduledInstant(job).getTime()).toBe(due);
    expect(runDateOf(scheduledInstant(job))).toBe("2026-11-27");
  });

  it("falls back to timestamp + delay for other jobs", () => {
    expect(scheduledInstant({ id: "17", timestamp: 1000, opts: { delay: 500 } }).getTime()).toBe(1500);
    expect(scheduledInstant({ id: undefined, timestamp: 1000, opts: {} }).getTime()).toBe(1000);
  });
});
