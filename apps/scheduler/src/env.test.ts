import { envErrorOf } from "@engagement/runtime/testing";
import { describe, expect, it } from "@jest/globals";
import { loadSchedulerEnv } from "./env.ts";

const sourceError = (source: Record<string, string>) => envErrorOf(() => loadSchedulerEnv(source));

describe("loadSchedulerEnv", () => {
  it("defaults to 04:00 UTC every night and the shared connection defaults", () => {
    expect(loadSchedulerEnv({})).toMatchObject({
      NIGHTLY_CRON: "0 4 * * *",
      NIGHTLY_TZ: "UTC",
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/engagement",
      REDIS_URL: "redis://127.0.0.1:6379",
      QUEUE_PREFIX: "{engagement}",
    });
  });

  it("accepts 5- and 6-field patterns and an IANA time zone", () => {
    expect(loadSchedulerEnv({ NIGHTLY_CRON: "30 2 * * 1-5", NIGHTLY_TZ: "Europe/Berlin" })).toMatchObject({
      NIGHTLY_CRON: "30 2 * * 1-5",
      NIGHTLY_TZ: "Europe/Berlin",
    });
    expect(loadSchedulerEnv({ NIGHTLY_CRON: "0 0 4 * * *" }).NIGHTLY_CRON).toBe("0 0 4 * * *");
  });

  it("rejects a too short NIGHTLY_CRON, naming it", () => {
    const err = sourceError({ NIGHTLY_CRON: "* *" });
    expect(err.issues).toHaveLength(1);
    expect(err.message).toContain("NIGHTLY_CRON: must be a cron pattern");
  });

  it("rejects a NIGHTLY_CRON that is long enough but not a cron pattern", () => {
    expect(sourceError({ NIGHTLY_CRON: "every night at four" }).message).toContain("NIGHTLY_CRON");
  });

  it("rejects an unknown NIGHTLY_TZ at start instead of when the schedule is set", () => {
    const err = sourceError({ NIGHTLY_TZ: "Mars/Olympus_Mons" });
    expect(err.message).toContain("NIGHTLY_TZ");
    expect(err.message).toContain('"Mars/Olympus_Mons"');
  });

  it("names a bad DATABASE_URL", () => {
    expect(sourceError({ DATABASE_URL: "mysql://x" }).message).toContain("DATABASE_URL");
  });
});
