import { buildMember, buildMemberEngagement, buildOrg, buildRun } from "@engagement/db/testing";
import { createRedis } from "@engagement/queue";
import { createLogger } from "@engagement/runtime";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { defaultRateLimit, startTestApi, TEST_JWT_SECRET, type TestApi } from "../../test/harness.ts";
import { buildServer } from "../server.ts";

describe("health and metrics", () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi("health");
  });
  afterAll(async () => api.close());

  it("GET /health answers 200 when the database and Redis answer", async () => {
    const res = await api.app.inject({ url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", database: "ok", redis: "ok" });
  });

  it("GET /health answers 503 naming Redis when Redis is unreachable", async () => {
    // Port 1 on loopback: nothing listens there, so every command waits until the health check times out.
    const deadRedis = createRedis("redis://127.0.0.1:1", { lazyConnect: true, retryStrategy: () => 1000 });
    deadRedis.on("error", () => {});
    const app = await buildServer({
      db: api.db,
      queues: api.queues,
      redis: deadRedis,
      jwtSecret: TEST_JWT_SECRET,
      logger: createLogger("t", "silent"),
      rateLimit: defaultRateLimit(api.prefix),
      corsOrigins: [],
    });
    try {
      const res = await app.inject({ url: "/health" });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: "degraded", database: "ok", redis: "unreachable" });
    } finally {
      await app.close();
      deadRedis.disconnect();
    }
  });

  it("GET /metrics exposes runs by status, members by source and level, LLM usage, 429 fallbacks and queue depths", async () => {
    const org = await buildOrg(api.db);
    const { user } = await buildMember(api.db, org.id);
    await buildMemberEngagement(api.db, { orgId: org.id, userId: user.id, level: "at_risk", source: "llm" });
    await buildRun(api.db, {
      orgId: org.id,
      status: "completed",
      llmCalls: 7,
      inputTokens: 1200,
      outputTokens: 300,
      rateLimitedResponses: 5,
      errorDetails: { fallbackReasons: { rate_limited: 2 } },
    });
    await buildRun(api.db, { orgId: org.id, status: "failed", errorDetails: { runError: "boom" } });
    const stopped = await buildRun(api.db, { orgId: org.id, status: "completed", errorDetails: { fallbackReasons: { spend_limit: 9 } } });
    await api.db.engagementRun.update({ where: { id: stopped.id }, data: { llmStoppedReason: "spend_limit", llmStoppedAt: new Date() } });
    await api.queues.orgRun.add("org-run", { runId: "00000000-0000-4000-8000-000000000001" }, { jobId: "metrics-probe" });

    const res = await api.app.inject({ url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/plain; version=0.0.4; charset=utf-8");
    const lines = res.body.split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        'engagement_runs{status="completed"} 2',
        'engagement_runs{status="failed"} 1',
        'engagement_members_classified{source="llm",level="at_risk"} 1',
        "engagement_llm_calls_total 7",
        'engagement_llm_tokens_total{kind="input"} 1200',
        'engagement_llm_tokens_total{kind="output"} 300',
        "engagement_llm_rate_limited_total 5",
        "engagement_llm_rate_limited_members_total 2",
        "engagement_llm_spend_limited_runs_total 1",
        "engagement_llm_spend_limited_members_total 9",
        'engagement_queue_jobs{queue="engagement-org-run",state="waiting"} 1',
        'engagement_queue_jobs{queue="engagement-classify",state="waiting"} 0',
      ]),
    );
    expect(res.body).not.toMatch(/@example\.test|Member /);
  });
});
