// The numbers behind the API's /metrics, read from the record of what ran (so every API replica agrees).
import type { Db } from "../client.ts";

/** The fallback reason the worker records when a chunk was sent back by 429s too often. */
export const RATE_LIMITED_REASON = "rate_limited";

export async function readEngagementMetrics(db: Db) {
  const [runs, members, sums, rateLimitedRuns] = await Promise.all([
    db.engagementRun.groupBy({ by: ["status"], _count: { _all: true } }),
    db.memberEngagement.groupBy({ by: ["source", "level"], _count: { _all: true } }),
    db.engagementRun.aggregate({
      _sum: {
        llmCalls: true,
        inputTokens: true,
        outputTokens: true,
        cacheReadTokens: true,
        cacheWriteTokens: true,
        rateLimitedResponses: true,
      },
    }),
    db.engagementRun.findMany({
      where: { errorDetails: { path: ["fallbackReasons", RATE_LIMITED_REASON], gt: 0 } },
      select: { errorDetails: true },
    }),
  ]);
  const rateLimitedFallbacks = rateLimitedRuns.reduce((sum, r) => {
    const reasons = (r.errorDetails as { fallbackReasons?: Record<string, unknown> } | null)?.fallbackReasons;
    return sum + Number(reasons?.[RATE_LIMITED_REASON] ?? 0);
  }, 0);
  return {
    runsByStatus: new Map(runs.map((r) => [r.status as string, r._count._all])),
    membersBySourceAndLevel: members.map((m) => ({ source: m.source as string, level: m.level as string, count: m._count._all })),
    llmCalls: sums._sum.llmCalls ?? 0,
    tokens: {
      input: sums._sum.inputTokens ?? 0,
      output: sums._sum.outputTokens ?? 0,
      cacheRead: sums._sum.cacheReadTokens ?? 0,
      cacheWrite: sums._sum.cacheWriteTokens ?? 0,
    },
    rateLimitedResponses: sums._sum.rateLimitedResponses ?? 0,
    rateLimitedFallbacks,
  };
}
