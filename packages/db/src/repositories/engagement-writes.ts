// Writing classification results. Each member's result lands in the run's snapshot (unique per user, org and
// run) and, only when that snapshot is new, in member_engagements — so a retried or duplicated job never writes
// a member twice or changes counts. Override columns are never touched here: an active override stays, and the
// computed level is stored beside it.
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
  /** What an LLM judgement was made from (the engagement package's inputsFingerprint); null for other sources. */
  inputsFingerprint: string | null;
  usage: { llmCalls: number; inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number };
  /** Answered through a provider Message Batch (billed at the batch discount). */
  viaBatch?: boolean;
}

/** Stores results of one run, stamped with the run's asOf; returns how many members were new to the run (the rest were already written). */
export async function writeMemberResults(db: Db, runId: string, orgId: string, computedAt: Date, results: MemberResult[]): Promise<number> {
  if (results.length === 0) return 0;
  // One JSON document rather than an array parameter per column: the driver escapes every element of a text
  // array (the signals and explanations are full of quotes) and PostgreSQL parses each array literal again. Measured
  // on 100 x 1,000 members: the bind of this statement went from about 18 to 7 ms per 1,000 rows, and the driver's
  // escaping (about 0.4 s of worker CPU per 100,000 members) is gone.
  const rows = results.map((r) => ({
    user_id: r.userId,
    level: r.level,
    source: r.source,
    admin: r.adminExplanation,
    member: r.memberExplanation,
    key_factors: r.keyFactors,
    signals: r.signals,
    fingerprint: r.inputsFingerprint,
    model: r.model,
    reason: r.fallbackReason,
    llm_calls: r.usage.llmCalls,
    inp: r.usage.inputTokens,
    outp: r.usage.outputTokens,
    cread: r.usage.cacheReadTokens,
    cwrite: r.usage.cacheWriteTokens,
    via_batch: r.viaBatch ?? false,
  }));
  const written = await db.$queryRaw<{ n: number }[]>`
    WITH input AS (
      SELECT t.* FROM json_to_recordset(${JSON.stringify(rows)}::json) AS t(
        user_id uuid, level text, source text, admin text, member text, key_factors text[], signals jsonb, fingerprint text,
        model text, reason text, llm_calls int, inp int, outp int, cread int, cwrite int, via_batch boolean)
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
             i.key_factors, i.signals, i.fingerprint, i.model, i.reason,
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
 * Why a member's current result is kept rather than computed again: it is recent (within the skip window), or it
 * is an LLM judgement whose inputs have not changed since (the same inputs fingerprint, younger than the maximum age).
 */
export type CarriedReason = "recent" | "inputs_unchanged";

export interface CarriedMember {
  userId: string;
  reason: CarriedReason;
}

/**
 * Members whose current result is kept: the run records a snapshot with source "carried", the kept level and
 * signals, and the reason, and leaves member_engagements as it is — so its computed_at stays that of the real
 * computation, from which the skip window and the fingerprint's maximum age are counted.
 */
export async function writeCarried(db: Db, runId: string, orgId: string, members: CarriedMember[]): Promise<number> {
  if (members.length === 0) return 0;
  return db.$executeRaw`
    INSERT INTO engagement_snapshots (user_id, org_id, run_id, level, source, signals, carried_reason)
    SELECT me.user_id, me.org_id, ${runId}::uuid, me.level, 'carried', me.signals, c.reason
    FROM unnest(${members.map((m) => m.userId)}::uuid[], ${members.map((m) => m.reason)}::text[]) AS c(user_id, reason)
    JOIN member_engagements me ON me.org_id = ${orgId}::uuid AND me.user_id = c.user_id
    JOIN users u ON u.id = me.user_id
    -- As in writeMemberResults: a member erased meanwhile is skipped rather than failing the insert.
    FOR KEY SHARE OF u
    ON CONFLICT (user_id, org_id, run_id) DO NOTHING`;
}

/** Active members of the organisation without a result in this run yet, in userId order: one statement. */
export async function membersMissingFromRun(db: Db, runId: string, orgId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ user_id: string }[]>`
    SELECT m.user_id::text AS user_id
    FROM memberships m
    WHERE m.org_id = ${orgId}::uuid AND m.status = 'active'
      AND NOT EXISTS (SELECT 1 FROM engagement_snapshots s WHERE s.user_id = m.user_id AND s.org_id = m.org_id AND s.run_id = ${runId}::uuid)
    ORDER BY m.user_id`;
  return rows.map((r) => r.user_id);
}

/** Of the given members, those already written in this run. */
export async function membersDoneInRun(db: Db, runId: string, userIds?: string[]): Promise<Set<string>> {
  const rows = await db.engagementSnapshot.findMany({
    where: { runId, ...(userIds ? { userId: { in: userIds } } : {}) },
    select: { userId: true },
  });
  return new Set(rows.map((r) => r.userId));
}
