import { randomBytes } from "node:crypto";
import { TEST_REDIS_URL } from "@engagement/runtime/testing";
import { afterAll, describe, expect, it } from "@jest/globals";
import { createRedis } from "./connection.ts";
import { BudgetStoppedError, createRequestBudget } from "./request-budget.ts";

describe("request budget (Redis, shared across processes)", () => {
  const redis = createRedis(TEST_REDIS_URL);
  const prefix = () => `{test-budget-${randomBytes(4).toString("hex")}}`;
  afterAll(async () => {
    redis.disconnect();
  });

  it("lets at most `max` requests through in any window, then the next as the window slides", async () => {
    const budget = createRequestBudget(redis, prefix(), 5, 400);
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(Array.from({ length: 12 }, () => budget.acquire().then(() => times.push(Date.now() - started))));
    times.sort((a, b) => a - b);
    // 12 requests at 5 per 400 ms: the 6th waits for the first window, the 11th for the second.
    expect(times[4]!).toBeLessThan(200);
    expect(times[5]!).toBeGreaterThanOrEqual(380);
    expect(times[10]!).toBeGreaterThanOrEqual(780);
    // The window holds on Redis's clock; times seen here carry the round trip and event-loop jitter of a loaded
    // 2-core machine (375 ms was seen once), so the client-side check allows 30 ms of it.
    for (let i = 5; i < times.length; i++) expect(times[i]! - times[i - 5]!).toBeGreaterThanOrEqual(350);
  });

  it("holds every caller while paused, and a shorter pause does not cut a longer one", async () => {
    const budget = createRequestBudget(redis, prefix(), 100, 1000);
    await budget.pause(500);
    await budget.pause(100);
    const started = Date.now();
    await Promise.all([budget.acquire(), budget.acquire()]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it("stops waiting when the caller aborts", async () => {
    const budget = createRequestBudget(redis, prefix(), 1, 10_000);
    await budget.acquire();
    const controller = new AbortController();
    const waiting = budget.acquire(controller.signal);
    setTimeout(() => controller.abort(new Error("shutdown")), 50);
    await expect(waiting).rejects.toThrow("shutdown");
  });

  it("stop makes every caller fail at once with the reason, sharing no request, until it expires", async () => {
    const p = prefix();
    const budget = createRequestBudget(redis, p, 100, 1000);
    const other = createRequestBudget(redis, p, 100, 1000);
    await budget.stop("spend_limit", 300);
    await expect(other.acquire()).rejects.toThrow(new BudgetStoppedError("spend_limit"));
    await expect(budget.acquire()).rejects.toBeInstanceOf(BudgetStoppedError);
    expect(await redis.zcard(`${p}:llm-budget:requests`)).toBe(0);
    await new Promise((r) => setTimeout(r, 350));
    await expect(other.acquire()).resolves.toBeUndefined();
  });
});
