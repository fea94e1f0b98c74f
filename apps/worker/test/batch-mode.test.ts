// Batch mode through the real queues, database and the fake's Message Batches: the run's judged members go to the
// provider as one batch, the job polls as a delayed job while the run shows "waiting for provider batch", the
// results are matched by custom_id, and what the batch left unanswered goes through the real-time path.
import { getRunsProgress } from "@engagement/db";
import { afterEach, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns } from "./harness.ts";

const BATCH = { llmMode: "batch", batchRuns: "all", batchPollMs: 100 } as const;

describe("batch mode", () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it("judges the run's members through one provider batch, shows the wait with progress, and makes no real-time request", async () => {
    p = await createPipeline("batch", { fake: { batchProcessingMs: 1500 }, settings: { ...BATCH, classifyChunkSize: 10 } });
    const [org] = await seedOrgs(p, 1, 60);
    p.startWorkers();
    const { runId } = await runOrg(p, org!.org.id);
    // Seen from outside while the provider works: the run is waiting for its batch.
    let seenWaiting = null;
    let staged = 0;
    for (let i = 0; i < 100 && !seenWaiting; i++) {
      const [progress] = await getRunsProgress(p.t.db, [runId]);
      if (progress?.providerBatch) {
        seenWaiting = progress.providerBatch;
        staged = await p.t.db.runMemberSignals.count({ where: { runId } });
      } else await new Promise((r) => setTimeout(r, 50));
    }
    expect(seenWaiting).toMatchObject({ requests: expect.any(Number), queued: expect.any(Number), ended: expect.any(Number) });
    const [run] = await waitForRuns(p, [runId], 30_000);
    expect(run!.status).toBe("completed");

    const llm = await p.t.db.engagementSnapshot.findMany({ where: { runId, source: "llm" }, select: { viaBatch: true, llmCalls: true } });
    expect(llm.length).toBeGreaterThan(10);
    expect(llm.every((s) => s.viaBatch)).toBe(true);
    expect(await p.t.db.engagementSnapshot.count({ where: { runId } })).toBe(60);
    // The prepare step computed the judged members' signals once and staged them for the batch (and any classify
    // job after it); the run's end dropped them.
    expect(staged).toBe(llm.length);
    expect(await p.t.db.runMemberSignals.count({ where: { runId } })).toBe(0);
    // Every judged member in requests of 5 (the harness's K), in one batch; no Messages request at all.
    expect(p.fake.requests.filter((r) => r.path === "/v1/messages")).toHaveLength(0);
    const created = p.fake.requests.filter((r) => r.path === "/v1/messages/batches" && r.method === "POST");
    expect(created).toHaveLength(1);
    const sent = (created[0]!.body as { requests: { custom_id: string; params: { system: { cache_control: unknown }[] } }[] }).requests;
    expect(sent).toHaveLength(Math.ceil(llm.length / 5));
    // Custom ids name the request (the run and a number), never a member.
    const prefix = runId.replaceAll("-", "");
    expect(sent.map((r) => r.custom_id).sort()).toEqual(sent.map((_, i) => `${prefix}-${i}`).sort());
    // Requests processed over minutes to hours share their prefix through the 1-hour cache.
    expect(sent[0]!.params.system[0]!.cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
    expect(run!.llmCalls).toBe(sent.length);
    // The job polled (delayed itself) until the batch ended, then collected it; no group rows are kept.
    const polls = p.fake.requests.filter((r) => r.method === "GET" && /^\/v1\/messages\/batches\/[^/]+$/.test(r.path));
    expect(polls.length).toBeGreaterThan(1);
    const batches = await p.t.db.providerBatch.findMany();
    expect(batches).toMatchObject([{ status: "ended", succeeded: sent.length, collectedAt: expect.any(Date) }]);
    expect(await p.t.db.providerBatchGroup.count()).toBe(0);
    const [progress] = await getRunsProgress(p.t.db, [runId]);
    expect(progress?.providerBatch).toBeNull();
  });

  it("errored, expired and canceled requests, and a bad item, go through the real-time path; nothing is lost", async () => {
    p = await createPipeline("batch-faults", { fake: { batchProcessingMs: 200 }, settings: { ...BATCH, classifyChunkSize: 10 } });
    const [org] = await seedOrgs(p, 1, 60);
    p.fake.queueBatchItemOutcomes("errored", "expired", "canceled", "invalid_item");
    p.startWorkers();
    const { runId } = await runOrg(p, org!.org.id);
    const [run] = await waitForRuns(p, [runId], 30_000);
    expect(run!.status).toBe("completed");
    expect(await p.t.db.engagementSnapshot.count({ where: { runId } })).toBe(60);
    const llm = await p.t.db.engagementSnapshot.findMany({ where: { runId, source: "llm" }, select: { viaBatch: true } });
    const realtime = llm.filter((s) => !s.viaBatch).length;
    // Three whole requests of 5 and one member of a fourth were judged again in real time.
    expect(realtime).toBe(3 * 5 + 1);
    expect(p.fake.requests.filter((r) => r.path === "/v1/messages").length).toBeGreaterThan(0);
    expect(run!.countsBySource).not.toHaveProperty("fallback");
  });

  it("the runs of several organisations waiting at once share one batch: a few Batches API calls per night, not per org", async () => {
    p = await createPipeline("batch-shared", { fake: { batchProcessingMs: 300 }, settings: { ...BATCH, batchPollMs: 1000 } });
    const orgs = await seedOrgs(p, 3, 30);
    p.startWorkers({ orgConcurrency: 3 });
    const started = await Promise.all(orgs.map((o) => runOrg(p!, o.org.id)));
    const runs = await waitForRuns(
      p,
      started.map((s) => s.runId),
      30_000,
    );
    expect(runs.map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
    expect(p.fake.stats().batches.created).toBe(1);
    // Every judged member of every run was answered by that batch (a seeded org may have none to judge).
    const llm = await p.t.db.engagementSnapshot.findMany({ where: { source: "llm" }, select: { runId: true, viaBatch: true } });
    expect(llm.every((s) => s.viaBatch)).toBe(true);
    expect(new Set(llm.map((s) => s.runId)).size).toBeGreaterThanOrEqual(2);
    // Each run's members were written to that run: every member has one snapshot in its own run.
    expect(await p.t.db.engagementSnapshot.count()).toBe(90);
  });

  it("a manual run stays real-time when batches are for scheduled runs only", async () => {
    p = await createPipeline("batch-scheduled-only", { settings: { ...BATCH, batchRuns: "scheduled" } });
    const [org] = await seedOrgs(p, 1, 30);
    p.startWorkers();
    const { runId } = await runOrg(p, org!.org.id);
    const [run] = await waitForRuns(p, [runId], 30_000);
    expect(run!.status).toBe("completed");
    expect(p.fake.stats().batches.created).toBe(0);
    expect(p.fake.requests.filter((r) => r.path === "/v1/messages").length).toBeGreaterThan(0);
  });
});
