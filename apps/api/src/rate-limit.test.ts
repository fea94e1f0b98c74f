// The rate limit holds across API processes: two Fastify apps on the same Redis prefix (each with its own
// connection, as two processes have) share one count per token and per API key, and one count of refused
// credentials per client address. Past it: 429 in the API's error shape with retry-after; /health and /metrics are
// never limited; a Redis outage lifts the limit instead of failing the API.
import { setTimeout as sleep } from "node:timers/promises";
import { createApiKey } from "@engagement/db";
import { createRedis } from "@engagement/queue";
import { createLogger } from "@engagement/runtime";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { FastifyInstance } from "fastify";
import { bearer, seedOrg, startTestApi, TEST_JWT_SECRET, type TestApi } from "../test/harness.ts";
import { buildServer } from "./server.ts";

const MAX = 5;
const WINDOW_MS = 3000;

describe("rate limit shared by API processes", () => {
  let api: TestApi;
  let second: FastifyInstance;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  const keyPrefix = () => `${api.prefix}:api-rate-limit:`;

  beforeAll(async () => {
    api = await startTestApi("ratelimit", { rateLimit: { max: MAX, windowMs: WINDOW_MS } });
    a = await seedOrg(api, "Alpha");
    // The same deployment's second process: same database, queues and Redis prefix, its own limiter connection.
    second = await buildServer({
      db: api.db,
      queues: api.queues,
      redis: api.redis,
      jwtSecret: TEST_JWT_SECRET,
      logger: createLogger("api-test-2", "silent"),
      rateLimit: { max: MAX, windowMs: WINDOW_MS, keyPrefix: keyPrefix() },
      corsOrigins: [],
    });
    await second.ready();
  });
  afterAll(async () => {
    await second?.close();
    await api?.close();
  });

  const summary = (app: FastifyInstance, token: string) =>
    app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary`, headers: bearer(token) });

  it("counts one token's requests on both apps together, answers 429 with retry-after past the limit, then lets it through again", async () => {
    const token = await api.token({ sub: a.admin.id, org: a.org.id, role: "admin" }, 600);
    const statuses: number[] = [];
    for (let i = 0; i < MAX; i++) statuses.push((await summary(i % 2 === 0 ? api.app : second, token)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    for (const app of [api.app, second]) {
      const refused = await summary(app, token);
      expect(refused.statusCode).toBe(429);
      expect(refused.json()).toEqual({ error: "rate_limited", message: expect.stringMatching(/^too many requests: at most 5 per 3 s/) });
      const retryAfter = Number(refused.headers["retry-after"]);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
      expect(refused.headers["x-ratelimit-limit"]).toBe(String(MAX));
      expect(refused.headers["x-ratelimit-remaining"]).toBe("0");
    }

    // Another person's token has its own count, on either app.
    expect((await summary(second, a.adminToken)).statusCode).toBe(200);

    await sleep(WINDOW_MS + 200);
    expect((await summary(second, token)).statusCode).toBe(200);
  });

  it("counts an API key on its own, across both apps", async () => {
    const key = await createApiKey(api.db, { orgId: a.org.id, name: "script", scopes: ["read"], actorId: a.admin.id });
    const statuses: number[] = [];
    for (let i = 0; i < MAX + 1; i++) statuses.push((await summary(i % 2 === 0 ? second : api.app, key.key)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it("stores a hash of the credential under the deployment's prefix, never the credential", async () => {
    const token = await api.token({ sub: a.admin.id, org: a.org.id, role: "admin" }, 900);
    await summary(api.app, token);
    const keys = await api.redis.keys(`${keyPrefix()}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      expect(k.startsWith(keyPrefix())).toBe(true);
      expect(k).not.toContain(token.split(".")[2]);
    }
  });

  it("limits requests without a credential by client address (a flood of 401s is limited too)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < MAX + 1; i++) statuses.push((await second.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary` })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
  });

  it("limits refused credentials by client address: a new made-up token each time is limited too, on both apps", async () => {
    const from = (app: FastifyInstance, token: string, remoteAddress: string) =>
      app.inject({ url: `/v1/orgs/${a.org.id}/engagement/summary`, headers: bearer(token), remoteAddress });
    const statuses: number[] = [];
    for (let i = 0; i < MAX; i++) statuses.push((await from(i % 2 ? api.app : second, `made.up.${i}`, "10.0.0.9")).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const refused = await from(second, "made.up.again", "10.0.0.9");
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toEqual({
      error: "rate_limited",
      message: expect.stringMatching(/^too many refused credentials from this address: at most 5 per 3 s; retry in \d s$/),
    });
    expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    // Its refusals stay 429 until the window ends; a valid token from the same address (behind a proxy, every
    // client's) is served as usual, so nobody's made-up tokens lock out the others.
    expect((await from(api.app, "made.up.once.more", "10.0.0.9")).statusCode).toBe(429);
    expect((await from(api.app, a.adminToken, "10.0.0.9")).statusCode).toBe(200);
    expect((await from(api.app, "made.up.elsewhere", "10.0.0.10")).statusCode).toBe(401);
  });

  it("behind a proxy (API_TRUST_PROXY_HOPS=1) counts each client by its forwarded address, not the proxy's", async () => {
    const proxied = await buildServer({
      db: api.db,
      queues: api.queues,
      redis: api.redis,
      jwtSecret: TEST_JWT_SECRET,
      logger: createLogger("api-test-proxied", "silent"),
      rateLimit: { max: MAX, windowMs: WINDOW_MS, keyPrefix: keyPrefix() },
      corsOrigins: [],
      trustProxyHops: 1,
    });
    try {
      const viaProxy = (client: string, token: string) =>
        proxied.inject({
          url: `/v1/orgs/${a.org.id}/engagement/summary`,
          headers: { ...bearer(token), "x-forwarded-for": client },
          remoteAddress: "10.9.9.9",
        });
      const statuses: number[] = [];
      for (let i = 0; i <= MAX; i++) statuses.push((await viaProxy("203.0.113.7", `made.up.proxied.${i}`)).statusCode);
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
      // Another client behind the same proxy has a count of its own.
      expect((await viaProxy("203.0.113.8", "made.up.other")).statusCode).toBe(401);
    } finally {
      await proxied.close();
    }
  });

  it("never limits /health and /metrics", async () => {
    for (let i = 0; i < MAX * 2; i++) {
      expect((await api.app.inject({ url: "/health" })).statusCode).toBe(200);
      expect((await second.inject({ url: "/metrics" })).statusCode).toBe(200);
    }
  });

  it("keeps serving when the limiter's Redis is unreachable (the limit is lifted, the API is not failed)", async () => {
    const deadRedis = createRedis("redis://127.0.0.1:1", { lazyConnect: true, retryStrategy: () => 1000 });
    deadRedis.on("error", () => {});
    const app = await buildServer({
      db: api.db,
      queues: api.queues,
      redis: deadRedis,
      jwtSecret: TEST_JWT_SECRET,
      logger: createLogger("t", "silent"),
      rateLimit: { max: 1, windowMs: WINDOW_MS, keyPrefix: keyPrefix() },
      corsOrigins: [],
    });
    try {
      const started = Date.now();
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await summary(app, a.adminToken)).statusCode);
      expect(statuses).toEqual([200, 200, 200]);
      // Refused at once by the limiter's connection, not after a wait per request.
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await app.close();
      deadRedis.disconnect();
    }
  });
});
