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

  describe("observe: pacing from the provider's rate-limit headers", () => {
    const plenty = { remaining: 1_000_000, resetInMs: 60_000 };

    it("waits every process until the reset when the requests the provider has left run out", async () => {
      const p = prefix();
      const budget = createRequestBudget(redis, p, 100, 1000);
      const other = createRequestBudget(redis, p, 100, 1000);
      expect(await budget.observe({ requests: { remaining: 0, resetInMs: 400 } })).toBe(400);
      const started = Date.now();
      await other.acquire();
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    });

    it("waits for the token reset when what is left would not cover one more request like the recent ones", async () => {
      const budget = createRequestBudget(redis, prefix(), 100, 1000);
      const used = { inputTokens: 5_000, outputTokens: 3_000 };
      // Plenty left: no pause, but the answer teaches the budget what a request costs.
      expect(await budget.observe({ inputTokens: plenty, outputTokens: plenty, used })).toBe(0);
      expect(await budget.observe({ inputTokens: { remaining: 4_000, resetInMs: 300 }, outputTokens: plenty, used })).toBe(300);
      expect(await budget.observe({ inputTokens: plenty, outputTokens: { remaining: 2_000, resetInMs: 250 }, used })).toBe(250);
      // Enough for one more: the provider's limit is used to the end rather than left idle.
      expect(
        await budget.observe({
          inputTokens: { remaining: 6_000, resetInMs: 300 },
          outputTokens: { remaining: 4_000, resetInMs: 300 },
          used,
        }),
      ).toBe(0);
    });

    it("ignores limits the answer did not report", async () => {
      const budget = createRequestBudget(redis, prefix(), 100, 1000);
      expect(await budget.observe({})).toBe(0);
      const started = Date.now();
      await budget.acquire();
      expect(Date.now() - started).toBeLessThan(200);
    });
  });
});
