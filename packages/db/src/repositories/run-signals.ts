// Signals computed once per member per run: the prepare step computes the whole organisation's in one statement
// and stages those of the members it leaves for the LLM; classify jobs and batches read them back instead of
// computing them again. A member not staged (a job queued before this existed, a member handed on later) is
// computed as before, so a reader never goes without.
import { EngagementSignals } from "@engagement/engagement";
import type { Db } from "../client.ts";
import { computeSignals, type MemberSignalsRow } from "./signals.ts";

export type StagedSignals = Pick<MemberSignalsRow, "userId" | "signals">;

/** Stages the signals of these members for the run; a repeated prepare adds nothing twice. */
export async function stageRunSignals(db: Db, runId: string, orgId: string, rows: StagedSignals[]): Promise<void> {
  if (rows.length === 0) return;
  const doc = JSON.stringify(rows.map((r) => ({ user_id: r.userId, signals: r.signals })));
  await db.$executeRaw`
    INSERT INTO run_member_signals (run_id, user_id, org_id, signals)
    SELECT ${runId}::uuid, t.user_id, ${orgId}::uuid, t.signals
    FROM json_to_recordset(${doc}::json) AS t(user_id uuid, signals jsonb)
    ON CONFLICT (run_id, user_id) DO NOTHING`;
}

/** The members' signals for this run: staged ones read back, the rest computed as of the run's asOf. */
export async function runSignals(db: Db, runId: string, orgId: string, asOf: Date, userIds: string[]): Promise<StagedSignals[]> {
  if (userIds.length === 0) return [];
  const staged = await db.$queryRaw<{ user_id: string; signals: unknown }[]>`
    SELECT user_id::text AS user_id, signals FROM run_member_signals
    WHERE run_id = ${runId}::uuid AND user_id = ANY(${userIds}::uuid[])`;
  const rows: StagedSignals[] = staged.map((r) => ({ userId: r.user_id, signals: EngagementSignals.parse(r.signals) }));
  const found = new Set(rows.map((r) => r.userId));
  const missing = userIds.filter((id) => !found.has(id));
  if (missing.length > 0) rows.push(...(await computeSignals(db, orgId, asOf, missing)));
  // In the order asked for, as computeSignals answers.
  const order = new Map(userIds.map((id, i) => [id, i]));
  return rows.sort((a, b) => (order.get(a.userId) ?? 0) - (order.get(b.userId) ?? 0));
}

/** The run is over: its staged signals are no longer needed. */
export async function dropRunSignals(db: Db, runId: string): Promise<void> {
  await db.$executeRaw`DELETE FROM run_member_signals WHERE run_id = ${runId}::uuid`;
}
