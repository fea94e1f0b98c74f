// Admin dashboard reads: the member list, the summary and one member's detail.
import {
  type EngagementListRow,
  findMembership,
  getEngagementSummary,
  getMemberEngagement,
  listEngagement,
  listLevelChanges,
  listOverrideHistory,
  type OverrideHistoryEntry,
} from "@engagement/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { z } from "zod";
import type { AccessHooks } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { errorResponses, notFound } from "../errors.ts";
import { bearer, iso, MemberParams, OrgParams } from "../schemas/common.schemas.ts";
import {
  EngagementList,
  type EngagementRow,
  EngagementSummary,
  ListQuery,
  MemberDetail,
  type OverrideAuditEntry,
} from "../schemas/engagement.schemas.ts";

export function toRow(r: EngagementListRow): z.output<typeof EngagementRow> {
  return {
    ...r,
    computedAt: iso(r.computedAt),
    override: r.override ? { ...r.override, setAt: iso(r.override.setAt), expiresAt: iso(r.override.expiresAt) } : null,
  };
}

export function toAuditEntry(e: OverrideHistoryEntry): z.output<typeof OverrideAuditEntry> {
  return { ...e, expiresAt: iso(e.expiresAt), createdAt: iso(e.createdAt) };
}

export const notClassified = () => notFound("this member has not been classified yet (no run has covered them)", "not_classified");

export function engagementRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/v1/orgs/:orgId/engagement",
      {
        onRequest: access.orgReader,
        schema: {
          tags: ["engagement"],
          summary: "List the organisation's members with their engagement",
          security: bearer,
          params: OrgParams,
          querystring: ListQuery,
          response: { 200: EngagementList, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { level, source, overridden, limit, cursor } = req.query;
        const page = await listEngagement(deps.db, req.params.orgId, {
          level,
          source,
          overridden: overridden === undefined ? undefined : overridden === "true",
          limit,
          cursor,
        });
        return { items: page.items.map(toRow), nextCursor: page.nextCursor };
      },
    );

    app.get(
      "/v1/orgs/:orgId/engagement/summary",
      {
        onRequest: access.orgReader,
        schema: {
          tags: ["engagement"],
          summary: "Members per effective level and the latest run",
          security: bearer,
          params: OrgParams,
          response: { 200: EngagementSummary, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const summary = await getEngagementSummary(deps.db, req.params.orgId);
        const run = summary.lastRun;
        return {
          orgId: req.params.orgId,
          ...summary,
          lastRun: run ? { ...run, createdAt: iso(run.createdAt), startedAt: iso(run.startedAt), finishedAt: iso(run.finishedAt) } : null,
        };
      },
    );

    app.get(
      "/v1/orgs/:orgId/members/:userId/engagement",
      {
        onRequest: access.orgAdmin,
        schema: {
          tags: ["engagement"],
          summary: "One member: signals, computed vs effective level, level history, override history",
          security: bearer,
          params: MemberParams,
          response: { 200: MemberDetail, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { orgId, userId } = req.params;
        const detail = await getMemberEngagement(deps.db, orgId, userId);
        if (!detail) throw await memberNotFound(deps, orgId, userId);
        const [levelHistory, overrides] = await Promise.all([
          listLevelChanges(deps.db, orgId, userId),
          listOverrideHistory(deps.db, orgId, userId),
        ]);
        return {
          ...toRow(detail),
          memberExplanation: detail.memberExplanation,
          signals: (detail.signals ?? {}) as Record<string, unknown>,
          model: detail.model,
          fallbackReason: detail.fallbackReason,
          levelHistory: levelHistory.map((c) => ({ date: iso(c.date), level: c.level, runId: c.runId })),
          overrideHistory: overrides.map(toAuditEntry),
        };
      },
    );
  };
}

/** 404 either way, but says which: not an (active) member of this organisation, or one no run has covered yet. */
export async function memberNotFound(deps: ApiDeps, orgId: string, userId: string) {
  const membership = await findMembership(deps.db, orgId, userId);
  return membership?.status === "active" ? notClassified() : notFound("unknown member of this organisation");
}
