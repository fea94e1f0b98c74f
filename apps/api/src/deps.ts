// What the API needs from the outside world. main.ts builds these from the environment; tests build them
// against their own database and queue prefix.
import type { Db } from "@engagement/db";
import type { Queues, RedisConnection } from "@engagement/queue";
import type { Logger } from "@engagement/runtime";

export interface RateLimitOptions {
  /** Requests per credential per window; 0: no limit. */
  max: number;
  windowMs: number;
  /** Redis key prefix of the counters: the same for every API process that should share them. */
  keyPrefix: string;
}

export interface ApiDeps {
  db: Db;
  queues: Queues;
  /** Checked by /health; the queues have their own connection handling. */
  redis: RedisConnection;
  jwtSecret: string;
  /** Tokens whose exp - iat is longer are refused; DEFAULT_MAX_TOKEN_LIFETIME_SECONDS when absent. */
  tokenMaxLifetimeSeconds?: number;
  logger: Logger;
  /** Requests per credential per window, shared through Redis by every API process on the same keyPrefix. */
  rateLimit: RateLimitOptions;
  /** Origins a browser may call the API from; empty: CORS closed. */
  corsOrigins: readonly string[];
  /** API_TRUST_PROXY_HOPS; 0 or absent: the socket's address is the client's. */
  trustProxyHops?: number;
}
