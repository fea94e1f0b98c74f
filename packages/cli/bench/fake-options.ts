// The fake Anthropic server's settings per benchmark mode, and the worker environment each mode runs with.
//
// PENDING (being added to apps/worker while this bench was written): LLM_FINGERPRINT, LLM_MODE and
// LLM_BATCH_RUNS. Until they land the worker ignores env it does not read, and the tables say so (mode c notes
// when the fake saw no Message Batches request). Everything that depends on them is in this file. The fake's
// `faultRates`, `batchProcessingMs` and `stats().insideRetryAfter`, and LLM_MEMBERS_PER_REQUEST, have landed.
import { type FakeAnthropic, type FakeAnthropicOptions, startFakeAnthropic } from "@engagement/fake-anthropic";
import type { Mode } from "./night-args.ts";

export const FAKE_KEY = "bench-key";

export interface FakeSettings {
  latencyMs: number;
  requestsPerMinute: number;
  faultRate: number;
  batchProcessingMs: number;
}

/** Starts the fake for one mode. Mode a and the week are instant and unlimited: they measure orchestration and
 * request counts, not waiting. */
export async function startFakeFor(mode: Mode | "week", s: FakeSettings, now?: () => number): Promise<FakeAnthropic> {
  const limited = mode === "b" || mode === "c" || mode === "k1" || mode === "original";
  const options: FakeAnthropicOptions & Record<string, unknown> = {
    apiKey: FAKE_KEY,
    latencyMs: limited ? s.latencyMs : 0,
    ...(now ? { now } : {}),
    batchProcessingMs: s.batchProcessingMs,
    ...(limited
      ? { rateLimit: { requests: s.requestsPerMinute, windowMs: 60_000 }, faultRates: { rate_limited: s.faultRate }, faultSeed: 1 }
      : {}),
  };
  return startFakeAnthropic(options);
}

/** xorshift32: a few lines of deterministic randomness, enough for the week's check-in outcomes. */
export function seededChance(seed: number): () => number {
  let x = (seed * 0x9e3779b9) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

/** The worker's environment per mode (on top of the database, Redis and the fake's address). */
export function workerEnvFor(mode: Mode | "week", requestsPerMinute: number): Record<string, string> {
  const base: Record<string, string> = { ENGAGEMENT_CLASSIFIER: "anthropic", ANTHROPIC_API_KEY: FAKE_KEY };
  // Instant modes: the worker's own budget high enough never to be what limits them.
  const unlimited = { LLM_RATE_MAX_REQUESTS: "100000", LLM_RATE_WINDOW_MS: "60000" };
  // Limited modes: the worker's budget at the limit the fake enforces, as a deployment would configure it.
  const limited = { LLM_RATE_MAX_REQUESTS: String(requestsPerMinute), LLM_RATE_WINDOW_MS: "60000" };
  switch (mode) {
    case "a":
    case "week":
      return { ...base, ...unlimited, LLM_MODE: "realtime" };
    case "b":
      return { ...base, ...limited, LLM_MODE: "realtime" };
    case "c":
      return { ...base, ...limited, LLM_MODE: "batch", LLM_BATCH_RUNS: "all" };
    case "k1":
      // Chunks of 10 (the default before several members per request): at K = 1 a chunk of the default 100 is
      // 100 requests, two minutes at 50/min, and would write nothing inside the bench's window.
      return { ...base, ...limited, LLM_MODE: "realtime", LLM_MEMBERS_PER_REQUEST: "1", LLM_FINGERPRINT: "off", CLASSIFY_CHUNK_SIZE: "10" };
    default:
      // The original design's loop runs in the bench process, not in a worker.
      return base;
  }
}
