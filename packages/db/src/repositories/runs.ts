// Engagement runs: one per organisation per night (run_key "scheduled:YYYY-MM-DD") or per manual request.
// Counts are derived from the run's snapshots, so a retried job can never double-count.
import { randomUUID } from "node:crypto";
import type { Db, DbTx } from "../client.ts";
import type { RunStatus, RunTrigger } from "../generated/prisma/enums.ts";
import { recountEngagementLevels } from "./level-counts.ts";
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
 * Marks the run started (first attempt only) and counts its organisation's active members. asOf is kept when
 * already set — a scheduled run's is its cron instant, so nightly runs are exactly a day apart however late a
 * worker starts them — and a retry keeps the original, so all members of a run share it.
 */
export async function startRun(db: Db, runId: string, asOf: Date): Promise<{ asOf: Date }> {
  const started = await db.$queryRaw<{ as_of: Date }[]>`
    UPDATE engagement_runs r
    SET status = 'running', as_of = coalesce(r.as_of, ${asOf}::timestamptz), started_at = now(),
        members_total = (SELECT count(*)::int FROM memberships m WHERE m.org_id = r.org_id AND m.status = 'active')
    WHERE r.id = ${runId}::uuid AND r.status = 'queued'
    RETURNING r.as_of`;
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

/**
 * Closes the run: counts per level, source and carried reason, LLM calls, tokens and fallback reasons, all from
 * its snapshots, in one statement (the run's last step, once per organisation per night).
 */
export async function finalizeRun(db: Db, runId: string, extra: { error?: string } = {}) {
  const error = extra.error ?? null;
  const rows = await db.$queryRaw<{ members_total: number; llm_calls: number; org_id: string }[]>`
    WITH s AS (
      SELECT level, source, fallback_reason, carried_reason, llm_calls, input_tokens, output_tokens,
             cache_read_tokens, cache_write_tokens
      FROM engagement_snapshots WHERE run_id = ${runId}::uuid
    ),
    totals AS (
      SELECT count(*) FILTER (WHERE level = 'highly_engaged')::int AS highly_engaged,
             count(*) FILTER (WHERE level = 'moderate')::int AS moderate,
             count(*) FILTER (WHERE level = 'at_risk')::int AS at_risk,
             count(*) FILTER (WHERE level = 'new')::int AS new,
             count(*) FILTER (WHERE level = 'inactive')::int AS inactive,
             count(fallback_reason)::int AS fallbacks,
             coalesce(sum(llm_calls), 0)::int AS llm_calls, coalesce(sum(input_tokens), 0)::int AS input_tokens,
             coalesce(sum(output_tokens), 0)::int AS output_tokens, coalesce(sum(cache_read_tokens), 0)::int AS cache_read,
             coalesce(sum(cache_write_tokens), 0)::int AS cache_write
      FROM s
    ),
    by_source AS (SELECT coalesce(jsonb_object_agg(source, n), '{}') AS j FROM (SELECT source, count(*) AS n FROM s GROUP BY source) x),
    by_carried AS (
      SELECT coalesce(jsonb_object_agg(carried_reason, n), '{}') AS j
      FROM (SELECT carried_reason, count(*) AS n FROM s WHERE carried_reason IS NOT NULL GROUP BY carried_reason) x
    ),
    by_fallback AS (
      SELECT coalesce(jsonb_object_agg(fallback_reason, n), '{}') AS j
      FROM (SELECT fallback_reason, count(*) AS n FROM s WHERE fallback_reason IS NOT NULL GROUP BY fallback_reason) x
    )
    UPDATE engagement_runs r
    SET status = (CASE WHEN ${error}::text IS NULL THEN 'completed' ELSE 'failed' END)::"RunStatus",
        finished_at = now(),
        count_highly_engaged = t.highly_engaged, count_moderate = t.moderate, count_at_risk = t.at_risk,
        count_new = t.new, count_inactive = t.inactive,
        counts_by_source = bs.j, counts_by_carried_reason = bc.j,
        llm_calls = t.llm_calls, input_tokens = t.input_tokens, output_tokens = t.output_tokens,
        cache_read_tokens = t.cache_read, cache_write_tokens = t.cache_write,
        errors = t.fallbacks + (CASE WHEN ${error}::text IS NULL THEN 0 ELSE 1 END),
        error_details = jsonb_build_object('fallbackReasons', bf.j)
          || (CASE WHEN ${error}::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('runError', ${error}::text) END)
    FROM totals t, by_source bs, by_carried bc, by_fallback bf
    WHERE r.id = ${runId}::uuid
    RETURNING r.members_total, r.llm_calls, r.org_id::text AS org_id`;
  const row = rows[0];
  if (!row) throw new Error(`run ${runId} does not exist`);
  // The summary's counts made exact once a night (see level-counts.ts); a run's writes are done by now.
  await recountEngagementLevels(db, row.org_id);
  return { membersTotal: row.members_total, llmCalls: row.llm_calls };
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
