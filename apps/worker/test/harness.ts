// A pipeline under test: a cloned database, a queue prefix of its own in the real Redis, the fake Anthropic
// server, and in-process workers built exactly as main.ts builds them.
import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import { createClassifier } from "@engagement/anthropic";
import { generateSeed, getRun, insertSeedOrg } from "@engagement/db";
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from "@engagement/db/testing";
import { type FakeAnthropic, type FakeAnthropicOptions, startFakeAnthropic } from "@engagement/fake-anthropic";
import { closeQueues, createQueues, createRedis, createRequestBudget, type Queues, type RedisConnection } from "@engagement/queue";
import { createLogger } from "@engagement/runtime";
import { enqueueOrgRun } from "@engagement/use-cases";
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { WorkerDeps, WorkerSettings } from "../src/deps.ts";
import { createWorkers, type WorkerTuning } from "../src/workers.ts";

export interface Pipeline<C extends RedisConnection = Redis> {
  t: TestDatabase;
  redisUrl: string;
  fake: FakeAnthropic;
  connection: C;
  prefix: string;
  queues: Queues;
  deps: WorkerDeps;
  workers: Worker[];
  startWorkers(tuning?: Partial<WorkerTuning>): Worker[];
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
  /** When each LLM request was let through by the budget, and when each 429/529 (with its retry-after) was seen. */
  budgetEvents: { granted: number[]; refused: { at: number; retryAfterMs: number }[] };
  /** What the workers logged at warn level and above, parsed. */
  logLines(): { level: number; msg?: string; [key: string]: unknown }[];
}

export const FAST_TUNING: WorkerTuning = {
  orgConcurrency: 2,
  classifyConcurrency: 4,
  lockDurationMs: 5000,
  stalledIntervalMs: 2000,
};

export async function createPipeline<C extends RedisConnection = Redis>(
  label: string,
  opts: {
    fake?: FakeAnthropicOptions;
    settings?: Partial<WorkerSettings>;
    budget?: { max: number; windowMs: number };
    /** Judged members per request; 5 by default, the chunk size, so a chunk is one request. */
    membersPerRequest?: number;
    /** The classifier's stall timeout (see AnthropicClassifierConfig); its default otherwise. */
    stallTimeoutMs?: number;
    /** The SDK's request timeout (until the answer's headers); 5 s by default here, 60 s in production. */
    timeoutMs?: number;
    /** Another Redis than the shared test one (a server the test starts, stops and kills itself). */
    redisUrl?: string;
    /** The connection itself, e.g. a Redis Cluster client; `redisUrl` is then what worker processes are given. */
    connect?: () => C;
  } = {},
): Promise<Pipeline<C>> {
  const t = await createTestDatabase(label);
  const fake = await startFakeAnthropic({ apiKey: "test-key", ...opts.fake });
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  // Without `connect`, C is its default, Redis.
  const connection = opts.connect ? opts.connect() : (createRedis(redisUrl) as C);
  const prefix = `{test-${label}-${randomBytes(4).toString("hex")}}`;
  // The fault tests cut this Redis on purpose: the test's own clients reconnect quietly (what the apps log is
  // what those tests check), instead of printing a stack trace per reconnect attempt.
  connection.on("error", () => undefined);
  const queues = createQueues(connection, prefix, {}, () => undefined);
  const budget = createRequestBudget(connection, prefix, opts.budget?.max ?? 2000, opts.budget?.windowMs ?? 1000);
  const budgetEvents: Pipeline["budgetEvents"] = { granted: [], refused: [] };
  const classifier = createClassifier({
    kind: "anthropic",
    apiKey: "test-key",
    baseURL: fake.url,
    timeoutMs: opts.timeoutMs ?? 5000,
    maxRetries: 0,
    membersPerRequest: opts.membersPerRequest ?? 5,
    ...(opts.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: opts.stallTimeoutMs }),
    beforeRequest: async (signal) => {
      await budget.acquire(signal);
      budgetEvents.granted.push(Date.now());
    },
    // A lost observation (Redis briefly away) only paces less tightly; the 429 path still holds.
    onRateLimits: (limits) => {
      if (limits.retryAfterMs !== undefined) budgetEvents.refused.push({ at: Date.now(), retryAfterMs: limits.retryAfterMs });
      void budget.observe(limits).catch(() => undefined);
    },
  });
  const logged: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logged.push(String(chunk));
      done();
    },
  });
  const deps: WorkerDeps = {
    db: t.db,
    queues,
    classifier,
    budget,
    logger: createLogger("worker-test", "warn", sink),
    settings: {
      classifyChunkSize: 5,
      classifyChunkConcurrency: 3,
      maxRateLimited: 50,
      skipRecentHours: 24,
      fingerprint: { maxAgeDays: 7 },
      llmMode: "realtime",
      batchRuns: "all",
      batchPollMs: 200,
      ...opts.settings,
    },
  };
  const p: Pipeline<C> = {
    t,
    redisUrl,
    fake,
    connection,
    prefix,
    queues,
    deps,
    workers: [],
    budgetEvents,
    logLines: () => logged.flatMap((chunk) => chunk.split("\n").filter(Boolean)).map((line) => JSON.parse(line)),
    startWorkers(tuning = {}) {
      p.workers.push(...createWorkers(deps, connection, prefix, { ...FAST_TUNING, ...tuning }));
      return p.workers;
    },
    async stopWorkers() {
      await Promise.all(p.workers.splice(0).map((w) => w.close()));
    },
    async close() {
      await p.stopWorkers();
      for (const q of Object.values(queues)) await q.obliterate({ force: true });
      await closeQueues(queues);
      connection.disconnect();
      await fake.stop();
      await t.drop();
    },
  };
  return p;
}

