// Provider trouble mixed into a multi-organisation night at a configured rate: 429s with retry-after, 529s, 500s,
// calls that time out, connections dropped mid-answer, malformed tool input and refusals, the spend cap in provider-spend-cap.test.ts.
// The night must finish with every invariant, say why members fell back, and take a bounded multiple of the
// clean night's time.
import { afterAll, describe, expect, it } from "@jest/globals";
import type { Pipeline } from "../harness.ts";
import { expectNightInvariants, nightOf } from "../night-invariants.ts";
import { MIX, night } from "./provider-night.ts";

describe("a night under a 10 % mix of provider faults", () => {
  const opened: Pipeline[] = [];
  afterAll(async () => {
    for (const p of opened) await p.close();
  });

  it("completes with every invariant, records why members fell back, in a bounded multiple of the clean night", async () => {
    const clean = await night("mix-clean", {});
    opened.push(clean.p);
    await clean.p.stopWorkers();
    const faulty = await night("mix-faults", MIX);
    opened.push(faulty.p);
    const { p, runs, orgIds, baseline } = faulty;

    await expectNightInvariants(nightOf(p), baseline, orgIds);
    const faults = p.fake.requests.filter((r) => r.fault).map((r) => r.fault as string);
    const kinds = new Set(faults);
    // The mix really happened: several kinds were drawn, about the configured share of requests.
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    expect(faults.length / p.fake.requests.length).toBeGreaterThan(0.04);

    // Members whose answer was malformed or refused twice got the rules with the reason; the run says so.
    const reasons: Record<string, number> = {};
    for (const run of runs) {
      for (const [reason, n] of Object.entries((run.errorDetails as { fallbackReasons?: Record<string, number> }).fallbackReasons ?? {}))
        reasons[reason] = (reasons[reason] ?? 0) + n;
    }
    const fallbacks = await p.t.db.engagementSnapshot.groupBy({
      by: ["fallbackReason"],
      where: { runId: { in: runs.map((r) => r.id) }, source: "fallback" },
      _count: { _all: true },
    });
    expect(Object.fromEntries(fallbacks.map((f) => [f.fallbackReason, f._count._all]))).toEqual(reasons);
    // 429/529 answers were waited out and counted, not turned into fallbacks.
    const refused = p.fake.requests.filter((r) => r.fault === "rate_limited" || r.fault === "overloaded").length;
    expect(runs.reduce((a, r) => a + r.rateLimitedResponses, 0)).toBe(refused);
    expect(Object.keys(reasons).some((r) => r.startsWith("rate_limited"))).toBe(false);
    // Most members were still judged by the model.
    const llm = await p.t.db.engagementSnapshot.count({ where: { runId: { in: runs.map((r) => r.id) }, source: "llm" } });
    const judged = llm + fallbacks.reduce((a, f) => a + f._count._all, 0);
    expect(llm / judged).toBeGreaterThan(0.8);

    const ratio = faulty.ms / clean.ms;
    console.log(
      `provider mix: clean night ${clean.ms} ms, fault night ${faulty.ms} ms (${ratio.toFixed(1)}x); ` +
        `${p.fake.requests.length} requests, ${faults.length} faulted ${JSON.stringify(countBy(faults))}; fallbacks ${JSON.stringify(reasons)}`,
    );
    // Retries wait 5 s, 10 s... (the classify job's backoff) and a hung call holds its slot for the 5 s timeout:
    // the fault night is slower, but not stalled.
    expect(faulty.ms).toBeLessThan(45_000);
  }, 110_000);
});

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}
