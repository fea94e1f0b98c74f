// The night benchmark's arithmetic: extrapolating a timed subset to the whole night, and pricing tokens.

/** A progress sample: milliseconds since the tick and units done (members judged, requests answered). */
export interface Sample {
  ms: number;
  done: number;
}

/**
 * When a run stopped part-way would have finished: from the last sample, the units left at the rate seen
 * between the two samples. The early sample is taken once the run is under way (half the window), so start-up
 * and the facts-decided members written in the first seconds do not flatter the rate. Null without progress.
 */
export function extrapolateFinishMs(early: Sample, last: Sample, total: number): number | null {
  if (last.done >= total) return last.ms;
  const rate = (last.done - early.done) / (last.ms - early.ms);
  if (!(rate > 0) || !Number.isFinite(rate)) return null;
  return last.ms + (total - last.done) / rate;
}

export interface Prices {
  model: string;
  /** USD per million tokens, for prompts up to longPromptThresholdTokens. */
  perMTok: { input: number; output: number; cacheWrite5m: number; cacheWrite1h: number; cacheRead: number };
  /** Batch requests pay this share of every price (0.5: half price). */
  batchFactor: number;
  longPromptThresholdTokens: number;
}

export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Cost in USD. Cache writes are priced at the 5-minute rate unless told otherwise: the clients here mark
 * `cache_control: {type: "ephemeral"}` without a ttl, which is the 5-minute cache. */
export function costUsd(t: Tokens, prices: Prices, opts: { batch?: boolean; cacheWriteTtl?: "5m" | "1h" } = {}): number {
  const p = prices.perMTok;
  const write = opts.cacheWriteTtl === "1h" ? p.cacheWrite1h : p.cacheWrite5m;
  const usd = (t.input * p.input + t.output * p.output + t.cacheRead * p.cacheRead + t.cacheWrite * write) / 1e6;
  return opts.batch ? usd * prices.batchFactor : usd;
}

/**
 * A night's cost with its two parts priced apart: what Message Batches answered at the batch discount with 1-hour
 * cache writes (the TTL batch requests use), the rest (real-time, including what a batch handed back) at the
 * standard price with 5-minute writes.
 */
export function nightCostUsd(
  total: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number },
  viaBatch: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number },
  prices: Prices,
): number {
  const tokens = (u: typeof total): Tokens => ({
    input: u.inputTokens,
    output: u.outputTokens,
    cacheRead: u.cacheReadTokens,
    cacheWrite: u.cacheWriteTokens,
  });
  const realtime = {
    inputTokens: total.inputTokens - viaBatch.inputTokens,
    outputTokens: total.outputTokens - viaBatch.outputTokens,
    cacheReadTokens: total.cacheReadTokens - viaBatch.cacheReadTokens,
    cacheWriteTokens: total.cacheWriteTokens - viaBatch.cacheWriteTokens,
  };
  return costUsd(tokens(realtime), prices) + costUsd(tokens(viaBatch), prices, { batch: true, cacheWriteTtl: "1h" });
}

/** "12.3x" (how many times the baseline's figure this one is), or "-" when either side is missing or zero. */
export function ratio(baseline: number | null, value: number | null): string {
  if (baseline === null || value === null || !(value > 0) || !(baseline > 0)) return "-";
  const r = baseline / value;
  return `${r >= 100 ? Math.round(r).toLocaleString("en") : r.toFixed(r >= 10 ? 1 : 2)}x`;
}

/** Seconds as "42 s", "12.5 min" or "3.4 h". */
export function duration(ms: number | null): string {
  if (ms === null) return "-";
  const s = ms / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
