// Security headers (@fastify/helmet) on every answer, the queue board's pages included, and CORS closed unless
// API_CORS_ORIGINS names the origins a browser may call from.
//
// The Content-Security-Policy is helmet's default (scripts and frames from the API's own origin only, no
// plugins, inline styles allowed: the board's loading screen uses them, and stylesheets and fonts over https:
// it loads IBM Plex from Google Fonts) without `upgrade-insecure-requests`, which would send a browser on plain
// http://127.0.0.1 to https for every asset and break the board there. The Swagger UI at /docs fits it as
// well: its scripts are files of its own, not inline.
import cors from "@fastify/cors";
import helmet from "@fastify/helmet";
import type { FastifyInstance } from "fastify";

export async function registerSecurityHeaders(app: FastifyInstance, corsOrigins: readonly string[]): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  // No origin configured: no CORS headers at all, and a preflight is answered 404 like any unknown route.
  if (corsOrigins.length === 0) return;
  await app.register(cors, {
    origin: [...corsOrigins],
    methods: ["GET", "HEAD", "POST", "PUT", "DELETE"],
    allowedHeaders: ["authorization", "content-type"],
    exposedHeaders: ["retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"],
    // Tokens travel in the Authorization header, never in cookies a cross-origin page could ride on.
    credentials: false,
    maxAge: 600,
  });
}
