// Erasure of a person (GDPR). An organisation's admin erases a member of their organisation who belongs to no
// other; an operator erases a person everywhere (by user id or by email), lists erasures and lifts one so that
// the person may be imported again. The work is the use case's (database, then queued copies); this layer
// validates, authorises and maps refusals to status codes. Answers and logs carry ids and counts, never the
// person's name or email (request bodies are never logged: see server.ts).
import { type Claims, Id, isUuid } from "@engagement/auth";
import { type ErasureInfo, ErasureRefusedError, findUserIdByEmail, liftErasure, listErasures } from "@engagement/db";
import { erasePersonAndCopies } from "@engagement/use-cases";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { type AccessHooks, claimsOf } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { conflict, errorResponses, notFound } from "../errors.ts";
import { bearer, iso, MemberParams, Timestamp } from "../schemas/common.schemas.ts";

const Count = z.number().int();
const ErasureCounts = z
  .object({
    users: Count,
    memberships: Count,
    registrations: Count,
    engagements: Count,
    snapshots: Count,
    overrideHistory: Count,
    tombstones: Count.describe("keyed hashes of the email and external ids that stop a later import"),
    actorReferences: Count.describe("rows where the person acted on others, now pointing at the erasure"),
    notesRedacted: Count.describe("override notes about others that named the person, replaced"),
  })
  .describe("what was removed or changed; no personal data");

const Erased = z.object({
  erasureId: z.uuid(),
  orgId: z.uuid().nullable().describe("the organisation erased from; null: everywhere"),
  counts: ErasureCounts,
});

const ErasureView = z.object({
  id: z.uuid(),
  orgId: z.uuid().nullable().describe("null: erased everywhere by an operator; set: from this organisation by its admin"),
  actorId: z.uuid().nullable().describe("who erased (an opaque user id); null when the CLI did, or the admin has been erased since"),
  actorErasureId: z.uuid().nullable().describe("set when the admin who erased has been erased since"),
  counts: ErasureCounts.partial(),
  createdAt: Timestamp,
  liftedAt: Timestamp.nullable().describe("set once an operator lifted it: imports may re-create the person"),
  liftedBy: z.uuid().nullable(),
});

const toView = (e: ErasureInfo): z.output<typeof ErasureView> => ({
  ...e,
  createdAt: iso(e.createdAt),
  liftedAt: iso(e.liftedAt),
});

const OperatorErasureBody = z
  .union([
    z.object({ userId: Id() }).strict(),
    z.object({ email: z.string().trim().max(320).pipe(z.email()).describe("matched case-insensitively") }).strict(),
  ])
  .describe("exactly one of userId or email");

/**
 * Who to record as having acted: the token's user id. An operator's `sub` may be a name rather than a user id
 * ("ops-oncall"); the actor columns are user ids, so such an operator is recorded as null, like the CLI, and
 * named in the log line instead (it once reached the uuid column and answered 500).
 */
const actorOf = (claims: Claims): string | null => (isUuid(claims.sub) ? claims.sub : null);

/** A refusal is the caller's to fix (404 unknown, 409 the state forbids it); anything else is ours. */
function refusalToError(err: unknown): unknown {
  if (!(err instanceof ErasureRefusedError)) return err;
  if (err.reason === "not_found") return notFound("unknown member of this organisation");
  return conflict(err.message, err.reason);
}

export function erasureRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  const erase = async (input: { userId: string; orgId: string | null; actorId: string | null }) => {
    try {
      return await erasePersonAndCopies(deps, input);
    } catch (err) {
      throw refusalToError(err);
    }
  };

  return async (app) => {
    app.post(
      "/v1/orgs/:orgId/members/:userId/erasure",
      {
        // A person's token only: an API key, whatever its scopes, cannot erase.
        onRequest: access.orgAdmin,
        schema: {
          tags: ["erasures"],
          summary: "Erase a member who belongs to this organisation only: their data goes, a tombstone stops re-imports",
          description:
            "Removes the person's name, email and every row about them; where they acted on others the audit keeps an opaque " +
            "reference. 409 member_of_other_organisations (an operator can erase a person who belongs to several organisations), " +
            "409 last_active_admin, 409 self (an admin cannot erase themselves).",
          security: bearer,
          params: MemberParams,
          response: { 200: Erased, ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (req) => {
        const { orgId, userId } = req.params;
        const actorId = claimsOf(req).sub;
        const result = await erase({ userId, orgId, actorId });
        req.log.info({ orgId, erasureId: result.erasureId, actorId, counts: result.counts }, "person erased from organisation");
        return { erasureId: result.erasureId, orgId: result.orgId, counts: result.counts };
      },
    );

    app.post(
      "/v1/erasures",
      {
        onRequest: access.operator,
        schema: {
          tags: ["erasures"],
          summary: "Erase a person everywhere, by user id or by email (operators)",
          security: bearer,
          body: OperatorErasureBody,
          response: {
            200: Erased.extend({
              orgsLeftWithoutAdmin: z.array(z.uuid()).describe("organisations whose last active admin this was: they need a new one"),
            }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (req) => {
        const userId = "userId" in req.body ? req.body.userId : await findUserIdByEmail(deps.db, req.body.email);
        if (!userId) throw notFound("no person with this email");
        const actorId = actorOf(claimsOf(req));
        const result = await erase({ userId, orgId: null, actorId });
        req.log.info({ erasureId: result.erasureId, actorId, sub: claimsOf(req).sub, counts: result.counts }, "person erased everywhere");
        const { erasureId, orgId, counts, orgsLeftWithoutAdmin } = result;
        return { erasureId, orgId, counts, orgsLeftWithoutAdmin };
      },
    );

    app.get(
      "/v1/erasures",
      {
        onRequest: access.operator,
        schema: {
          tags: ["erasures"],
          summary: "Erasures, newest first (operators)",
          security: bearer,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100), orgId: Id().optional() }),
          response: { 200: z.object({ items: z.array(ErasureView) }), ...errorResponses(400, 401, 403) },
        },
      },
      async (req) => ({ items: (await listErasures(deps.db, req.query)).map(toView) }),
    );

    app.post(
      "/v1/erasures/:erasureId/lift",
      {
        onRequest: access.operator,
        schema: {
          tags: ["erasures"],
          summary: "Lift an erasure: its tombstones stop refusing imports (what was removed stays removed; operators)",
          security: bearer,
          params: z.object({ erasureId: Id() }),
          response: { 200: ErasureView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const actorId = actorOf(claimsOf(req));
        const result = await liftErasure(deps.db, { erasureId: req.params.erasureId, actorId });
        if (result.status === "not_found") throw notFound("unknown erasure");
        if (result.status === "lifted")
          req.log.info({ erasureId: req.params.erasureId, actorId, sub: claimsOf(req).sub }, "erasure lifted");
        return toView(result.erasure);
      },
    );
  };
}
