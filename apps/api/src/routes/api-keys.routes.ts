// The organisation's API keys, managed by its admins: create (the key is in this answer only), list, revoke.
// Scripts and integrations send a key as `Authorization: Bearer <key>`; it reaches only its organisation.

import { Id } from "@engagement/auth";
import { API_KEY_SCOPES, type ApiKeyInfo, createApiKey, listApiKeys, revokeApiKey } from "@engagement/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { type AccessHooks, claimsOf } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { errorResponses, notFound } from "../errors.ts";
import { bearer, iso, OrgParams, Timestamp } from "../schemas/common.schemas.ts";

const Scope = z.enum(API_KEY_SCOPES);

const ApiKeyView = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe("the key's first characters, to tell keys apart"),
  scopes: z.array(Scope),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
  revokedAt: Timestamp.nullable(),
});

const toView = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  createdAt: iso(k.createdAt),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

export function apiKeysRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      "/v1/orgs/:orgId/api-keys",
      {
        onRequest: access.orgAdmin,
        schema: {
          tags: ["api keys"],
          summary: "Create an API key for scripts and integrations; the key is shown in this answer only",
          security: bearer,
          params: OrgParams,
          body: z.object({
            name: z.string().trim().min(1, "must not be empty").max(100),
            scopes: z.array(Scope).min(1).max(API_KEY_SCOPES.length).default(["import"]).describe("import (default) and/or read"),
          }),
          response: {
            201: ApiKeyView.extend({ key: z.string().describe("the secret: store it now, it cannot be shown again") }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (req, reply) => {
        const actorId = claimsOf(req).sub;
        const created = await createApiKey(deps.db, { orgId: req.params.orgId, name: req.body.name, scopes: req.body.scopes, actorId });
        req.log.info({ orgId: req.params.orgId, keyId: created.id, prefix: created.prefix, actorId }, "api key created");
        return reply.code(201).send({ ...toView(created), key: created.key });
      },
    );

    app.get(
      "/v1/orgs/:orgId/api-keys",
      {
        onRequest: access.orgAdmin,
        schema: {
          tags: ["api keys"],
          summary: "The organisation's API keys (never their secrets), newest first",
          security: bearer,
          params: OrgParams,
          response: { 200: z.object({ items: z.array(ApiKeyView) }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => ({ items: (await listApiKeys(deps.db, req.params.orgId)).map(toView) }),
    );

    app.delete(
      "/v1/orgs/:orgId/api-keys/:keyId",
      {
        onRequest: access.orgAdmin,
        schema: {
          tags: ["api keys"],
          summary: "Revoke an API key: it stops working at once (audited)",
          security: bearer,
          params: OrgParams.extend({ keyId: Id() }),
          response: { 200: ApiKeyView, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req) => {
        const actorId = claimsOf(req).sub;
        const result = await revokeApiKey(deps.db, { orgId: req.params.orgId, keyId: req.params.keyId, actorId });
        if (result.status === "not_found") throw notFound("unknown API key of this organisation");
        if (result.status === "revoked") req.log.info({ orgId: req.params.orgId, keyId: req.params.keyId, actorId }, "api key revoked");
        return toView(result.key);
      },
    );
  };
}
