// The numbers behind the API's /metrics, read from the record of what ran (so every API replica agrees).
import type { Db } from "../client.ts";
import { USAGE_SUM, usageTotals } from "./runs.ts";

/** The fallback reason the worker records when a chunk was sent back by 429s too often. */
export const RATE_LIMITED_REASON = "rate_limited";
/** The fallback reason, and a run's llmStoppedReason, when a provider spend cap stopped the run's LLM calls. */
export const SPEND_LIMIT_REASON = "spend_limit";

/** Members given the rules result for `reason`, summed over the runs' error details. */
async function fallbacksFor(db: Db, reason: string): Promise<number> {
  const runs = await db.engagementRun.findMany({
    where: { errorDetails: { path: ["fallbackReasons", reason], gt: 0 } },
    select: { errorDetails: true },
  });
  return runs.reduce((sum, r) => {
    const reasons = (r.errorDetails as { fallbackReasons?: Record<string, unknown> } | null)?.fallbackReasons;
    return sum + Number(reasons?.[reason] ?? 0);
  }, 0);
}

export async function readEngagementMetrics(db: Db) {
  const [runs, members, sums, rateLimitedFallbacks, spendLimitedFallbacks, spendLimitedRuns] = await Promise.all([
    db.engagementRun.groupBy({ by: ["status"], _count: { _all: true } }),
    db.memberEngagement.groupBy({ by: ["source", "level"], _count: { _all: true } }),
    db.engagementRun.aggregate({
      _sum: { ...USAGE_SUM, rateLimitedResponses: true },
    }),
    fallbacksFor(db, RATE_LIMITED_REASON),
    fallbacksFor(db, SPEND_LIMIT_REASON),
    db.engagementRun.count({ where: { llmStoppedReason: SPEND_LIMIT_REASON } }),
  ]);
  return {
    runsByStatus: new Map(runs.map((r) => [r.status as string, r._count._all])),
    membersBySourceAndLevel: members.map((m) => ({ source: m.source as string, level: m.level as string, count: m._count._all })),
    ...(({ llmCalls, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens }) => ({
      llmCalls,
      tokens: { input: inputTokens, output: outputTokens, cacheRead: cacheReadTokens, cacheWrite: cacheWriteTokens },
    }))(usageTotals(sums._sum)),
    rateLimitedResponses: sums._sum.rateLimitedResponses ?? 0,
    rateLimitedFallbacks,
    spendLimitedFallbacks,
    spendLimitedRuns,
  };
}

/** Whether the database answers (the API's /health). */
export async function pingDatabase(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}
