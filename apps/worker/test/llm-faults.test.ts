import { afterEach, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns } from "./harness.ts";

/** How many members a recorded Messages request carried. */
function membersIn(body: unknown): number {
  const text = (body as { messages: { content: string }[] }).messages.at(-1)?.content ?? "";
  return (JSON.parse(/```json\n([\s\S]*)\n```/.exec(text)?.[1] ?? "{}") as { members?: unknown[] }).members?.length ?? 0;
}

describe("LLM failures during a run", () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it("gives members with refused or malformed answers the rules result (fallback) and records why", async () => {
    p = await createPipeline("faults");
    const [org] = await seedOrgs(p, 1, 30);
    // Every answer is refused: the classifier retries once, then falls back to the rules.
    p.fake.setFaultMode("refusal");
    p.startWorkers();
    const { runId } = await runOrg(p, org!.org.id);
    const [run] = await waitForRuns(p, [runId]);
    expect(run!.status).toBe("completed");
    const fallbacks = await p.t.db.engagementSnapshot.count({ where: { runId, source: "fallback", fallbackReason: "refusal" } });
    expect(fallbacks).toBeGreaterThan(0);
    expect(run!.countsBySource).toMatchObject({ fallback: fallbacks });
    expect(run!.errorDetails).toMatchObject({ fallbackReasons: { refusal: fallbacks } });
    // Each request of five was refused, then each member was asked once more alone: one call per member on top
    // of the shared ones, all of them counted on the run.
    const alone = p.fake.requests.filter((r) => membersIn(r.body) === 1).length;
    expect(alone).toBe(fallbacks);
    expect(run!.llmCalls).toBe(p.fake.requests.length);
    expect(run!.llmCalls).toBe(fallbacks + Math.ceil(fallbacks / 5));
    expect(await p.t.db.memberEngagement.count({ where: { orgId: org!.org.id } })).toBe(30);
  });

  it("uses the second answer when only the first tool input was malformed", async () => {
    p = await createPipeline("malformed", { settings: { classifyChunkConcurrency: 1, classifyChunkSize: 50 } });
    const [org] = await seedOrgs(p, 1, 30);
    p.fake.fault("malformed_tool_input", 1);
    p.startWorkers({ classifyConcurrency: 1 });
    const { runId } = await runOrg(p, org!.org.id);
    const [run] = await waitForRuns(p, [runId]);
    const bySource = run!.countsBySource as Record<string, number>;
    expect(bySource).not.toHaveProperty("fallback");
    expect(bySource.llm).toBeGreaterThan(0);
    // The malformed answer was one request of five members; each of them was asked again alone.
    const judged = bySource.llm ?? 0;
    expect(p.fake.requests.filter((r) => membersIn(r.body) === 1)).toHaveLength(5);
    expect(run!.llmCalls).toBe(Math.ceil(judged / 5) + 5);
  });

  it("falls back without retrying when the provider rejects the request (401)", async () => {
    p = await createPipeline("rejected");
    const [org] = await seedOrgs(p, 1, 20);
    await p.fake.stop();
    // A server that answers 401 to every call: a classifier with the wrong key.
    const { createClassifier } = await import("@engagement/anthropic");
    const { startFakeAnthropic } = await import("@engagement/fake-anthropic");
    const other = await startFakeAnthropic({ apiKey: "another-key" });
    p.deps.classifier = createClassifier({ kind: "anthropic", apiKey: "test-key", baseURL: other.url, maxRetries: 0 });
    p.startWorkers();
    const { runId } = await runOrg(p, org!.org.id);
    const [run] = await waitForRuns(p, [runId]);
    await other.stop();
    expect(run!.status).toBe("completed");
    const reasons = Object.keys((run!.errorDetails as { fallbackReasons: Record<string, number> }).fallbackReasons);
    expect(reasons.some((r) => r.startsWith("llm_rejected"))).toBe(true);
    const classifyJobs = await p.queues.classify.getJobs(["completed"]);
    expect(classifyJobs.every((j) => j.attemptsMade <= 1)).toBe(true);
  });

  it.each(["spend_limit", "contract_spend_limit"] as const)(
    "a %s 429 stops the run's LLM calls at once: the rest get the rules with reason spend_limit, said in the run and the log",
    async (fault) => {
      p = await createPipeline(`spend-${fault}`, { settings: { classifyChunkConcurrency: 2, classifyChunkSize: 10 } });
      const [org] = await seedOrgs(p, 1, 60);
      p.fake.setFaultMode(fault);
      p.startWorkers({ classifyConcurrency: 2 });
      const { runId } = await runOrg(p, org!.org.id);
      const [run] = await waitForRuns(p, [runId], 30_000);
      expect(run!.status).toBe("completed");
      expect(run!.llmStoppedReason).toBe("spend_limit");
      expect(run!.llmStoppedAt).toBeInstanceOf(Date);
      const judged = (run!.errorDetails as { fallbackReasons: Record<string, number> }).fallbackReasons.spend_limit ?? 0;
      expect(judged).toBeGreaterThan(10);
      expect(await p.t.db.memberEngagement.count({ where: { orgId: org!.org.id } })).toBe(60);
      // No retry of a spend cap: at most the calls already in flight when the first answer came back.
      expect(p.fake.stats().received).toBeLessThanOrEqual(4);
      expect(run!.rateLimitedResponses).toBe(0);
      const logged = p.logLines().filter((l) => l.level === 50 && /spend limit/i.test(String(l.msg)));
      expect(logged.length).toBeGreaterThan(0);
    },
  );

  it("the spend cap is the account's: after one refused request no run, of any organisation, sends another", async () => {
    p = await createPipeline("spend-account", { settings: { classifyChunkConcurrency: 1, classifyChunkSize: 10 } });
    const orgs = await seedOrgs(p, 2, 40);
    p.fake.fault("spend_limit", 1);
    p.startWorkers({ classifyConcurrency: 1 });
    const started = await Promise.all(orgs.map((o) => runOrg(p!, o.org.id)));
    const runs = await waitForRuns(
      p,
      started.map((r) => r.runId),
      30_000,
    );
    expect(runs.map((r) => [r.status, r.llmStoppedReason])).toEqual([
      ["completed", "spend_limit"],
      ["completed", "spend_limit"],
    ]);
    // One request reached the provider; every judged member of both runs got the rules result without one.
    expect(p.fake.stats().received).toBe(1);
    for (const run of runs) expect((run.countsBySource as Record<string, number>).llm ?? 0).toBe(0);
  });

  it("a ramp_limit_exceeded 429 stays a wait-and-retry case: the members are judged after the retry-after", async () => {
    p = await createPipeline("ramp", { settings: { classifyChunkConcurrency: 1, classifyChunkSize: 50 } });
    const [org] = await seedOrgs(p, 1, 20);
    p.fake.fault("ramp_limit", 1);
    p.startWorkers({ classifyConcurrency: 1 });
    const { runId } = await runOrg(p, org!.org.id);
    const [run] = await waitForRuns(p, [runId], 30_000);
    expect(run!.status).toBe("completed");
    expect(run!.llmStoppedReason).toBeNull();
    expect(run!.rateLimitedResponses).toBe(1);
    const bySource = run!.countsBySource as Record<string, number>;
    expect(bySource).not.toHaveProperty("fallback");
    expect(bySource.llm).toBeGreaterThan(0);
  });
});
