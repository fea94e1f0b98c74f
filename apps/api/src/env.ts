// The API's configuration: the only file of this app that reads process.env.
import { commonEnv, envTypes, parseEnv } from "@engagement/runtime";
import { z } from "zod";

export const apiEnvShape = {
  ...commonEnv,
  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_PORT: envTypes.port.default(3000),
  /** HS256 secret for bearer tokens; at least 32 characters so it cannot be guessed. */
  API_JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
  /** Tokens living longer than this (exp - iat) are refused, whoever signed them. */
  API_TOKEN_MAX_LIFETIME_DAYS: z.coerce.number().int().min(1).max(365).default(30),
};

export function loadApiEnv(source: Record<string, string | undefined> = process.env) {
  return parseEnv(apiEnvShape, source);
}
