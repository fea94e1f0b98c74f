// The member's own view. The response schema has no admin field, the repository selects none, and the
// words come from member-view.ts: a member never sees admin text or level names such as at_risk.

import { Id } from "@engagement/auth";
import { getOwnEngagement } from "@engagement/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { type AccessHooks, claimsOf } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { errorResponses, notFound } from "../errors.ts";
import { memberView } from "../member-view.ts";
import { bearer, iso, Timestamp } from "../schemas/common.schemas.ts";
import { notClassified } from "./engagement.routes.ts";

export const MyEngagement = z.object({
  orgId: z.uuid(),
  label: z.string().describe('member-facing label, e.g. "Regular" or "We miss you"'),
  memberExplanation: z.string(),
  computedAt: Timestamp,
});

export function meRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/v1/me/engagement",
      {
        onRequest: access.memberSelf,
        schema: {
          tags: ["member"],
          summary: "Your own engagement, in member-facing words",
          security: bearer,
          querystring: z.object({ orgId: Id().describe("must be the organisation of your token") }),
          response: { 200: MyEngagement, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const { orgId } = req.query;
        // One query for the organisation, the membership and the result (three before: the route's every request).
        const found = await getOwnEngagement(deps.db, orgId, claimsOf(req).sub);
        if (!found) throw notFound("unknown organisation");
        if (found.membershipStatus !== "active") throw notFound("you are not a member of this organisation");
        const own = found.engagement;
        if (!own) throw notClassified();
        return { orgId, ...memberView(own), computedAt: iso(own.computedAt) };
      },
    );
  };
}
