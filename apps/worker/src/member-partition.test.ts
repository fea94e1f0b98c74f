import type { MemberSignalsRow } from "@engagement/db";
import { buildSignals, SIGNALS_BY_LEVEL } from "@engagement/engagement/testing";
import { describe, expect, it } from "@jest/globals";
import { partitionMembers } from "./member-partition.ts";

const HOUR = 3_600_000;
const asOf = new Date("2026-11-26T04:00:05Z");
const row = (userId: string, computedAgoMs: number | null, signals = SIGNALS_BY_LEVEL.moderate): MemberSignalsRow => ({
  userId,
  signals,
  lastComputedAt: computedAgoMs === null ? null : new Date(asOf.getTime() - computedAgoMs),
});
const opts = { asOf, force: false, skipRecentHours: 24, llm: true };

describe("partitionMembers", () => {
  it("recomputes a member computed by last night's run, even when tonight's run starts a little earlier", () => {
    const lastNight = row("a", 24 * HOUR - 30_000);
    expect(partitionMembers([lastNight], opts).carried).toEqual([]);
  });

  it("carries a member computed earlier today (a manual run after the nightly one)", () => {
    expect(partitionMembers([row("a", 2 * HOUR)], opts).carried).toEqual(["a"]);
  });

  it("does not treat a result of this very run (stamped with its asOf) as carried", () => {
    expect(partitionMembers([row("a", 0)], opts).carried).toEqual([]);
  });

  it("keeps the slack to a quarter of a short window (SKIP_RECENT_HOURS=1 still skips)", () => {
    expect(partitionMembers([row("a", 30 * 60_000)], { ...opts, skipRecentHours: 1 }).carried).toEqual(["a"]);
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
});
