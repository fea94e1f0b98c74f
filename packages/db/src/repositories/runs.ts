// Engagement runs: one per organisation per night (run_key "scheduled:YYYY-MM-DD") or per manual request.
// Counts are derived from the run's snapshots, so a retried job can never double-count.
import { randomUUID } from "node:crypto";
import type { Db, DbTx } from "../client.ts";
import type { RunStatus, RunTrigger } from "../generated/prisma/enums.ts";
import { batchProgressOfRuns } from "./provider-batches.ts";
import { ACTIVE_RUN_STATUSES } from "./run-summaries.ts";

export const scheduledRunKey = (runDate: string) => `scheduled:${runDate}`;
export const manualRunKey = () => `manual:${randomUUID()}`;

/**
 * Creates the run for (org, runKey) or returns the existing one: two schedulers agree on one run.
 * INSERT ... ON CONFLICT DO NOTHING rather than Prisma's upsert, which reads then writes and so fails with a
 * unique violation when two callers race.
 */
export async function createOrGetRun(
  db: Db | DbTx,
  input: { orgId: string; runKey: string; trigger: RunTrigger; force?: boolean; asOf?: Date | null },
) {
  await db.$executeRaw`
    INSERT INTO engagement_runs (org_id, run_key, trigger, force, as_of)
    VALUES (${input.orgId}::uuid, ${input.runKey}, ${input.trigger}::"RunTrigger", ${input.force ?? false}, ${input.asOf ?? null}::timestamptz)
    ON CONFLICT (org_id, run_key) DO NOTHING`;
  return db.engagementRun.findUniqueOrThrow({ where: { orgId_runKey: { orgId: input.orgId, runKey: input.runKey } } });
}

