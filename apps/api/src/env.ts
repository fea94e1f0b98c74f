// The API's configuration: the only file of this app that reads process.env.
import { commonEnv, envTypes, parseEnv } from "@engagement/runtime";
import { z } from "zod";

/** A browser origin as the Origin header spells it: scheme, host and optional port, no path. */
const ORIGIN = /^https?:\/\/[^/\s?#]+$/;

export const apiEnvShape = {
  ...commonEnv,
  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_PORT: envTypes.port.default(3000),
  /** HS256 secret for bearer tokens; at least 32 characters so it cannot be guessed. */
  API_JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
  /** Tokens living longer than this (exp - iat) are refused, whoever signed them. */
  API_TOKEN_MAX_LIFETIME_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /**
   * Requests per credential (a token, an API key; the client address without one) per window, counted in Redis
   * so that every API process shares the count; 0 turns the limit off. 1,200 a minute is 20 a second, far above
   * what the dashboard and the queue board make, well below what a runaway script does.
   */
  API_RATE_LIMIT_MAX: z.coerce.number({ error: "must be a whole number" }).int().min(0).default(1200),
  API_RATE_LIMIT_WINDOW_MS: envTypes.positiveInt.default(60_000),
  /**
   * Proxies in front of the API whose X-Forwarded-For is believed (Fastify's trustProxy as a hop count); 0: none,
   * the client address is the socket's. Behind a proxy with 0, every client shares the proxy's address, which
   * the limits by address (requests without a credential, refused credentials) then count together.
   */
  API_TRUST_PROXY_HOPS: z.coerce.number({ error: "must be a whole number" }).int().min(0).max(10).default(0),
  /** Origins a browser may call the API from, comma-separated; unset: none (CORS closed). */
  API_CORS_ORIGINS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(ORIGIN, "each origin must be scheme://host[:port], e.g. https://dashboard.example.org"))),
};

export function loadApiEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv(apiEnvShape, source);
}
