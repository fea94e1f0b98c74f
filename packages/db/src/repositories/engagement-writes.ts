// Writing classification results. Each member's result lands in the run's snapshot (unique per user, org and
// run) and, only when that snapshot is new, in member_engagements — so a retried or duplicated job never writes
// a member twice or changes counts. Override columns are never touched here: an active override stays, and the
// computed level is stored beside it.
import { createHash } from "node:crypto";
import type { Db } from "../client.ts";
import type { EngagementLevel } from "../generated/prisma/enums.ts";

export interface MemberResult {
  userId: string;
  level: EngagementLevel;
  source: "rules" | "llm" | "fallback";
  adminExplanation: string;
  memberExplanation: string;
  keyFactors: string[];
  signals: object;
  model: string | null;
  fallbackReason: string | null;
  usage: { llmCalls: number; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
  /** Answered through a provider Message Batch (billed at the batch discount). */
  viaBatch?: boolean;
}

/** A stable digest of what a result was computed from: the signals and who judged them. */
export function inputsFingerprint(signals: object, judge: string): string {
  return createHash("sha256").update(JSON.stringify(signals)).update("\0").update(judge).digest("hex").slice(0, 32);
}

/** Stores results of one run, stamped with the run's asOf; returns how many members were new to the run (the rest were already written). */
export async function writeMemberResults(db: Db, runId: string, orgId: string, computedAt: Date, results: MemberResult[]): Promise<number> {
  if (results.length === 0) return 0;
  const col = <T>(f: (r: MemberResult) => T) => results.map(f);
  const written = await db.$queryRaw<{ n: number }[]>`
    WITH input AS (
      SELECT * FROM unnest(
        ${col((r) => r.userId)}::uuid[], ${col((r) => r.level)}::text[], ${col((r) => r.source)}::text[],
        ${col((r) => r.adminExplanation)}::text[], ${col((r) => r.memberExplanation)}::text[],
        ${col((r) => JSON.stringify(r.keyFactors))}::jsonb[], ${col((r) => JSON.stringify(r.signals))}::jsonb[],
        ${col((r) => inputsFingerprint(r.signals, r.model ?? r.source))}::text[], ${col((r) => r.model)}::text[],
        ${col((r) => r.fallbackReason)}::text[], ${col((r) => r.usage.llmCalls)}::int[], ${col((r) => r.usage.inputTokens)}::int[],
        ${col((r) => r.usage.outputTokens)}::int[], ${col((r) => r.usage.cacheReadTokens)}::int[],
        ${col((r) => r.usage.cacheWriteTokens)}::int[], ${col((r) => r.viaBatch ?? false)}::boolean[]
      ) AS t(user_id, level, source, admin, member, key_factors, signals, fingerprint, model, reason, llm_calls, inp, outp, cread, cwrite, via_batch)
      -- A member erased while the job ran is skipped, not an error: the lock waits for an erasure in progress,
      -- after which the deleted user's row is no longer found.
      JOIN users u ON u.id = t.user_id
      FOR KEY SHARE OF u
    ),
    snap AS (
      INSERT INTO engagement_snapshots (user_id, org_id, run_id, level, source, signals, fallback_reason,
                                        llm_calls, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, via_batch)
      SELECT user_id, ${orgId}::uuid, ${runId}::uuid, level::"EngagementLevel", source::"EngagementSource", signals, reason,
             llm_calls, inp, outp, cread, cwrite, via_batch
      FROM input
      ON CONFLICT (user_id, org_id, run_id) DO NOTHING
      RETURNING user_id
    ),
    upsert AS (
      INSERT INTO member_engagements (user_id, org_id, level, source, admin_explanation, member_explanation, key_factors,
                                      signals, inputs_fingerprint, model, fallback_reason, input_tokens, output_tokens,
                                      cache_read_tokens, cache_write_tokens, computed_at, run_id, updated_at)
      SELECT i.user_id, ${orgId}::uuid, i.level::"EngagementLevel", i.source::"EngagementSource", i.admin, i.member,
             ARRAY(SELECT jsonb_array_elements_text(i.key_factors)), i.signals, i.fingerprint, i.model, i.reason,
             i.inp, i.outp, i.cread, i.cwrite, ${computedAt}::timestamptz, ${runId}::uuid, now()
      FROM input i JOIN snap s ON s.user_id = i.user_id
      ON CONFLICT (user_id, org_id) DO UPDATE SET
        level = EXCLUDED.level, source = EXCLUDED.source, admin_explanation = EXCLUDED.admin_explanation,
        member_explanation = EXCLUDED.member_explanation, key_factors = EXCLUDED.key_factors, signals = EXCLUDED.signals,
        inputs_fingerprint = EXCLUDED.inputs_fingerprint, model = EXCLUDED.model, fallback_reason = EXCLUDED.fallback_reason,
        input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
        cache_read_tokens = EXCLUDED.cache_read_tokens, cache_write_tokens = EXCLUDED.cache_write_tokens,
        computed_at = EXCLUDED.computed_at, run_id = EXCLUDED.run_id, updated_at = now()
      -- A late write from an older run never replaces a newer run's result.
      WHERE member_engagements.computed_at <= EXCLUDED.computed_at
      RETURNING 1
    )
    SELECT count(*)::int AS n FROM snap`;
  return written[0]?.n ?? 0;
}

/**
 * Members computed recently keep their level: the run records a snapshot with source "carried" and leaves
 * member_engagements as it is.
 */
export async function writeCarried(db: Db, runId: string, orgId: string, userIds: string[]): Promise<number> {
  if (userIds.length === 0) return 0;
  return db.$executeRaw`
    INSERT INTO engagement_snapshots (user_id, org_id, run_id, level, source, signals)
    SELECT me.user_id, me.org_id, ${runId}::uuid, me.level, 'carried', me.signals
    FROM member_engagements me
    JOIN users u ON u.id = me.user_id
    WHERE me.org_id = ${orgId}::uuid AND me.user_id = ANY(${userIds}::uuid[])
    -- As in writeMemberResults: a member erased meanwhile is skipped rather than failing the insert.
    FOR KEY SHARE OF u
    ON CONFLICT (user_id, org_id, run_id) DO NOTHING`;
}

/** Of the given members, those already written in this run. */
export async function membersDoneInRun(db: Db, runId: string, userIds?: string[]): Promise<Set<string>> {
  const rows = await db.engagementSnapshot.findMany({
    where: { runId, ...(userIds ? { userId: { in: userIds } } : {}) },
    select: { userId: true },
  });
  return new Set(rows.map((r) => r.userId));
}
