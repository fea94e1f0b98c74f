// The spend cap drawn at a rate among the other provider faults: the first one stops every LLM call of the account
// (retrying cannot help before the next billing period); the night still completes, the rest on the rules.
import { afterAll, describe, expect, it } from "@jest/globals";
import type { Pipeline } from "../harness.ts";
import { expectNightInvariants, nightOf } from "../night-invariants.ts";
import { MIX, night } from "./provider-night.ts";

describe("a night under the provider fault mix with the spend cap among it", () => {
  const opened: Pipeline[] = [];
  afterAll(async () => {
    for (const p of opened) await p.close();
  });

  it("a spend cap drawn mid-night stops the LLM calls; the night still completes with every invariant", async () => {
    const capped = await night("mix-spend", { ...MIX, spend_limit: 0.03 });
    opened.push(capped.p);
    const { p, runs, orgIds, baseline } = capped;
    await expectNightInvariants(nightOf(p), baseline, orgIds);
    expect(p.fake.requests.some((r) => r.fault === "spend_limit")).toBe(true);
    const stopped = runs.filter((r) => r.llmStoppedReason === "spend_limit");
    expect(stopped.length).toBeGreaterThan(0);
    const spendFallbacks = await p.t.db.engagementSnapshot.count({
      where: { runId: { in: runs.map((r) => r.id) }, fallbackReason: "spend_limit" },
    });
    expect(spendFallbacks).toBeGreaterThan(0);
  }, 60_000);
});
