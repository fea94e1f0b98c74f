// A real API for tests: its own cloned database, its own BullMQ prefix on the test Redis, the real server
// (inject() or a real port), and tokens signed with the test secret. close() removes everything it made.
import { randomBytes } from "node:crypto";
import { type Role, signToken } from "@engagement/auth";
import type { Db } from "@engagement/db";
import { buildMember, buildMemberEngagement, buildOrg, createTestDatabase, TEST_REDIS_URL } from "@engagement/db/testing";
import { closeQueues, createQueues, createRedis, type Queues } from "@engagement/queue";
import { createLogger } from "@engagement/runtime";
import type { FastifyInstance } from "fastify";
import type { Redis } from "ioredis";
import type { ApiDeps } from "../src/deps.ts";
import { loadApiEnv } from "../src/env.ts";
import { buildServer } from "../src/server.ts";

export const TEST_JWT_SECRET = "test-secret-for-the-api-tests-0123456789";

export interface TestApi {
  app: FastifyInstance;
  db: Db;
  queues: Queues;
  redis: Redis;
  prefix: string;
  databaseUrl: string;
  token(claims: { sub: string; org?: string; role: Role }, ttlSeconds?: number): Promise<string>;
  close(): Promise<void>;
}

/** The defaults of a deployment (src/env.ts), with the test's own Redis prefix. */
export function defaultRateLimit(prefix: string): ApiDeps["rateLimit"] {
  const env = loadApiEnv({ API_JWT_SECRET: TEST_JWT_SECRET });
  return { max: env.API_RATE_LIMIT_MAX, windowMs: env.API_RATE_LIMIT_WINDOW_MS, keyPrefix: `${prefix}:api-rate-limit:` };
}

export interface TestApiOptions {
  /** Another limit than the default's; the key prefix defaults to the test's own. */
  rateLimit?: Partial<ApiDeps["rateLimit"]>;
  corsOrigins?: string[];
  /** Share another test API's Redis prefix (queues and rate-limit counters), as API processes of one deployment do. */
  prefix?: string;
  logger?: ApiDeps["logger"];
}

export async function startTestApi(label: string, options: TestApiOptions = {}): Promise<TestApi> {
  const database = await createTestDatabase(`api_${label}`);
  const redis = createRedis(TEST_REDIS_URL);
  const prefix = options.prefix ?? `{test-api-${label}-${randomBytes(4).toString("hex")}}`;
  const queues = createQueues(redis, prefix);
  const logger = options.logger ?? createLogger("api-test", process.env.TEST_LOG_LEVEL ?? "silent");
  const app = await buildServer({
    db: database.db,
    queues,
    redis,
    jwtSecret: TEST_JWT_SECRET,
    logger,
    rateLimit: { ...defaultRateLimit(prefix), ...options.rateLimit },
    corsOrigins: options.corsOrigins ?? [],
  });
  await app.ready();
  return {
    app,
    db: database.db,
    queues,
    redis,
    prefix,
    databaseUrl: database.url,
    token: (claims, ttlSeconds = 3600) => signToken(TEST_JWT_SECRET, claims, ttlSeconds),
    async close() {
      await app.close();
      await Promise.all(Object.values(queues).map((q) => q.obliterate({ force: true })));
      await closeQueues(queues);
      await redis.quit();
      await database.drop();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/**
 * An organisation with an admin (tokens included) and classified members:
 *   steady  → highly_engaged by the LLM; drifting → at_risk by the rules (admin text mentions the risk);
 *   fresh   → member never classified.
 */
export async function seedOrg(api: TestApi, name = "Org") {
  const org = await buildOrg(api.db, { name });
  const admin = (await buildMember(api.db, org.id, { role: "admin", name: `${name} Admin` })).user;
  const steady = (await buildMember(api.db, org.id, { name: `${name} Steady` })).user;
  const drifting = (await buildMember(api.db, org.id, { name: `${name} Drifting` })).user;
  const fresh = (await buildMember(api.db, org.id, { name: `${name} Fresh` })).user;
  await buildMemberEngagement(api.db, {
    orgId: org.id,
    userId: steady.id,
    level: "highly_engaged",
    source: "llm",
    adminExplanation: "ADMIN-ONLY: attends nearly every event.",
    memberExplanation: "Thank you for being such a regular!",
  });
  await buildMemberEngagement(api.db, {
    orgId: org.id,
    userId: drifting.id,
    level: "at_risk",
    source: "rules",
    adminExplanation: "ADMIN-ONLY: at_risk because attendance fell from 6 to 1 per quarter.",
    memberExplanation: "We've missed you! We'd love to have you back.",
  });
  return {
    org,
    admin,
    steady,
    drifting,
    fresh,
    adminToken: await api.token({ sub: admin.id, org: org.id, role: "admin" }),
    memberToken: (userId: string) => api.token({ sub: userId, org: org.id, role: "member" }),
  };
}
