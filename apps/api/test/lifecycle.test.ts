// The API as a process: listens, answers /health, exits 78 naming a bad variable, and exits 0 on SIGTERM.
import { randomBytes } from "node:crypto";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { startApp } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

describe("api process lifecycle", () => {
  let t: TestDatabase;
  const prefix = `{test-apilife-${randomBytes(4).toString("hex")}}`;
  const port = String(20_000 + Math.floor(Math.random() * 20_000));
  beforeAll(async () => {
    t = await createTestDatabase("apilife");
  });
  afterAll(async () => t.drop());

  it("exits with code 78 naming API_JWT_SECRET when it is too short", async () => {
    const app = startApp("api", {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      API_PORT: port,
      API_JWT_SECRET: "short",
    });
    expect(await new Promise((done) => app.child.once("exit", done))).toBe(78);
    expect(JSON.stringify(app.logs)).toContain("API_JWT_SECRET");
    expect(JSON.stringify(app.logs)).not.toContain('"short"');
  });

  it("serves /health and shuts down cleanly on SIGTERM", async () => {
    const app = startApp("api", {
      DATABASE_URL: t.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      API_PORT: port,
      API_JWT_SECRET: randomBytes(32).toString("hex"),
    });
    await app.waitForLog((l) => l.msg === "api listening");
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ database: "ok", redis: "ok" });
    expect(await app.stop("SIGTERM")).toBe(0);
    expect(app.logs.some((l) => l.msg === "shutdown complete")).toBe(true);
  });
});
