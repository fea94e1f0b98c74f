// Admin overrides: set, clear and the audit trail. The repository does the change and its audit row in one
// locked transaction; this layer only validates, authorises and maps outcomes to status codes.
import { clearOverride, findMembership, listOverrideHistory, setOverride } from "@engagement/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { type AccessHooks, claimsOf } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { errorResponses, notFound } from "../errors.ts";
import { bearer, iso, MemberParams } from "../schemas/common.schemas.ts";
import { ClearOverrideBody, OverrideChange, OverrideHistory, SetOverrideBody } from "../schemas/engagement.schemas.ts";
import { notClassified, toAuditEntry } from "./engagement.routes.ts";

const PATH = "/v1/orgs/:orgId/members/:userId/engagement";

export function overrideRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  /** Overrides apply to current members only; history stays readable for former members too. */
  const requireMember = async (orgId: string, userId: string, activeOnly: boolean) => {
    const membership = await findMembership(deps.db, orgId, userId);
    if (!membership || (activeOnly && membership.status !== "active")) throw notFound("unknown member of this organisation");
  };

  return async (app) => {
    app.put(
      `${PATH}/override`,
      {
        onRequest: access.orgAdmin,
        schema: {
          tags: ["overrides"],
          summary: "Set the member's level by hand (effective at once, audited)",
          security: bearer,
          params: MemberParams,
          body: SetOverrideBody,
          response: { 200: OverrideChange, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { orgId, userId } = req.params;
        await requireMember(orgId, userId, true);
        const { level, note, expiresAt } = req.body;
        const result = await setOverride(deps.db, orgId, userId, {
          level,
          note,
          expiresAt: expiresAt ? new Date(expiresAt) : null,
          actorId: claimsOf(req).sub,
        });
        if (result.status === "not_classified") throw notClassified();
        req.log.info({ orgId, userId, actorId: claimsOf(req).sub, level, previousLevel: result.previousLevel }, "override set");
        return {
          userId,
          action: "set" as const,
          previousLevel: result.previousLevel,
          level: result.level,
          expiresAt: iso(result.expiresAt),
          auditId: result.auditId,
        };
      },
    );

    app.delete(
      `${PATH}/override`,
      {
        onRequest: access.orgAdmin,
        schema: {
          tags: ["overrides"],
          summary: "Remove the active override; the computed level applies again (audited)",
          security: bearer,
          params: MemberParams,
          body: ClearOverrideBody.nullish(),
          response: { 200: OverrideChange, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { orgId, userId } = req.params;
        await requireMember(orgId, userId, true);
        const result = await clearOverride(deps.db, orgId, userId, { actorId: claimsOf(req).sub, note: req.body?.note ?? null });
        if (result.status === "not_classified") throw notClassified();
        if (result.status === "no_active_override") throw notFound("this member has no active override", "no_active_override");
        req.log.info({ orgId, userId, actorId: claimsOf(req).sub, level: result.level }, "override cleared");
        return {
          userId,
          action: "cleared" as const,
          previousLevel: result.previousLevel,
          level: result.level,
          expiresAt: null,
          auditId: result.auditId,
        };
      },
    );

    app.get(
      `${PATH}/overrides`,
      {
        onRequest: access.orgAdmin,
        schema: {
          tags: ["overrides"],
          summary: "The member's override audit trail, newest first",
          security: bearer,
          params: MemberParams,
          response: { 200: OverrideHistory, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { orgId, userId } = req.params;
        await requireMember(orgId, userId, false);
        const items = await listOverrideHistory(deps.db, orgId, userId);
        return { items: items.map(toAuditEntry) };
      },
    );
  };
}
