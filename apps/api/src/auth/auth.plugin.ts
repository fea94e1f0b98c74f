// Authentication and access rules, as onRequest hooks: they run before body and query validation, so a
// caller without the right token learns nothing about a route's schema and a rejected request reaches no
// handler (changes nothing).
//   admin    → only their own organisation's /v1/orgs/:orgId routes, and only while the database still lists
//              them as an active admin there (a token outlives a demotion otherwise);
//   member   → only /v1/me (admins may use it too: they are members of their organisation);
//   operator → organisations (create, list), runs of any organisation and the queue board; no member data.
// Wrong role or organisation → 403; an organisation that does not exist → 404 (checked after the org claim,
// so an admin cannot probe which other organisations exist).

import { type Claims, canonicalId, InvalidTokenError, isUuid, verifyToken } from "@engagement/auth";
import {
  type ApiKeyInfo,
  type ApiKeyScope,
  authenticateApiKey,
  type Db,
  findOrganization,
  findOrgMembership,
  looksLikeApiKey,
} from "@engagement/db";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { forbidden, notFound, unauthorized } from "../errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** A person's token (JWT). */
    auth: Claims | null;
    /** An organisation's API key (imports and integrations), when the bearer credential is one. */
    apiKey: ApiKeyInfo | null;
  }
}

export function registerAuthDecorator(app: FastifyInstance): void {
  app.decorateRequest("auth", null);
  app.decorateRequest("apiKey", null);
}

export function bearerToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Reads a path parameter before validation (hooks run first); validation still checks it afterwards. */
function rawParam(req: FastifyRequest, name: string): unknown {
  return canonicalId((req.params as Record<string, unknown> | undefined)?.[name]);
}

export function claimsOf(req: FastifyRequest): Claims {
  if (!req.auth) throw unauthorized("missing bearer token");
  return req.auth;
}

export type AccessHooks = ReturnType<typeof createAccessHooks>;

export function createAccessHooks(deps: { db: Db; jwtSecret: string; tokenMaxLifetimeSeconds?: number | undefined }) {
  /** A person's token or an organisation's API key; an unknown or revoked key is 401 like a bad token. */
  const authenticateAny = async (req: FastifyRequest) => {
    const token = bearerToken(req);
    if (!token) throw unauthorized("missing bearer token");
    if (looksLikeApiKey(token)) {
      const key = await authenticateApiKey(deps.db, token);
      if (!key) throw unauthorized("unknown or revoked API key");
      req.apiKey = key;
      return;
    }
    try {
      req.auth = await verifyToken(deps.jwtSecret, token, { maxLifetimeSeconds: deps.tokenMaxLifetimeSeconds });
    } catch (err) {
      if (err instanceof InvalidTokenError) throw unauthorized(err.message);
      throw err;
    }
  };

  /** Routes for people: an API key, however valid, may not use them. */
  const authenticate = async (req: FastifyRequest) => {
    await authenticateAny(req);
    if (req.apiKey) throw forbidden("this route needs a person's token, not an API key");
  };

  /** The organisation's API key with `scope`; a key of another organisation is 403. */
  const checkKey = async (key: ApiKeyInfo, orgId: unknown, scope: ApiKeyScope) => {
    if (key.orgId !== orgId) throw forbidden("the API key is for another organisation");
    if (!key.scopes.includes(scope)) throw forbidden(`the API key lacks the ${scope} scope`);
  };

  /** Reads of the organisation's engagement: its admins, and its API keys with the read scope. */
  const orgReader = async (req: FastifyRequest) => {
    await authenticateAny(req);
    if (req.apiKey) return checkKey(req.apiKey, rawParam(req, "orgId"), "read");
    await checkOrgAdmin(claimsOf(req), rawParam(req, "orgId"));
  };

  const requireOrgExists = async (orgId: string) => {
    if (!(await findOrganization(deps.db, orgId))) throw notFound("unknown organisation");
  };

  const checkOrgAdmin = async (claims: Claims, orgId: unknown) => {
    if (claims.role !== "admin") throw forbidden("this route needs an admin token");
    if (claims.org !== orgId) throw forbidden("the token is for another organisation");
    // The organisation and the membership in one query: this runs before every admin request.
    const found = await findOrgMembership(deps.db, claims.org as string, claims.sub);
    if (!found) throw notFound("unknown organisation");
    const membership = found.membership;
    if (membership?.role !== "admin" || membership.status !== "active") throw forbidden("not an active admin of this organisation");
  };

  /** /v1/orgs/:orgId/... dashboard and override routes: the organisation's own admins. */
  const orgAdmin = async (req: FastifyRequest) => {
    await authenticate(req);
    await checkOrgAdmin(claimsOf(req), rawParam(req, "orgId"));
  };

  /** Runs: the organisation's admins, and operators for any organisation. */
  const runAccess = async (req: FastifyRequest) => {
    await authenticate(req);
    const claims = claimsOf(req);
    const orgId = rawParam(req, "orgId");
    if (claims.role === "operator") {
      // A malformed id is left to params validation (400) rather than sent to the database.
      if (isUuid(orgId)) await requireOrgExists(orgId);
      return;
    }
    await checkOrgAdmin(claims, orgId);
  };

  /** /v1/me: a member (or admin) about themself, in the organisation of their token. */
  const memberSelf = async (req: FastifyRequest) => {
    await authenticate(req);
    const claims = claimsOf(req);
    if (claims.role === "operator") throw forbidden("operators have no member view");
    const orgId = canonicalId((req.query as Record<string, unknown> | undefined)?.orgId);
    // A missing orgId is a 400 from validation; a different one is someone else's organisation.
    if (orgId !== undefined && orgId !== claims.org) throw forbidden("the token is for another organisation");
  };

  /** Organisation management (create, list): operators only. */
  const operator = async (req: FastifyRequest) => {
    await authenticate(req);
    if (claimsOf(req).role !== "operator") throw forbidden("this route is for operators");
  };

  /** Imports into the organisation: its admins, and its API keys with the import scope. */
  const orgImporter = async (req: FastifyRequest) => {
    await authenticateAny(req);
    if (req.apiKey) return checkKey(req.apiKey, rawParam(req, "orgId"), "import");
    await checkOrgAdmin(claimsOf(req), rawParam(req, "orgId"));
  };

  return { authenticate, orgAdmin, orgReader, orgImporter, runAccess, memberSelf, operator, requireOrgExists };
}
