// What an LLM judgement was made from, as one comparable string: when tonight's string equals the one stored with
// a member's last judgement, nothing the judge could weigh has changed and the judgement can be reused.
import { DEFAULT_THRESHOLDS, evaluateRubric, type RubricThresholds } from "./rubric.ts";
import type { EngagementSignals } from "./signals.ts";

/** Who judges, as the classifier describes itself (Classifier.judgeIdentity) and the thresholds its rubric uses. */
export interface Judge {
  identity: string;
  thresholds: Readonly<RubricThresholds>;
}

/** Bumped whenever the bucketing below changes, so no fingerprint of the old scheme can match a new one. */
const FINGERPRINT_VERSION = "v1";

/**
 * The signals with day-by-day drift taken out. Counts are kept exactly: they change only when something happened
 * (an attendance, a registration, an event held, or an event sliding out of a 30/90/180-day window). Two fields
 * move every day by themselves:
 * - lastAttendedDaysAgo: the rubric only asks whether it is null, at most highlyEngagedWithinDays, or more than
 *   atRiskAfterDays, so it is bucketed at exactly those cut points. Within a bucket the judge may still weigh
 *   "3 days" differently from "25 days"; the maximum age of a reused judgement bounds that drift.
 * - tenureDays: below newMemberDays the rubric decides "new" whatever else holds; above it, tenure only colours
 *   the judge's view, so it is bucketed by doublings of newMemberDays (30-59, 60-119, 120-239 days, ...).
 * previousLevel is kept only where the rubric reads it (no event in 90 days). Elsewhere it is the last judgement
 * itself: the night after a member is judged, it holds that judgement, and counting it as a change would send
 * every judged member back to the LLM once for nothing new.
 * Equal buckets give the rubric the same level and step (inputs-fingerprint.test.ts checks it for any signals).
 */
export function bucketSignals(s: EngagementSignals, t: Readonly<RubricThresholds> = DEFAULT_THRESHOLDS): string {
  const tenure = tenureBucket(s.tenureDays, t.newMemberDays);
  const last = lastAttendedBucket(s.lastAttendedDaysAgo, t);
  const previous = s.orgEvents90 === 0 ? (s.previousLevel ?? "-") : "*";
  return [
    `t${tenure}`,
    `e${s.orgEvents30},${s.orgEvents90},${s.orgEvents180}`,
    `a${s.attended30},${s.attended90},${s.attended180}`,
    `r${s.registered90},${s.noShows90},${s.upcomingRegistrations}`,
    `l${last}`,
    `p${previous}`,
  ].join(" ");
}

/**
 * The fingerprint stored with an LLM result: the bucketed signals, the rubric's suggestion (the judge is shown
 * it) and the judge's identity, so a change of thresholds, prompt, tool or model makes every fingerprint differ.
 * Kept readable rather than hashed: two fingerprints side by side show what changed.
 */
export function inputsFingerprint(signals: EngagementSignals, judge: Judge): string {
  const rubric = evaluateRubric(signals, judge.thresholds);
  return `${FINGERPRINT_VERSION} ${bucketSignals(signals, judge.thresholds)} s${rubric.level}/${rubric.step} j${judge.identity}`;
}

/** The rules classifier's identity: its thresholds, in their declared order. */
export function rulesJudgeIdentity(t: Readonly<RubricThresholds>): string {
  const keys = Object.keys(DEFAULT_THRESHOLDS) as (keyof RubricThresholds)[];
  return `rules:${keys.map((k) => `${k}=${t[k]}`).join(",")}`;
}

function tenureBucket(days: number, newMemberDays: number): number {
  if (days < newMemberDays) return -1;
  const base = Math.max(newMemberDays, 1);
  return days < base ? 0 : Math.floor(Math.log2(days / base));
}

function lastAttendedBucket(days: number | null, t: Readonly<RubricThresholds>): string {
  if (days === null) return "-";
  // The rubric's two comparisons are `days <= highlyEngagedWithinDays` and `days > atRiskAfterDays`: a bucket per
  // side of each cut decides both, whichever cut is larger.
  const cuts = [t.highlyEngagedWithinDays, t.atRiskAfterDays].sort((a, b) => a - b);
  const index = cuts.findIndex((cut) => days <= cut);
  return String(index === -1 ? cuts.length : index);
}
