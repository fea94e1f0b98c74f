// Deciding, for each member of a run, who decides: a recent result is carried over, facts decide the clear cases
// (rules), and the rest go to the classifier. Pure, so the org job computes the same partition on a retry.

import type { MemberResult, MemberSignalsRow } from "@engagement/db";
import { classifyWithRules, type EngagementSignals, evaluateRubric, isFactsDecided } from "@engagement/engagement";

export const RECENT_SLACK_MS = 3_600_000;

export interface Partition {
  carried: string[];
  decided: MemberResult[];
  toClassify: string[];
}

export function partitionMembers(
  rows: MemberSignalsRow[],
  opts: { asOf: Date; force: boolean; skipRecentHours: number; llm: boolean },
): Partition {
  // Results carry their run's asOf, and a scheduled run's asOf is its cron instant: nightly runs are a day
  // apart (23 or 25 hours across a daylight-saving change in a local time zone). The window is shortened by
  // an hour (at most a quarter of it) so a member computed last night is always recomputed tonight.
  const windowMs = opts.skipRecentHours * 3_600_000;
  const recentSince = opts.asOf.getTime() - windowMs + Math.min(RECENT_SLACK_MS, windowMs / 4);
  const out: Partition = { carried: [], decided: [], toClassify: [] };
  for (const row of rows) {
    const computed = row.lastComputedAt?.getTime();
    // Computed by an earlier run (strictly before this run's asOf) within the window: keep it.
    if (!opts.force && computed !== undefined && computed > recentSince && computed < opts.asOf.getTime()) {
      out.carried.push(row.userId);
      continue;
    }
    const { signals } = row;
    if (opts.llm && !isFactsDecided(evaluateRubric(signals))) {
      out.toClassify.push(row.userId);
      continue;
    }
    out.decided.push(toMemberResult(row.userId, signals, classifyWithRules(signals)));
  }
  return out;
}

export function toMemberResult(
  userId: string,
  signals: EngagementSignals,
  r: ReturnType<typeof classifyWithRules>,
  fallbackReason: string | null = r.fallbackReason,
): MemberResult {
  return {
    userId,
    level: r.level,
    source: fallbackReason && r.source === "rules" ? "fallback" : r.source,
    adminExplanation: r.adminExplanation,
    memberExplanation: r.memberExplanation,
    keyFactors: r.keyFactors,
    signals,
    model: r.model,
    fallbackReason,
    usage: r.usage,
  };
}

/** The rules' result for members the LLM could not judge, with the reason recorded (source "fallback"). */
export function rulesFallback(rows: Pick<MemberSignalsRow, "userId" | "signals">[], reason: string): MemberResult[] {
  return rows.map((row) => {
    return toMemberResult(row.userId, row.signals, classifyWithRules(row.signals), reason);
  });
}
