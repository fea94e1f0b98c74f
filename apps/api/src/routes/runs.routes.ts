// Manual runs: start one (the worker does the work) and follow it. Admins reach their own organisation's
// runs, operators any organisation's.

import { Id } from "@engagement/auth";
import { getRunSummaries, getRunsProgress } from "@engagement/db";
import { enqueueOrgRun } from "@engagement/use-cases";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AccessHooks } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { errorResponses, notFound } from "../errors.ts";
import { bearer, iso, Level, OrgParams, Timestamp } from "../schemas/common.schemas.ts";
import { RunHeadline } from "../schemas/engagement.schemas.ts";

const StartRunBody = z.object({
  force: z.boolean().optional().describe("re-classify members even when their inputs did not change"),
});

const RunDetail = RunHeadline.extend({
  orgId: z.uuid(),
  force: z.boolean(),
  progress: z.object({
    membersDone: z.number().int(),
    membersTotal: z.number().int(),
    phase: z
      .enum(["queued", "classifying", "waiting_for_provider_batch", "finished"])
      .describe("waiting_for_provider_batch: the run's judged members are with the provider's Message Batches (batch mode)"),
    providerBatch: z
      .object({
        requests: z.number().int().describe("the run's requests (K members each) not yet collected"),
        queued: z.number().int().describe("of those, waiting to be put in a batch"),
        ended: z.number().int().describe("of those, in batches the provider has finished, about to be collected"),
      })
      .nullable()
      .describe("while the run waits for the provider's Message Batches (batch mode); null otherwise"),
  }),
  summary: z.object({
    countsByLevel: z.object(
      Object.fromEntries(Level.options.map((l) => [l, z.number().int()])) as Record<z.infer<typeof Level>, z.ZodNumber>,
    ),
    countsBySource: z.record(z.string(), z.number()),
    countsByCarriedReason: z
      .record(z.string(), z.number())
      .describe('carried members per reason: "recent" (computed within the skip window), "inputs_unchanged" (an LLM judgement reused)'),
    llmCalls: z.number().int(),
    tokens: z.object({ input: z.number().int(), output: z.number().int(), cacheRead: z.number().int(), cacheWrite: z.number().int() }),
    errors: z.number().int(),
    errorDetails: z.record(z.string(), z.unknown()).describe("fallback reasons with counts, and a run-level error if any"),
    expiredOverrides: z.number().int(),
    rateLimitedResponses: z.number().int().describe("times a classify job was sent back by a 429/529"),
    llmStopped: z
      .object({ reason: z.string().describe('e.g. "spend_limit": the provider\'s spend limit was reached'), at: Timestamp })
      .nullable()
      .describe("set when the run stopped calling the LLM before its end; the remaining members got the rules result"),
  }),
});

export function runsRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/v1/orgs/:orgId/engagement/runs",
      {
        onRequest: access.runAccess,
        schema: {
          tags: ["runs"],
          summary: "Start a manual classification run of the organisation",
          security: bearer,
          params: OrgParams,
          body: StartRunBody.nullish(),
          response: {
            202: z.object({ runId: z.uuid() }),
            409: z.object({ error: z.literal("run_in_progress"), message: z.string(), runId: z.uuid() }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (req, reply) => {
        const { orgId } = req.params;
        const run = await enqueueOrgRun(deps.db, deps.queues, { orgId, trigger: "manual", force: req.body?.force ?? false });
        if (run.alreadyActive) {
          return reply
            .code(409)
            .send({ error: "run_in_progress", message: "a run of this organisation is queued or running", runId: run.runId });
        }
        req.log.info({ orgId, runId: run.runId, jobId: run.jobId, sub: req.auth?.sub }, "manual run enqueued");
        return reply.code(202).send({ runId: run.runId });
      },
    );

    app.get(
      "/v1/orgs/:orgId/engagement/runs/:runId",
      {
        onRequest: access.runAccess,
        schema: {
          tags: ["runs"],
          summary: "A run's status, progress and summary",
          security: bearer,
          params: OrgParams.extend({ runId: Id() }),
          response: { 200: RunDetail, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { orgId, runId } = req.params;
        const [run] = await getRunSummaries(deps.db, [runId]);
        // Another organisation's run is "not found" here, not "forbidden": its existence is not ours to tell.
        if (!run || run.orgId !== orgId) throw notFound("unknown run of this organisation");
        const [progress] = await getRunsProgress(deps.db, [runId]);
        return {
          runId: run.runId,
          orgId: run.orgId,
          status: run.status,
          trigger: run.trigger,
          force: run.force,
          membersTotal: run.membersTotal,
          createdAt: iso(run.createdAt),
          startedAt: iso(run.startedAt),
          finishedAt: iso(run.finishedAt),
          progress: {
            membersDone: progress?.membersDone ?? 0,
            membersTotal: run.membersTotal,
            phase: runPhase(run.status, progress?.providerBatch ?? null),
            providerBatch: progress?.providerBatch ?? null,
          },
          summary: {
            countsByLevel: run.countsByLevel,
            countsBySource: run.countsBySource,
            countsByCarriedReason: run.countsByCarriedReason,
            llmCalls: run.llmCalls,
            tokens: run.tokens,
            errors: run.errors,
            errorDetails: run.errorDetails,
            expiredOverrides: run.expiredOverrides,
            rateLimitedResponses: run.rateLimitedResponses,
            llmStopped: run.llmStopped ? { reason: run.llmStopped.reason, at: iso(run.llmStopped.at) } : null,
          },
        };
      },
    );
  };
}

function runPhase(status: string, providerBatch: object | null): "queued" | "classifying" | "waiting_for_provider_batch" | "finished" {
  if (status === "queued") return "queued";
  if (status === "running") return providerBatch ? "waiting_for_provider_batch" : "classifying";
  return "finished";
}
