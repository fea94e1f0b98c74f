import { randomUUID } from "node:crypto";
import { buildRun, buildSnapshot } from "@engagement/db/testing";
import { jobIds } from "@engagement/queue";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("run routes", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;
  let operator: string;

  beforeAll(async () => {
    api = await startTestApi("runs");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
    operator = await api.token({ sub: "ops-oncall", role: "operator" });
  });
  afterAll(async () => api.close());

  const start = (orgId: string, token: string | null, payload?: unknown) =>
    api.app.inject({
      method: "POST",
      url: `/v1/orgs/${orgId}/engagement/runs`,
      headers: token ? bearer(token) : {},
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const status = (orgId: string, runId: string, token: string) =>
    api.app.inject({ url: `/v1/orgs/${orgId}/engagement/runs/${runId}`, headers: bearer(token) });

  it("POST answers 202 with the run id, records a queued manual run and enqueues its org-run job", async () => {
    const res = await start(a.org.id, a.adminToken, { force: true });
    expect(res.statusCode).toBe(202);
    const { runId } = res.json();
    const run = await api.db.engagementRun.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ orgId: a.org.id, trigger: "manual", status: "queued", force: true });
    const job = await api.queues.orgRun.getJob(jobIds.orgRun(runId));
    expect(job?.data).toEqual({ runId });
  });

  it("POST answers 409 with the active run's id while one is queued, creating nothing", async () => {
    const before = await api.db.engagementRun.findMany({ where: { orgId: a.org.id } });
    expect(before.some((r) => r.status === "queued")).toBe(true);
    const res = await start(a.org.id, a.adminToken, { force: true });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: "run_in_progress", runId: before.find((r) => r.status === "queued")?.id });
    expect(await api.db.engagementRun.count({ where: { orgId: a.org.id } })).toBe(before.length);
  });

  it("POST works without a body, and for an operator on any organisation", async () => {
    // The earlier runs are done (no worker runs in this test); a new one may start.
    await api.db.engagementRun.updateMany({ where: { orgId: a.org.id }, data: { status: "completed" } });
    expect((await start(a.org.id, a.adminToken)).statusCode).toBe(202);
    expect((await start(b.org.id, operator)).statusCode).toBe(202);
  });

  it("GET gives status, progress (members done of total) and the summary", async () => {
    const run = await buildRun(api.db, {
      orgId: a.org.id,
      status: "running",
      membersTotal: 3,
      llmCalls: 2,
      inputTokens: 900,
      errorDetails: { fallbackReasons: { rate_limited: 1 } },
      countsBySource: { llm: 1, carried: 5 },
      countsByCarriedReason: { recent: 2, inputs_unchanged: 3 },
    });
    await buildSnapshot(api.db, { orgId: a.org.id, userId: a.steady.id, runId: run.id, level: "highly_engaged" });
    await buildSnapshot(api.db, { orgId: a.org.id, userId: a.drifting.id, runId: run.id, level: "at_risk" });
    const res = await status(a.org.id, run.id, a.adminToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      runId: run.id,
      orgId: a.org.id,
      status: "running",
      trigger: "manual",
      progress: { membersDone: 2, membersTotal: 3 },
      summary: {
        llmCalls: 2,
        tokens: { input: 900, output: 0 },
        errorDetails: { fallbackReasons: { rate_limited: 1 } },
        countsBySource: { llm: 1, carried: 5 },
        countsByCarriedReason: { recent: 2, inputs_unchanged: 3 },
      },
    });
    expect((await status(a.org.id, run.id, operator)).statusCode).toBe(200);
    expect(res.json().summary.llmStopped).toBeNull();
  });

  it("GET says plainly when the run stopped calling the LLM (spend limit)", async () => {
    const run = await buildRun(api.db, { orgId: a.org.id, status: "completed", errorDetails: { fallbackReasons: { spend_limit: 4 } } });
    const at = new Date("2026-12-01T04:00:05.000Z");
    await api.db.engagementRun.update({ where: { id: run.id }, data: { llmStoppedReason: "spend_limit", llmStoppedAt: at } });
    const res = await status(a.org.id, run.id, a.adminToken);
    expect(res.json().summary).toMatchObject({
      llmStopped: { reason: "spend_limit", at: at.toISOString() },
      errorDetails: { fallbackReasons: { spend_limit: 4 } },
    });
  });

  it("refuses members (403) and another organisation's admin (403), changing nothing", async () => {
    const before = await api.db.engagementRun.count();
    expect((await start(a.org.id, await a.memberToken(a.steady.id))).statusCode).toBe(403);
    expect((await start(a.org.id, b.adminToken)).statusCode).toBe(403);
    expect((await start(a.org.id, null)).statusCode).toBe(401);
    expect(await api.db.engagementRun.count()).toBe(before);
    const run = await buildRun(api.db, { orgId: a.org.id });
    expect((await status(a.org.id, run.id, b.adminToken)).statusCode).toBe(403);
  });

  it("answers 404 for an unknown organisation, an unknown run and a run of another organisation", async () => {
    expect((await start(randomUUID(), operator)).statusCode).toBe(404);
    expect((await status(a.org.id, randomUUID(), a.adminToken)).statusCode).toBe(404);
    const other = await buildRun(api.db, { orgId: b.org.id });
    const res = await status(a.org.id, other.id, a.adminToken);
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toBe("not_found");
  });

  it("answers 400 for a bad body or run id, changing nothing", async () => {
    const before = await api.db.engagementRun.count();
    const res = await start(a.org.id, a.adminToken, { force: "yes" });
    expect(res.statusCode).toBe(400);
    expect(res.json().issues).toEqual([expect.objectContaining({ field: "body.force" })]);
    expect(await api.db.engagementRun.count()).toBe(before);
    expect((await status(a.org.id, "latest", a.adminToken)).json().issues).toEqual([expect.objectContaining({ field: "params.runId" })]);
  });

  it("one organisation written in upper, lower and mixed case is one organisation: concurrent POSTs make one run", async () => {
    const c = await seedOrg(api, "Gamma");
    const id = c.org.id;
    const mixed = id.replace(/[a-f]/g, (ch, i: number) => (i % 2 ? ch.toUpperCase() : ch));
    const forms = [id, id.toUpperCase(), mixed, id.toUpperCase(), id, mixed];
    const answers = await Promise.all(forms.map((form, i) => start(form, i % 2 ? operator : c.adminToken)));
    const codes = answers.map((r) => r.statusCode).sort();
    expect(codes).toEqual([202, 409, 409, 409, 409, 409]);
    const runs = await api.db.engagementRun.findMany({ where: { orgId: id } });
    expect(runs).toHaveLength(1);
    const runId = runs[0]?.id as string;
    // Every answer names that run, and it is found through any spelling of the organisation or the run id.
    expect(new Set(answers.map((r) => r.json().runId))).toEqual(new Set([runId]));
    for (const [orgForm, runForm] of [
      [id.toUpperCase(), runId],
      [mixed, runId.toUpperCase()],
    ] as const) {
      const res = await status(orgForm, runForm, c.adminToken);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ runId, orgId: id });
    }
  });
});
