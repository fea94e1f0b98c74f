// The night benchmark's pure parts (packages/cli/bench): its arguments, its extrapolation and its prices. Here
// rather than beside them because jest's testMatch covers src/ and test/ only.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { parseNightArgs } from "../bench/night-args.ts";
import { costUsd, extrapolateFinishMs, nightCostUsd, type Prices, ratio } from "../bench/night-math.ts";

const prices = JSON.parse(readFileSync(new URL("../bench/prices.json", import.meta.url), "utf8")) as Prices;

describe("night bench arguments", () => {
  it("defaults to every mode at 100 x 1,000 members and drops the -- pnpm passes on", () => {
    const a = parseNightArgs(["--"]);
    expect(a).toMatchObject({
      orgs: 100,
      members: 1000,
      modes: ["a", "b", "c", "d", "original", "k1"],
      requestsPerMinute: 50,
      faultRate: 0.05,
    });
  });

  it("takes a list of modes and sizes, and refuses an unknown mode or a size that is not a positive integer", () => {
    expect(parseNightArgs(["--modes", "a,d,a", "--orgs", "4", "--latency", "0"])).toMatchObject({
      modes: ["a", "d"],
      orgs: 4,
      latencyMs: 0,
    });
    expect(() => parseNightArgs(["--modes", "a,z"])).toThrow('unknown mode "z"');
    expect(() => parseNightArgs(["--orgs", "2.5"])).toThrow("--orgs must be a positive integer");
    expect(() => parseNightArgs(["--fault-rate", "1"])).toThrow("--fault-rate");
  });
});

describe("extrapolating a stopped night", () => {
  it("finishes the units left at the rate between the two samples, not the average since the tick", () => {
    // 20 s of start-up with nothing done, then 10 units/s: 1,000 units end at 20 s + 100 s.
    expect(extrapolateFinishMs({ ms: 40_000, done: 200 }, { ms: 60_000, done: 400 }, 1000)).toBe(120_000);
  });

  it("returns the measured time when everything was done, and null without progress", () => {
    expect(extrapolateFinishMs({ ms: 1000, done: 5 }, { ms: 2000, done: 10 }, 10)).toBe(2000);
    expect(extrapolateFinishMs({ ms: 1000, done: 5 }, { ms: 2000, done: 5 }, 10)).toBeNull();
  });
});

describe("cost from the price table", () => {
  it("prices each kind of token at its own rate per million (Haiku 5.5: 0.10 in, 0.50 out, 0.01 cache read, 0.125 5-minute write)", () => {
    const usd = costUsd({ input: 1e6, output: 1e6, cacheRead: 1e6, cacheWrite: 1e6 }, prices);
    expect(usd).toBeCloseTo(0.1 + 0.5 + 0.01 + 0.125, 10);
    expect(costUsd({ input: 0, output: 0, cacheRead: 0, cacheWrite: 1e6 }, prices, { cacheWriteTtl: "1h" })).toBeCloseTo(0.2, 10);
  });

  it("prices a night's batch part at half price with 1-hour cache writes, and the real-time rest at full price", () => {
    const total = { inputTokens: 3e6, outputTokens: 2e6, cacheReadTokens: 4e6, cacheWriteTokens: 2e6 };
    const viaBatch = { inputTokens: 1e6, outputTokens: 1e6, cacheReadTokens: 4e6, cacheWriteTokens: 1e6 };
    // Real-time: 2M in, 1M out, 1M 5-minute writes; batch: (1M in, 1M out, 4M reads, 1M 1-hour writes) / 2.
    const expected = 0.2 + 0.5 + 0.125 + (0.1 + 0.5 + 0.04 + 0.2) / 2;
    expect(nightCostUsd(total, viaBatch, prices)).toBeCloseTo(expected, 10);
  });

  it("halves everything for batch requests", () => {
    const t = { input: 2e6, output: 1e6, cacheRead: 5e6, cacheWrite: 1e5 };
    expect(costUsd(t, prices, { batch: true })).toBeCloseTo(costUsd(t, prices) / 2, 10);
  });

  it("states a ratio as baseline over value, and '-' when a side is missing", () => {
    expect(ratio(300, 10)).toBe("30.0x");
    expect(ratio(5, 10)).toBe("0.50x");
    expect(ratio(null, 10)).toBe("-");
    expect(ratio(10, 0)).toBe("-");
  });
});
