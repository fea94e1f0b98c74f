// The scheduler as a process: sets the nightly schedule, logs with pino, exits 78 naming a bad variable, and
// exits 0 on SIGTERM.
import { randomBytes } from "node:crypto";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

describe("scheduler process lifecycle", () => {
  let t: TestDatabase;
  const prefix = `{test-schedlife-${randomBytes(4).toString("hex")}}`;
  beforeAll(async () => {
    t = await createTestDatabase("schedlife");
  });
  afterAll(async () => t.drop());

  it("exits with code 78 naming NIGHTLY_CRON when it is not a cron pattern", async () => {
    const app = startApp("scheduler", {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      NIGHTLY_CRON: "every night",
    });
    expect(await new Promise((done) => app.child.once("exit", done))).toBe(78);
    expect(JSON.stringify(app.logs)).toContain("NIGHTLY_CRON");
  });

  it("logs the next nightly run and shuts down cleanly on SIGTERM", async () => {
    const app = startApp("scheduler", { DATABASE_URL: t.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: prefix, NIGHTLY_CRON: "0 4 * * *" });
    const line = await app.waitForLog((l) => l.msg === "nightly schedule set");
    expect(line).toMatchObject({ name: "scheduler", cron: "0 4 * * *", tz: "UTC" });
    expect(String(line.nextRunAt)).toMatch(/T04:00:00\.000Z$/);
    expect(await app.stop("SIGTERM")).toBe(0);
    expect(app.logs.some((l) => l.msg === "shutdown complete")).toBe(true);
  });
});
