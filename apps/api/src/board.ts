// Bull Board at /admin/queues over every queue (scheduler, org run, classify), for operators only.
//
// Login: a browser cannot add a Bearer header to the page's asset and API requests, so an operator opens
// /admin/queues?token=<operator JWT> once. The token is verified, stored in an HttpOnly, SameSite=Strict
// cookie scoped to Path=/admin/queues (Secure over HTTPS) that expires with the token, and the browser is
// redirected to the same URL without the token, so it leaves the address bar and history. Every later request
// (page, static assets, the board's JSON API) is authenticated by that cookie; an Authorization: Bearer header
// is accepted too (curl). Missing/bad/expired token → 401, a non-operator token → 403.
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import { type Claims, InvalidTokenError, verifyToken } from "@engagement/auth";
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { bearerToken } from "./auth/auth.plugin.ts";
import type { ApiDeps } from "./deps.ts";
import { type ErrorBody, toErrorBody } from "./errors.ts";

export const BOARD_PATH = "/admin/queues";
export const BOARD_COOKIE = "engagement_board";

function readCookie(req: FastifyRequest, name: string): string | null {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key !== name) continue;
    const raw = rest.join("=");
    try {
      return decodeURIComponent(raw);
    } catch {
      // A malformed escape ("%") is a forged or broken cookie: verification refuses it as any bad token (401).
      return raw;
    }
  }
  return null;
}

function boardCookie(token: string, claims: Claims, secure: boolean): string {
  const maxAge = Math.max(0, claims.exp - Math.floor(Date.now() / 1000));
  return [
    `${BOARD_COOKIE}=${encodeURIComponent(token)}`,
    `Path=${BOARD_PATH}`,
    `Max-Age=${maxAge}`,
    "HttpOnly",
    "SameSite=Strict",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

/** The request's URL with the token parameter removed (the redirect after login). */
function withoutToken(url: string): string {
  const parsed = new URL(url, "http://board.invalid");
  parsed.searchParams.delete("token");
  return `${parsed.pathname}${parsed.search}`;
}

// The hook answers itself instead of throwing: Bull Board installs its own error handler on its routes,
// which would turn our 401/403 into a 500.
function deny(reply: FastifyReply, status: 401 | 403, message: string) {
  const body: ErrorBody = { error: status === 401 ? "unauthorized" : "forbidden", message };
  return reply.code(status).header("cache-control", "no-store").send(body);
}

/** The operator token a board request carries: the login's ?token=, else a Bearer header, else the cookie. */
export function boardToken(req: FastifyRequest): string | null {
  const fromQuery = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof fromQuery === "string" ? fromQuery : (bearerToken(req) ?? readCookie(req, BOARD_COOKIE));
}

function boardAuth(jwtSecret: string, maxLifetimeSeconds: number | undefined) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const fromQuery = (req.query as Record<string, unknown> | undefined)?.token;
    const token = boardToken(req);
    if (!token) return deny(reply, 401, `operator login needed: open ${BOARD_PATH}?token=<operator token>`);
    let claims: Claims;
    try {
      claims = await verifyToken(jwtSecret, token, { maxLifetimeSeconds });
    } catch (err) {
      if (err instanceof InvalidTokenError)
        return deny(reply, 401, `${err.message}: log in again with ${BOARD_PATH}?token=<operator token>`);
      throw err;
    }
    if (claims.role !== "operator") return deny(reply, 403, "the queue board is for operators");
    if (typeof fromQuery === "string") {
      return reply
        .header("set-cookie", boardCookie(token, claims, req.protocol === "https"))
        .header("cache-control", "no-store")
        .redirect(withoutToken(req.url), 303);
    }
  };
}

/**
 * Bull Board decodes some query values a second time (`decodeURIComponent(query.activeQueue)`), so a value that is
 * fine once decoded but holds a lone `%` (`?activeQueue=%25`, or a raw `%`) threw a URIError there: a 500, found by
 * the fuzz test. Such values are refused first, naming the parameter.
 */
function refuseUndecodableQuery(req: FastifyRequest, reply: FastifyReply) {
  for (const [name, value] of Object.entries((req.query as Record<string, unknown> | undefined) ?? {})) {
    for (const text of Array.isArray(value) ? value : [value]) {
      if (typeof text !== "string") continue;
      try {
        decodeURIComponent(text);
      } catch {
        const message = "has a % that is not a percent-escape once decoded";
        const body: ErrorBody = { error: "bad_request", message: `invalid query.${name}`, issues: [{ field: `query.${name}`, message }] };
        return reply.code(400).send(body);
      }
    }
  }
}

export function boardPlugin(deps: Pick<ApiDeps, "queues" | "jwtSecret" | "tokenMaxLifetimeSeconds" | "logger">): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.addHook("onRequest", boardAuth(deps.jwtSecret, deps.tokenMaxLifetimeSeconds));
    app.addHook("onRequest", async (req, reply) => refuseUndecodableQuery(req, reply));
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BOARD_PATH);
    createBullBoard({
      queues: Object.values(deps.queues).map((q) => new BullMQAdapter(q)),
      serverAdapter,
      options: { uiConfig: { boardTitle: "Engagement queues" } },
    });
    // What is thrown inside the board's routes (our hooks' refusals, a Redis error) gets the API's shape and a
    // log line when it needs a person; Bull Board's own handler would answer in its shape and show the raw
    // message. The answers its handlers return themselves (404 ERRORS.QUEUE_NOT_FOUND) are its UI's protocol,
    // translated by the UI from their keys, and stay as they are.
    serverAdapter.setErrorHandler((error) => {
      const { status, body } = toErrorBody(error);
      if (status >= 500) deps.logger.error({ err: error }, "queue board request failed");
      return { status: status as 500, body };
    });
    await app.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
  };
}