/** Organisations with at least one active member: the ones a nightly run covers. */
export async function listOrgIdsWithActiveMembers(db: Db): Promise<string[]> {
  const rows = await db.organization.findMany({
    where: { memberships: { some: { status: "active" } } },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  return rows.map((r) => r.id);
}

export async function getRun(db: Db, runId: string) {
  return db.engagementRun.findUnique({ where: { id: runId } });
}

/**
 * Marks the run started (first attempt only). asOf is kept when already set — a scheduled run's is its cron
 * instant, so nightly runs are exactly a day apart however late a worker starts them — and a retry keeps the
 * original, so all members of a run share it.
 */
export async function startRun(db: Db, runId: string, asOf: Date, membersTotal: number): Promise<{ asOf: Date }> {
  const started = await db.$queryRaw<{ as_of: Date }[]>`
    UPDATE engagement_runs
    SET status = 'running', as_of = coalesce(as_of, ${asOf}::timestamptz), started_at = now(), members_total = ${membersTotal}
    WHERE id = ${runId}::uuid AND status = 'queued'
    RETURNING as_of`;
  if (started[0]) return { asOf: started[0].as_of };
  // Already started (a retried prepare): its asOf stands, so every member of the run shares it.
  const run = await db.engagementRun.findUniqueOrThrow({ where: { id: runId }, select: { asOf: true } });
  if (!run.asOf) throw new Error(`run ${runId} is not queued and has no asOf`);
  return { asOf: run.asOf };
}

export interface RunProgress {
  runId: string;
  orgId: string;
  status: RunStatus;
  membersTotal: number;
  membersDone: number;
  /**
   * While the run waits for provider Message Batches: its requests not yet collected, those no batch holds yet,
   * and those whose batch the provider has ended; null otherwise.
   */
  providerBatch: { requests: number; queued: number; ended: number } | null;
}

export async function getRunsProgress(db: Db, runIds: string[]): Promise<RunProgress[]> {
  const runs = await db.engagementRun.findMany({ where: { id: { in: runIds } } });
  const counts = await db.engagementSnapshot.groupBy({ by: ["runId"], where: { runId: { in: runIds } }, _count: { _all: true } });
  const done = new Map(counts.map((c) => [c.runId, c._count._all]));
  const waiting = await batchProgressOfRuns(db, runIds);
  return runs.map((r) => ({
    runId: r.id,
    orgId: r.orgId,
    status: r.status,
    membersTotal: r.membersTotal,
    membersDone: done.get(r.id) ?? 0,
    providerBatch: waiting.get(r.id) ?? null,
  }));
}

/** The LLM usage columns a sum over snapshots or runs yields, with absent sums as 0. */
export const USAGE_SUM = { llmCalls: true, inputTokens: true, outputTokens: true, cacheReadTokens: true, cacheWriteTokens: true } as const;

export function usageTotals(sum: Partial<Record<keyof typeof USAGE_SUM, number | null>>) {
  return {
    llmCalls: sum.llmCalls ?? 0,
    inputTokens: sum.inputTokens ?? 0,
    outputTokens: sum.outputTokens ?? 0,
    cacheReadTokens: sum.cacheReadTokens ?? 0,
    cacheWriteTokens: sum.cacheWriteTokens ?? 0,
  };
}

/** Closes the run: counts per level and source, LLM calls, tokens and fallback reasons, all from its snapshots. */
export async function finalizeRun(db: Db, runId: string, extra: { error?: string } = {}) {
  const byLevel = await db.engagementSnapshot.groupBy({ by: ["level"], where: { runId }, _count: { _all: true } });
  const bySource = await db.engagementSnapshot.groupBy({ by: ["source"], where: { runId }, _count: { _all: true } });
  const byReason = await db.engagementSnapshot.groupBy({
    by: ["fallbackReason"],
    where: { runId, fallbackReason: { not: null } },
    _count: { _all: true },
  });
  const sums = await db.engagementSnapshot.aggregate({
    where: { runId },
    _sum: USAGE_SUM,
  });
  const level = (l: string) => byLevel.find((b) => b.level === l)?._count._all ?? 0;
  const fallbackReasons = Object.fromEntries(byReason.map((b) => [b.fallbackReason as string, b._count._all]));
  const errors = Object.values(fallbackReasons).reduce((a, b) => a + b, 0) + (extra.error ? 1 : 0);
  return db.engagementRun.update({
    where: { id: runId },
    data: {
      status: extra.error ? "failed" : "completed",
      finishedAt: new Date(),
      countHighlyEngaged: level("highly_engaged"),
      countModerate: level("moderate"),
      countAtRisk: level("at_risk"),
      countNew: level("new"),
      countInactive: level("inactive"),
      countsBySource: Object.fromEntries(bySource.map((b) => [b.source, b._count._all])),
      ...usageTotals(sums._sum),
      errors,
      errorDetails: { fallbackReasons, ...(extra.error ? { runError: extra.error } : {}) },
    },
  });
}

/** Marks an unfinished run failed; a run already completed or failed stays as it is. */
export async function failRun(db: Db | DbTx, runId: string, error: string) {
  return db.engagementRun.updateMany({
    where: { id: runId, status: { in: [...ACTIVE_RUN_STATUSES] } },
    data: { status: "failed", finishedAt: new Date(), errors: { increment: 1 }, errorDetails: { runError: error.slice(0, 300) } },
  });
}

/** Runs of the org not yet finished, newest first. */
export async function findActiveRuns(db: Db | DbTx, orgId: string) {
  return db.engagementRun.findMany({ where: { orgId, status: { in: [...ACTIVE_RUN_STATUSES] } }, orderBy: { createdAt: "desc" } });
}

/**
 * Runs `fn` holding a per-organisation lock (a transaction-scoped advisory lock), so that two requests for a
 * manual run of the same organisation cannot both see "no active run" and both create one. `fn` must use the
 * transaction client it is given: waiting requests each hold a pooled connection, and a second connection
 * taken inside the lock could wait for them for ever.
 */
export async function withOrgRunLock<T>(db: Db, orgId: string, fn: (tx: DbTx) => Promise<T>): Promise<T> {
  return db.$transaction(
    async (tx) => {
      // The key is built from the uuid's canonical text, so every spelling of one id takes one lock.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('engagement-run:' || ${orgId}::uuid::text))`;
      return fn(tx);
    },
    { timeout: 30_000 },
  );
}

/**
 * The run makes no more LLM calls (a spend cap was reached): every classify job of the run reads this before
 * calling and gives its members the rules result instead. The first reason and time are kept.
 */
export async function stopRunLlm(db: Db, runId: string, reason: string) {
  const { count } = await db.engagementRun.updateMany({
    where: { id: runId, llmStoppedReason: null },
    data: { llmStoppedReason: reason, llmStoppedAt: new Date() },
  });
  return { first: count === 1 };
}

/** One more 429/529 met by the run's classify jobs (counted as it happens, for the run summary and metrics). */
export async function countRateLimitedResponse(db: Db, runId: string) {
  await db.engagementRun.update({ where: { id: runId }, data: { rateLimitedResponses: { increment: 1 } } });
}
