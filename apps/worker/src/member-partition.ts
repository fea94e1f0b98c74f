// Deciding, for each member of a run, who decides: a recent result is carried over, and so is an LLM judgement
// whose inputs have not changed; facts decide the clear cases (rules), and the rest go to the classifier. Pure, so
// the org job computes the same partition on a retry.

import type { CarriedMember, MemberResult, MemberSignalsRow } from "@engagement/db";
import {
  type ClassificationResult,
  classifyWithRules,
  type EngagementSignals,
  evaluateRubric,
  inputsFingerprint,
  isFactsDecided,
  type Judge,
  resultFromRubric,
} from "@engagement/engagement";

export const RECENT_SLACK_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface Partition {
  carried: CarriedMember[];
  decided: MemberResult[];
  toClassify: string[];
}

export interface PartitionOptions {
  asOf: Date;
  force: boolean;
  skipRecentHours: number;
  /** The classifier's identity and thresholds: its rubric decides the clear cases and shapes the fingerprint. */
  judge: Judge;
  /** Whether the members the facts leave open go to an LLM (false with the rules classifier). */
  llm: boolean;
  /** How long an unchanged LLM judgement may be reused; null when reuse is off. */
  fingerprintMaxAgeDays: number | null;
}

/** An hour off a window (at most a quarter of it): results carry their run's asOf, a cron instant, and nightly
 * runs are 23 or 25 hours apart across a daylight-saving change in a local time zone. */
const since = (asOf: Date, windowMs: number) => asOf.getTime() - windowMs + Math.min(RECENT_SLACK_MS, windowMs / 4);

export function partitionMembers(rows: MemberSignalsRow[], opts: PartitionOptions): Partition {
  // The skip window is shortened by the slack so a member computed last night is always recomputed tonight; the
  // maximum age likewise, so a judgement made N nights ago is made afresh on the Nth night.
  const recentSince = since(opts.asOf, opts.skipRecentHours * 3_600_000);
  const maxAge = opts.fingerprintMaxAgeDays;
  const reusableSince = maxAge === null ? null : since(opts.asOf, maxAge * DAY_MS);
  const out: Partition = { carried: [], decided: [], toClassify: [] };
  for (const row of rows) {
    const computed = row.lastComputedAt?.getTime();
    // Computed by an earlier run (strictly before this run's asOf): results of this very run are never carried.
    const earlier = !opts.force && computed !== undefined && computed < opts.asOf.getTime();
    if (earlier && computed > recentSince) {
      out.carried.push({ userId: row.userId, reason: "recent" });
      continue;
    }
    const { signals } = row;
    const rubric = evaluateRubric(signals, opts.judge.thresholds);
    if (opts.llm && !isFactsDecided(rubric)) {
      // The same judge, shown inputs that differ in nothing it (or the rubric) weighs, would be asked the same
      // question: the judgement it gave stands, until it is older than the maximum age.
      const unchanged =
        earlier &&
        reusableSince !== null &&
        computed > reusableSince &&
        row.lastSource === "llm" &&
        row.lastFingerprint === inputsFingerprint(signals, opts.judge);
      if (unchanged) out.carried.push({ userId: row.userId, reason: "inputs_unchanged" });
      else out.toClassify.push(row.userId);
      continue;
    }
    out.decided.push(toMemberResult(row.userId, signals, resultFromRubric(signals, rubric)));
  }
  return out;
}

export function toMemberResult(
  userId: string,
  signals: EngagementSignals,
  r: ClassificationResult,
  fallbackReason: string | null = r.fallbackReason,
): MemberResult {
  const source = fallbackReason && r.source === "rules" ? "fallback" : r.source;
  return {
    userId,
    level: r.level,
    source,
    adminExplanation: r.adminExplanation,
    memberExplanation: r.memberExplanation,
    keyFactors: r.keyFactors,
    signals,
    model: r.model,
    fallbackReason,
    // Only a model's judgement is worth reusing; the rules cost nothing to apply again.
    inputsFingerprint: source === "llm" ? (r.inputsFingerprint ?? null) : null,
    usage: r.usage,
  };
}

/** The rules' result for members the LLM could not judge, with the reason recorded (source "fallback"). */
export function rulesFallback(rows: Pick<MemberSignalsRow, "userId" | "signals">[], reason: string): MemberResult[] {
  return rows.map((row) => {
    return toMemberResult(row.userId, row.signals, classifyWithRules(row.signals), reason);
  });
}
