// From what a mode measured to the figures the tables print: per judged member, per 1,000 members, and the
// whole night (measured, or extrapolated from a timed subset).

import { costUsd, extrapolateFinishMs, nightCostUsd, type Prices, type Tokens } from "./night-math.ts";
import type { NightResult } from "./night-run.ts";
import type { OriginalResult } from "./original-design.ts";

export interface ModeFigures {
  mode: string;
  title: string;
  /** Whether the night ran to its end; otherwise the night figures are extrapolated. */
  complete: boolean;
  measuredMs: number;
  /** The whole night (all members), measured or extrapolated; null when the subset made no progress. */
  nightMs: number | null;
  membersTotal: number;
  /** Members that needed the LLM in the whole night (facts decide the rest). */
  needLlm: number;
  judgedDone: number;
  /** Members in the requests the fake answered (written or not yet). */
  membersAnswered: number;
  requests: number;
  rateLimited: number;
  insideRetryAfter: number | null;
  achievedRpm: number | null;
  limitRpm: number | null;
  tokensPerJudged: Tokens;
  requestsPer1000: number | null;
  costPer1000: number | null;
  batch: boolean;
  peakWorkerRssMb: number | null;
  peakRedisMb: number | null;
  notes: string[];
}

const perMember = (t: Tokens, n: number): Tokens =>
  n > 0
    ? { input: t.input / n, output: t.output / n, cacheRead: t.cacheRead / n, cacheWrite: t.cacheWrite / n }
    : { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

const achieved = (r: { answeredEarly: { ms: number; done: number }; answeredLast: { ms: number; done: number } }, fromStart: boolean) => {
  const from = fromStart ? { ms: 0, done: 0 } : r.answeredEarly;
  const minutes = (r.answeredLast.ms - from.ms) / 60_000;
  return minutes > 0 ? (r.answeredLast.done - from.done) / minutes : null;
};

export function nightFigures(
  mode: string,
  title: string,
  r: NightResult,
  needLlm: number,
  prices: Prices,
  limitRpm: number | null,
): ModeFigures {
  const u = r.usage;
  const judgedDone = (u.bySource.llm ?? 0) + (u.bySource.fallback ?? 0);
  const tokens = { input: u.inputTokens, output: u.outputTokens, cacheRead: u.cacheReadTokens, cacheWrite: u.cacheWriteTokens };
  const batch = r.batchRequests > 0;
  const cost = nightCostUsd(u, u.viaBatch, prices);
  const share = u.membersTotal > 0 ? needLlm / u.membersTotal : 0;
  const requests = r.fake.answered;
  const notes: string[] = [];
  if (!r.complete) {
    notes.push(
      `stopped after ${(r.wallMs / 1000).toFixed(0)} s with ${r.last.done} of ${needLlm} LLM members answered (${judgedDone} written): the night's time, requests and cost are extrapolated`,
    );
  }
  const inside = (r.fake as unknown as { insideRetryAfter?: number }).insideRetryAfter;
  return {
    mode,
    title,
    complete: r.complete,
    measuredMs: r.wallMs,
    nightMs: r.complete ? r.wallMs : extrapolateFinishMs(r.early, r.last, needLlm),
    membersTotal: u.membersTotal,
    needLlm,
    judgedDone,
    membersAnswered: r.last.done,
    requests,
    rateLimited: r.fake.rateLimited,
    insideRetryAfter: typeof inside === "number" ? inside : null,
    achievedRpm: achieved(r, r.complete),
    limitRpm,
    tokensPerJudged: perMember(tokens, u.bySource.llm ?? 0),
    requestsPer1000: r.last.done > 0 ? (requests / r.last.done) * share * 1000 : null,
    costPer1000: judgedDone > 0 ? (cost / judgedDone) * share * 1000 : null,
    batch,
    peakWorkerRssMb: r.peakWorkerRssMb,
    peakRedisMb: r.peakRedisMb,
    notes,
  };
}

export function originalFigures(r: OriginalResult, prices: Prices, limitRpm: number): ModeFigures {
  const cost = costUsd(r.tokens, prices);
  const done = r.last.done;
  return {
    mode: "original",
    title: "baseline 1: the original design (sequential, one uncached request per member, 100 ms / 500 ms pauses)",
    complete: done >= r.membersTotal,
    measuredMs: r.wallMs,
    // From the start: the loop has no start-up, and at 50 requests/min a half window can fall entirely into one
    // retry-after wait (50 requests in the first 30 s, then none), which a rate between two samples would miss.
    nightMs: extrapolateFinishMs({ ms: 0, done: 0 }, r.last, r.membersTotal),
    membersTotal: r.membersTotal,
    needLlm: r.membersTotal,
    judgedDone: done,
    membersAnswered: done - r.failed,
    requests: r.fake.answered,
    rateLimited: r.fake.rateLimited,
    insideRetryAfter: null,
    achievedRpm: achieved(r, true),
    limitRpm,
    tokensPerJudged: perMember(r.tokens, done - r.failed),
    requestsPer1000: done > 0 ? (r.fake.answered / done) * 1000 : null,
    costPer1000: done > 0 ? (cost / done) * 1000 : null,
    batch: false,
    peakWorkerRssMb: null,
    peakRedisMb: null,
    notes: [
      `stopped after ${(r.wallMs / 1000).toFixed(0)} s with ${done} of ${r.membersTotal} members sent (${r.failed} failed after the SDK's retries): the night is extrapolated`,
      "runs in the bench process (no worker, no Redis): no RSS or Redis figure",
    ],
  };
}
