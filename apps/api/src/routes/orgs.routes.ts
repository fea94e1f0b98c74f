// Organisations, for operators: create one with its first admin (who can then sign in and load members), and
// list them. Validation and access here; the data package does the work in one transaction.
import { createOrganizationWithAdmin, listOrganizations, SLUG_PATTERN, slugify } from "@engagement/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AccessHooks } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { badRequest, conflict, errorResponses } from "../errors.ts";
import { bearer, iso, Timestamp } from "../schemas/common.schemas.ts";

const Slug = z.string().min(1).max(60).regex(SLUG_PATTERN, "lower-case letters, digits and single hyphens, e.g. running-club-nord");

const CreateOrgBody = z.object({
  name: z.string().trim().min(1, "must not be empty").max(200),
  slug: Slug.optional().describe("URL name; derived from the name when omitted"),
  admin: z.object({
    email: z.string().trim().max(320).pipe(z.email()).describe("matched case-insensitively: a person already known joins as admin"),
    name: z.string().trim().min(1, "must not be empty").max(200),
  }),
});

const CreatedOrg = z.object({
  orgId: z.uuid(),
  slug: z.string(),
  adminUserId: z.uuid(),
  adminWasKnown: z.boolean().describe("the admin's email already belonged to a user (a member of another organisation)"),
});

const OrgList = z.object({
  items: z.array(z.object({ orgId: z.uuid(), name: z.string(), slug: z.string(), createdAt: Timestamp, activeMembers: z.number().int() })),
  nextCursor: z.string().nullable().describe("pass as ?cursor= for the next page; null on the last page"),
});

export function orgsRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/v1/orgs",
      {
        onRequest: access.operator,
        schema: {
          tags: ["organisations"],
          summary: "Create an organisation with its first admin (operators)",
          security: bearer,
          body: CreateOrgBody,
          response: { 201: CreatedOrg, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (req, reply) => {
        const { name, admin } = req.body;
        const slug = req.body.slug ?? slugify(name);
        if (!slug) throw badRequest([{ field: "body.slug", message: "the name gives no usable slug; send one" }]);
        const created = await createOrganizationWithAdmin(deps.db, { name, slug, admin });
        if (created.status === "slug_taken") throw conflict(`the slug "${slug}" is taken`, "slug_taken");
        req.log.info({ orgId: created.orgId, adminUserId: created.adminUserId, sub: req.auth?.sub }, "organisation created");
        const { status: _status, ...body } = created;
        return reply.code(201).send(body);
      },
    );

    app.get(
      "/v1/orgs",
      {
        onRequest: access.operator,
        schema: {
          tags: ["organisations"],
          summary: "List the organisations, by slug (operators)",
          security: bearer,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50), cursor: Slug.optional() }),
          response: { 200: OrgList, ...errorResponses(400, 401, 403) },
        },
      },
      async (req) => {
        const page = await listOrganizations(deps.db, { limit: req.query.limit, after: req.query.cursor });
        return { items: page.items.map((o) => ({ ...o, createdAt: iso(o.createdAt) })), nextCursor: page.nextCursor };
      },
    );
  };
}
