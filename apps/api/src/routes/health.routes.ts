// Liveness and dependency check for load balancers and orchestrators: 200 when PostgreSQL and Redis answer,
// 503 naming the one that does not. Unauthenticated and free of data.
import { pingDatabase } from "@engagement/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ApiDeps } from "../deps.ts";

const CHECK_TIMEOUT_MS = 2000;
const Status = z.enum(["ok", "unreachable"]);
const Health = z.object({ status: z.enum(["ok", "degraded"]), database: Status, redis: Status });

async function check(probe: () => Promise<unknown>): Promise<z.infer<typeof Status>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("timeout")), CHECK_TIMEOUT_MS);
  });
  try {
    await Promise.race([probe(), timeout]);
    return "ok";
  } catch {
    return "unreachable";
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/health",
      { schema: { tags: ["operations"], summary: "Database and Redis reachability", response: { 200: Health, 503: Health } } },
      async (req, reply) => {
        const [database, redis] = await Promise.all([check(() => pingDatabase(deps.db)), check(() => deps.redis.ping())]);
        const ok = database === "ok" && redis === "ok";
        if (!ok) req.log.warn({ database, redis }, "health check failed");
        return reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "degraded", database, redis });
      },
    );
  };
}