/** Seeds `orgs` organisations of the demo shapes (weekly, monthly, paused, ...) with `members` each. */
export async function seedOrgs(p: Pipeline<RedisConnection>, orgs: number, members: number, seed = 7) {
  const out = [];
  for (const org of generateSeed({ orgs, members, seed, now: new Date() })) {
    await insertSeedOrg(p.t.db, org);
    out.push(org);
  }
  return out;
}

/**
 * The pipeline's database, Redis and queue prefix, as any app process (worker, scheduler, API) is given them: its
 * own Redis when the pipeline has one (a server the test restarts, a cluster), never the shared one behind its back.
 */
export function pipelineServicesEnv(p: Pipeline<RedisConnection>): Record<string, string> {
  return { DATABASE_URL: p.t.url, REDIS_URL: p.redisUrl, QUEUE_PREFIX: p.prefix };
}

/** Environment for a worker process (apps/worker/src/main.ts) wired to this pipeline's services. */
export function workerProcessEnv(p: Pipeline<RedisConnection>, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...pipelineServicesEnv(p),
    ENGAGEMENT_CLASSIFIER: "anthropic",
    ANTHROPIC_API_KEY: "test-key",
    ANTHROPIC_BASE_URL: p.fake.url,
    LLM_RATE_MAX_REQUESTS: "2000",
    LLM_RATE_WINDOW_MS: "1000",
    CLASSIFY_CHUNK_SIZE: "5",
    ...extra,
  };
}

export async function runOrg(p: Pipeline<RedisConnection>, orgId: string, force = false) {
  return enqueueOrgRun(p.t.db, p.queues, { orgId, trigger: "manual", force });
}

export async function waitForRuns(p: Pipeline<RedisConnection>, runIds: string[], timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const runs = await Promise.all(runIds.map((id) => getRun(p.t.db, id)));
    if (runs.every((r) => r && (r.status === "completed" || r.status === "failed"))) return runs.map((r) => r!);
    if (Date.now() > deadline) throw new Error(`runs not finished: ${runs.map((r) => `${r?.id}:${r?.status}`).join(", ")}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
