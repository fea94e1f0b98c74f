// Totals over runs that may still be in progress (the night benchmark watches them): finalizeRun writes a run's
// own totals only when it closes, so a run stopped part-way is summed from its snapshots instead.
import type { Db } from "../client.ts";
import { USAGE_SUM, usageTotals } from "./runs.ts";

export interface RunsUsage {
  runs: number;
  started: number;
  finished: number;
  membersTotal: number;
  /** Members with a snapshot in these runs, per source ("rules", "llm", "fallback", "carried"). */
  bySource: Record<string, number>;
  llmCalls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  rateLimitedResponses: number;
  lastFinishedAt: Date | null;
  /** The part of the tokens answered through Message Batches (billed at the batch discount, 1-hour cache writes). */
  viaBatch: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
}

export async function sumRunsUsage(db: Db, runIds: string[]): Promise<RunsUsage> {
  const runs = await db.engagementRun.findMany({
    where: { id: { in: runIds } },
    select: { status: true, startedAt: true, finishedAt: true, membersTotal: true, rateLimitedResponses: true },
  });
  const bySource = await db.engagementSnapshot.groupBy({ by: ["source"], where: { runId: { in: runIds } }, _count: { _all: true } });
  const sums = await db.engagementSnapshot.aggregate({ where: { runId: { in: runIds } }, _sum: USAGE_SUM });
  const batch = usageTotals(
    (await db.engagementSnapshot.aggregate({ where: { runId: { in: runIds }, viaBatch: true }, _sum: USAGE_SUM }))._sum,
  );
  const finishedAt = runs.map((r) => r.finishedAt?.getTime() ?? 0);
  return {
    runs: runs.length,
    started: runs.filter((r) => r.startedAt !== null).length,
    finished: runs.filter((r) => r.status === "completed" || r.status === "failed").length,
    membersTotal: runs.reduce((n, r) => n + r.membersTotal, 0),
    bySource: Object.fromEntries(bySource.map((b) => [b.source, b._count._all])),
    ...usageTotals(sums._sum),
    rateLimitedResponses: runs.reduce((n, r) => n + r.rateLimitedResponses, 0),
    lastFinishedAt: runs.length && finishedAt.every((t) => t > 0) ? new Date(Math.max(...finishedAt)) : null,
    viaBatch: {
      inputTokens: batch.inputTokens,
      outputTokens: batch.outputTokens,
      cacheReadTokens: batch.cacheReadTokens,
      cacheWriteTokens: batch.cacheWriteTokens,
    },
  };
}

/** Forgets every run and result, keeping members and attendance: a benchmark's next mode starts from the same data. */
export async function clearRunHistory(db: Db): Promise<void> {
  // CASCADE: every table that hangs off a run (batches, staged signals, tables added later) goes with it.
  await db.$executeRawUnsafe(
    "TRUNCATE engagement_runs, engagement_snapshots, engagement_override_history, member_engagements, engagement_level_counts, engagement_override_counts, provider_batches CASCADE",
  );
}
