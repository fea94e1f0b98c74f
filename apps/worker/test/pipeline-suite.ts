// The end-to-end night, as a suite run against the shared Redis (pipeline.test.ts) and against a Redis Cluster
// the test creates (infra-faults/redis-cluster.test.ts): the same assertions prove the queues' one hash-tag prefix
// is all a cluster needs.
import type { RedisConnection } from "@engagement/queue";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns } from "./harness.ts";

/** `connect` gives the pipeline's Redis connection; the shared test Redis when absent. */
export function describePipeline(title: string, connect?: () => RedisConnection | Promise<RedisConnection>) {
  describe(title, () => {
    let p: Pipeline<RedisConnection>;
    let orgs: Awaited<ReturnType<typeof seedOrgs>>;
    let runs: Awaited<ReturnType<typeof waitForRuns>>;

    beforeAll(async () => {
      // The fake applies the model's documented minimum cacheable prefix (512 tokens on Haiku 5.5).
      const connection = connect ? await connect() : undefined;
      p = await createPipeline("e2e", { fake: { latencyMs: [5, 20] }, ...(connection ? { connect: () => connection } : {}) });
      orgs = await seedOrgs(p, 3, 40); // weekly club, monthly association, paused society
      p.startWorkers();
      const enqueued = [];
      for (const o of orgs) enqueued.push(await runOrg(p, o.org.id));
      runs = await waitForRuns(
        p,
        enqueued.map((r) => r.runId),
      );
    });
    afterAll(async () => p.close());

    it("completes one run per organisation", () => {
      expect(runs.map((r) => r.status)).toEqual(["completed", "completed", "completed"]);
    });

    it("gives every member exactly one current level and one snapshot for the run", async () => {
      for (const [i, o] of orgs.entries()) {
        const run = runs[i]!;
        const members = o.memberships.map((m) => m.userId).sort();
        const current = await p.t.db.memberEngagement.findMany({ where: { orgId: o.org.id }, select: { userId: true, runId: true } });
        const snapshots = await p.t.db.engagementSnapshot.findMany({ where: { runId: run.id }, select: { userId: true } });
        expect(current.map((c) => c.userId).sort()).toEqual(members);
        expect(current.every((c) => c.runId === run.id)).toBe(true);
        expect(snapshots.map((s) => s.userId).sort()).toEqual(members);
      }
    });

    it("keeps none of the signals staged for the classify jobs once the runs are over", async () => {
      expect(await p.t.db.runMemberSignals.count()).toBe(0);
      const judged = await p.t.db.engagementSnapshot.count({ where: { runId: { in: runs.map((r) => r.id) }, source: "llm" } });
      expect(judged).toBeGreaterThan(0);
    });

    it("counts each run exactly as its rows say", async () => {
      for (const run of runs) {
        const byLevel = await p.t.db.engagementSnapshot.groupBy({ by: ["level"], where: { runId: run.id }, _count: { _all: true } });
        const count = (l: string) => byLevel.find((b) => b.level === l)?._count._all ?? 0;
        expect([run.countHighlyEngaged, run.countModerate, run.countAtRisk, run.countNew, run.countInactive]).toEqual([
          count("highly_engaged"),
          count("moderate"),
          count("at_risk"),
          count("new"),
          count("inactive"),
        ]);
        expect(run.membersTotal).toBe(40);
        const sums = await p.t.db.engagementSnapshot.aggregate({ where: { runId: run.id }, _sum: { llmCalls: true, inputTokens: true } });
        expect(run.llmCalls).toBe(sums._sum.llmCalls);
        expect(run.inputTokens).toBe(sums._sum.inputTokens);
      }
    });

    it("asks the LLM only about members the facts leave open, and never for a paused organisation", async () => {
      const paused = runs[2]!;
      expect(paused.llmCalls).toBe(0);
      expect(paused.countsBySource).toEqual({ rules: 40 });
      const llmMembers = await p.t.db.engagementSnapshot.count({ where: { source: "llm" } });
      expect(llmMembers).toBeGreaterThan(0);
      expect(p.fake.stats().answered).toBe(runs.reduce((a, r) => a + r.llmCalls, 0));
      // Facts-decided levels never come from the model.
      const llmLevels = await p.t.db.engagementSnapshot.findMany({
        where: { source: "llm" },
        select: { level: true },
        distinct: ["level"],
      });
      for (const { level } of llmLevels) expect(["highly_engaged", "moderate", "at_risk"]).toContain(level);
    });

    it("reads the system prompt and tool from the prompt cache after the first call", () => {
      const llmRuns = runs.filter((r) => r.llmCalls > 0);
      const totals = llmRuns.reduce((a, r) => ({ read: a.read + r.cacheReadTokens, write: a.write + r.cacheWriteTokens }), {
        read: 0,
        write: 0,
      });
      expect(totals.write).toBeGreaterThan(4096);
      expect(totals.read).toBeGreaterThan(totals.write * 5);
    });

    it("sends no names, emails or member ids to the LLM", () => {
      const bodies = JSON.stringify(p.fake.requests.map((r) => r.body));
      for (const o of orgs) {
        for (const u of o.users) {
          expect(bodies).not.toContain(u.email);
          expect(bodies).not.toContain(u.name);
          expect(bodies).not.toContain(u.id);
        }
      }
    });

    it("keeps Redis payloads to ids", async () => {
      const jobs = await p.queues.classify.getJobs(["completed"], 0, 1000);
      expect(jobs.length).toBeGreaterThan(0);
      for (const job of jobs) expect(Object.keys(job.data).sort()).toEqual(["orgId", "runId", "userIds"]);
    });
  });
}
