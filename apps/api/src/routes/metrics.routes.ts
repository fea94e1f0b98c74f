// GET /metrics for Prometheus. Unauthenticated like /health (scrapers rarely carry tokens) and safe to be:
// it exposes counts only; keep it off the public network at the proxy if even counts are sensitive.
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";
import { collectMetrics, renderPrometheus } from "../metrics.ts";

export function metricsRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/metrics",
      {
        schema: {
          tags: ["operations"],
          summary: "Prometheus metrics: runs, members by source and level, LLM calls and tokens, rate limits, queue depths",
          produces: ["text/plain"],
          response: { 200: z.string().describe("Prometheus text exposition format 0.0.4") },
        },
      },
      async (_req, reply) => {
        const text = renderPrometheus(await collectMetrics(deps.db, deps.queues));
        return reply.type("text/plain; version=0.0.4; charset=utf-8").send(text);
      },
    );
  };
}
