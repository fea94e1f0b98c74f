import { randomBytes } from "node:crypto";
import { TEST_REDIS_URL } from "@engagement/runtime/testing";
import { afterAll, describe, expect, it } from "@jest/globals";
import { createRedis } from "./connection.ts";
import { BudgetStoppedError, createRequestBudget, refillWait } from "./request-budget.ts";

describe("request budget (Redis, shared across processes)", () => {
  const redis = createRedis(TEST_REDIS_URL);
  const prefix = () => `{test-budget-${randomBytes(4).toString("hex")}}`;
  afterAll(async () => {
    redis.disconnect();
  });

  it("lets at most `max` requests through in any window, spaced window / max apart rather than in a burst", async () => {
    const budget = createRequestBudget(redis, prefix(), 5, 400);
    const started = Date.now();
    const times: number[] = [];
    await Promise.all(Array.from({ length: 12 }, () => budget.acquire().then(() => times.push(Date.now() - started))));
    times.sort((a, b) => a - b);
    // 12 requests at 5 per 400 ms: one every 80 ms, so the 12th goes at about 880 ms, not in three bursts.
    expect(times[0]!).toBeLessThan(100);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(70);
    expect(times[11]!).toBeGreaterThanOrEqual(850);
    expect(times[11]!).toBeLessThan(1500);
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

    it("waits every process until the next request is back when the provider's requests run out, not for the full reset", async () => {
      const p = prefix();
      const budget = createRequestBudget(redis, p, 100, 1000);
      const other = createRequestBudget(redis, p, 100, 1000);
      // 50 per minute, none left, full again in 60 s: one request is back in 1.2 s (the provider refills continuously).
      expect(await budget.observe({ requests: { remaining: 0, resetInMs: 60_000, limit: 50 } })).toBe(1200);
      // Without the limit the reset is all there is to go on.
      expect(refillWait({ remaining: 0, resetInMs: 400 }, 1)).toBe(400);
      const started = Date.now();
      await other.acquire();
      expect(Date.now() - started).toBeGreaterThanOrEqual(1100);
    });

    it("a 429 waits its retry-after, however far away the limit's full reset is", async () => {
      const budget = createRequestBudget(redis, prefix(), 100, 1000);
      expect(await budget.observe({ retryAfterMs: 300 })).toBe(300);
      const started = Date.now();
      await budget.acquire();
      const waited = Date.now() - started;
      expect(waited).toBeGreaterThanOrEqual(250);
      expect(waited).toBeLessThan(1000);
    });

    it("waits for the token reset when what is left would not cover one more request like the recent ones", async () => {
      const budget = createRequestBudget(redis, prefix(), 100, 1000);
      const used = { inputTokens: 5_000, outputTokens: 3_000 };
      // Plenty left: no pause, but the answer teaches the budget what a request costs.
      expect(await budget.observe({ inputTokens: plenty, outputTokens: plenty, used })).toBe(0);
      expect(await budget.observe({ inputTokens: { remaining: 4_000, resetInMs: 300 }, outputTokens: plenty, used })).toBe(300);
      expect(await budget.observe({ inputTokens: plenty, outputTokens: { remaining: 2_000, resetInMs: 250 }, used })).toBe(250);
      // With the limit known, only the time to refill the missing 1,000 input tokens: 1,000 of the 96,000 missing.
      expect(
        await budget.observe({ inputTokens: { remaining: 4_000, resetInMs: 96_000, limit: 100_000 }, outputTokens: plenty, used }),
      ).toBe(1000);
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
