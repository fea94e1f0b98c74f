// Builds the Fastify app from its dependencies, without listening: main.ts listens, tests use inject() or
// listen on port 0. Zod schemas validate requests and serialise responses (extra fields are stripped, so a
// handler cannot leak a column its response schema does not name).

import { redactUrlCredentials } from "@engagement/runtime";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { createAccessHooks, registerAuthDecorator } from "./auth/auth.plugin.ts";
import { boardPlugin } from "./board.ts";
import type { ApiDeps } from "./deps.ts";
import { closeConnectionsWhenDraining } from "./drain.ts";
import { frameworkErrors, installErrorHandling } from "./errors.ts";
import { registerOpenApi } from "./openapi.ts";
import { registerRateLimit } from "./rate-limit.ts";
import { apiKeysRoutes } from "./routes/api-keys.routes.ts";
import { engagementRoutes } from "./routes/engagement.routes.ts";
import { erasureRoutes } from "./routes/erasure.routes.ts";
import { healthRoutes } from "./routes/health.routes.ts";
import { importRoutes } from "./routes/import.routes.ts";
import { meRoutes } from "./routes/me.routes.ts";
import { metricsRoutes } from "./routes/metrics.routes.ts";
import { orgsRoutes } from "./routes/orgs.routes.ts";
import { overrideRoutes } from "./routes/override.routes.ts";
import { runsRoutes } from "./routes/runs.routes.ts";
import { registerSecurityHeaders } from "./security-headers.ts";
import { refuseUnstorableText } from "./storable-input.ts";

export async function buildServer(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino 10's Logger type is stricter than the FastifyBaseLogger Fastify types its instance with.
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Logged below instead, with the URL redacted: the board login carries a token in its query string.
    disableRequestLogging: true,
    bodyLimit: 64 * 1024,
    frameworkErrors,
    // The nearest `trustProxyHops` addresses of X-Forwarded-For are proxies (proxy-addr's hop-count rule).
    ...(deps.trustProxyHops ? { trustProxy: (_address: string, hop: number) => hop < (deps.trustProxyHops ?? 0) } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  refuseUnstorableText(app);
  registerAuthDecorator(app);
  closeConnectionsWhenDraining(app);
  app.addHook("onResponse", async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        url: redactUrlCredentials(req.url),
        statusCode: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        sub: req.auth?.sub,
      },
      "request",
    );
  });

  // Before the routes: their hooks run after these (CORS answers a preflight before anything else, then the
  // rate limit refuses a flood before authentication spends anything on it).
  await registerSecurityHeaders(app, deps.corsOrigins);
  await registerRateLimit(app, deps, deps.rateLimit);
  await registerOpenApi(app);
  const access = createAccessHooks(deps);
  await app.register(healthRoutes(deps));
  await app.register(metricsRoutes(deps));
  await app.register(engagementRoutes(deps, access));
  await app.register(overrideRoutes(deps, access));
  await app.register(meRoutes(deps, access));
  await app.register(runsRoutes(deps, access));
  await app.register(orgsRoutes(deps, access));
  await app.register(apiKeysRoutes(deps, access));
  await app.register(importRoutes(deps, access));
  await app.register(erasureRoutes(deps, access));
  await app.register(boardPlugin(deps));
  return app;
}
