import type { MemberSignalsRow } from "@engagement/db";
import { DEFAULT_THRESHOLDS, type EngagementSignals, inputsFingerprint, rulesJudgeIdentity } from "@engagement/engagement";
import { buildSignals, SIGNALS_BY_LEVEL } from "@engagement/engagement/testing";
import { describe, expect, it } from "@jest/globals";
import { partitionMembers } from "./member-partition.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const asOf = new Date("2026-11-26T04:00:05Z");
const judge = { identity: "anthropic:test-model:0000", thresholds: DEFAULT_THRESHOLDS };
const row = (userId: string, computedAgoMs: number | null, signals = SIGNALS_BY_LEVEL.moderate): MemberSignalsRow => ({
  userId,
  signals,
  lastComputedAt: computedAgoMs === null ? null : new Date(asOf.getTime() - computedAgoMs),
  lastSource: computedAgoMs === null ? null : "rules",
  lastFingerprint: null,
});
/** A member the LLM judged `agoMs` before asOf from `judgedFrom`, seen tonight with `signals`. */
const judged = (userId: string, agoMs: number, judgedFrom: EngagementSignals, signals = judgedFrom): MemberSignalsRow => ({
  ...row(userId, agoMs, signals),
  lastSource: "llm",
  lastFingerprint: inputsFingerprint(judgedFrom, judge),
});
const opts = { asOf, force: false, skipRecentHours: 24, judge, llm: true, fingerprintMaxAgeDays: 7 };
const carriedIds = (rows: MemberSignalsRow[], o = opts) => partitionMembers(rows, o).carried;

describe("partitionMembers", () => {
  it("recomputes a member computed by last night's run, even when tonight's run starts a little earlier", () => {
    const lastNight = row("a", 24 * HOUR - 30_000);
    expect(partitionMembers([lastNight], opts).carried).toEqual([]);
  });

  it("carries a member computed earlier today (a manual run after the nightly one)", () => {
    expect(partitionMembers([row("a", 2 * HOUR)], opts).carried).toEqual([{ userId: "a", reason: "recent" }]);
  });

  it("does not treat a result of this very run (stamped with its asOf) as carried", () => {
    expect(partitionMembers([row("a", 0)], opts).carried).toEqual([]);
  });

  it("keeps the slack to a quarter of a short window (SKIP_RECENT_HOURS=1 still skips)", () => {
    expect(partitionMembers([row("a", 30 * 60_000)], { ...opts, skipRecentHours: 1 }).carried).toEqual([{ userId: "a", reason: "recent" }]);
    expect(partitionMembers([row("a", 50 * 60_000)], { ...opts, skipRecentHours: 1 }).carried).toEqual([]);
  });

  it("--force recomputes recent members", () => {
    expect(partitionMembers([row("a", HOUR)], { ...opts, force: true }).carried).toEqual([]);
  });

  it("sends only members the facts leave open to the LLM; facts-decided ones get the rules result", () => {
    const part = partitionMembers(
      [row("new", null, SIGNALS_BY_LEVEL.new), row("inactive", null, SIGNALS_BY_LEVEL.inactive), row("open", null, buildSignals())],
      opts,
    );
    expect(part.toClassify).toEqual(["open"]);
    expect(part.decided.map((d) => [d.userId, d.level, d.source])).toEqual([
      ["new", "new", "rules"],
      ["inactive", "inactive", "rules"],
    ]);
  });

  it("decides everyone with the rules when no LLM is configured", () => {
    const part = partitionMembers([row("open", null, buildSignals())], { ...opts, llm: false });
    expect(part.toClassify).toEqual([]);
    expect(part.decided).toHaveLength(1);
  });

  describe("an LLM judgement whose inputs have not changed", () => {
    const open = buildSignals({ lastAttendedDaysAgo: 5 });
    const quietDaysLater = (days: number) => ({ ...open, tenureDays: open.tenureDays + days, lastAttendedDaysAgo: 5 + days });

    it("is carried with the reason inputs_unchanged when the days drifted but nothing happened", () => {
      expect(carriedIds([judged("a", 3 * DAY, open, quietDaysLater(3))])).toEqual([{ userId: "a", reason: "inputs_unchanged" }]);
    });

    it("is judged again after a new attendance", () => {
      const attended = { ...open, attended30: open.attended30 + 1, attended90: open.attended90 + 1, attended180: open.attended180 + 1 };
      expect(partitionMembers([judged("a", DAY, open, { ...attended, lastAttendedDaysAgo: 0 })], opts).toClassify).toEqual(["a"]);
    });

    it("is judged again once it is as old as the maximum age, a daylight-saving hour short included", () => {
      expect(carriedIds([judged("a", 6 * DAY, open)])).toHaveLength(1);
      expect(partitionMembers([judged("a", 7 * DAY - HOUR, open)], opts).toClassify).toEqual(["a"]);
    });

    it("is judged again by another judge (thresholds, prompt or model changed)", () => {
      const other = { ...opts, judge: { ...judge, identity: "anthropic:other-model:0000" } };
      expect(partitionMembers([judged("a", DAY, open)], other).toClassify).toEqual(["a"]);
    });

    it("is not reused when the current result is not the LLM's, when reuse is off, or in a forced run", () => {
      const fallback = { ...judged("a", DAY, open), lastSource: "fallback" as const };
      expect(partitionMembers([fallback], opts).toClassify).toEqual(["a"]);
      expect(partitionMembers([judged("a", DAY, open)], { ...opts, fingerprintMaxAgeDays: null }).toClassify).toEqual(["a"]);
      expect(partitionMembers([judged("a", DAY, open)], { ...opts, force: true }).toClassify).toEqual(["a"]);
    });

    it("never applies to members the facts decide, nor with the rules classifier", () => {
      expect(partitionMembers([judged("a", DAY, SIGNALS_BY_LEVEL.inactive)], opts).decided).toHaveLength(1);
      const rules = { ...opts, llm: false, judge: { identity: rulesJudgeIdentity(DEFAULT_THRESHOLDS), thresholds: DEFAULT_THRESHOLDS } };
      expect(partitionMembers([judged("a", DAY, open)], rules).decided).toHaveLength(1);
    });
  });
});
