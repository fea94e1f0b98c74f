// No personal data leaves PostgreSQL during a night: not into Redis (job payloads, return values, failed reasons
// and stack traces, job logs, events streams, locks, the request budget), not into what is sent to the LLM, not
// into the worker's or the API's log output, and not into the Bull Board's JSON API. Every member gets a name,
// an email and a display name made of rare words with a random tag, so a hit can only be a leak; the fake server
// answers with faults (5xx, overload, refusals, malformed answers) so that jobs fail, retry and leave their
// failed reasons, stack traces and log lines behind. Real worker and API processes; one night in both LLM modes
// (the worker in batch mode for scheduled runs: two organisations' scheduled runs go through a provider batch,
// the two others run by hand in real time), which costs one start of each process instead of two.

import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { signToken } from "@engagement/auth";
import { generateSeed, insertSeedOrg } from "@engagement/db";
import { findTextInDatabase } from "@engagement/db/testing";
import { catalog, QUEUE_NAMES } from "@engagement/queue";
import { findTextInRedis, type RedisKeySeen, type RedisTextHit } from "@engagement/queue/testing";
import { type AppProcess, startApp } from "@engagement/runtime/testing";
import { enqueueOrgRun } from "@engagement/use-cases";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createPipeline, type Pipeline, waitForRuns, workerProcessEnv } from "./harness.ts";

const JWT_SECRET = randomBytes(32).toString("hex");
const ORGS = 4; // a weekly club, a monthly association, a paused society, a fortnightly circle
const MEMBERS = 30;

/** A rare word with a random tag: found in a scan only if it was copied from the members' rows. */
const tagged = (word: string) => `${word}${randomBytes(3).toString("hex")}`;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

interface Night {
  p: Pipeline;
  needles: string[];
  worker: AppProcess;
  api: AppProcess;
  runs: Awaited<ReturnType<typeof waitForRuns>>;
  keys: Map<string, string>;
  redisHits: RedisTextHit[];
  /** Every body the board's JSON API answered, by the path asked. */
  board: Map<string, string>;
}

/** The first Messages requests of the night fail (500, then a 429 with retry-after, then 500s): attempts fail and retry. */
function night5xx(p: Pipeline) {
  p.fake.fault("server_error", 2);
  p.fake.fault("rate_limited", 1);
  p.fake.fault("server_error", 1);
}

/** Seeds the orgs with tagged people, runs one night through a worker and an API process, and scans as it goes. */
async function runNight(): Promise<Night> {
  const p = await createPipeline("privacy", {
    fake: {
      latencyMs: [5, 20],
      // Content faults cost no wait; the queued 5xx below fail a few attempts, retried once after the 5 s backoff.
      faultRates: { refusal: 0.05, malformed_tool_input: 0.05, unsafe_item: 0.05 },
      faultSeed: 12,
      batchProcessingMs: 300,
      batchItemFaultRates: { errored: 0.2 },
    },
  });
  const needles: string[] = [];
  const displayNames: string[] = [];
  const runDate = new Date().toISOString().slice(0, 10);
  const orgIds: string[] = [];
  for (const org of generateSeed({ orgs: ORGS, members: MEMBERS, seed: 12, now: new Date() })) {
    orgIds.push(org.org.id);
    org.users = org.users.map((u) => {
      const given = tagged("Ottoline");
      const family = tagged("Quarrington");
      const email = `${tagged("ottoq")}@${tagged("privacy")}.example`;
      needles.push(given, family, `${given} ${family}`, email, email.split("@")[0] as string);
      return { ...u, name: `${given} ${family}`, email };
    });
    await insertSeedOrg(p.t.db, org);
    for (const m of org.memberships) {
      const displayName = tagged("Wendeline");
      displayNames.push(displayName);
      await p.t.db.membership.update({ where: { id: m.id }, data: { displayName } });
    }
  }
  needles.push(...displayNames);
  const port = await freePort();
  const worker = startApp(
    "worker",
    workerProcessEnv(p, {
      LOG_LEVEL: "info",
      LLM_MODE: "batch",
      LLM_BATCH_RUNS: "scheduled",
      LLM_BATCH_POLL_MS: "200",
      // A long window, so the budget's keys are still there for the scans.
      LLM_RATE_MAX_REQUESTS: "60000",
      LLM_RATE_WINDOW_MS: "60000",
      LLM_MEMBERS_PER_REQUEST: "5",
      JOB_LOCK_MS: "5000",
      STALLED_INTERVAL_MS: "2000",
    }),
  );
  const api = startApp("api", { ...workerProcessEnv(p), LOG_LEVEL: "info", API_PORT: String(port), API_JWT_SECRET: JWT_SECRET });
  await api.waitForLog((l) => l.msg === "api listening", 30_000);

  night5xx(p);
  const started = [];
  for (const [i, orgId] of orgIds.entries()) {
    started.push(
      await enqueueOrgRun(p.t.db, p.queues, i % 2 === 0 ? { orgId, trigger: "scheduled", runDate } : { orgId, trigger: "manual" }),
    );
  }

  // Scanned while the night runs (locks, active jobs, the budget's window live only then) and once more at its end.
  const keys = new Map<string, string>();
  const redisHits: RedisTextHit[] = [];
  const scan = async () => {
    const found = await findTextInRedis(p.connection, p.prefix, needles);
    for (const k of found.keys) keys.set(k.key, k.type);
    redisHits.push(...found.hits);
  };
  let running = true;
  const scanning = (async () => {
    while (running) {
      await scan();
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  let runs: Night["runs"];
  try {
    runs = await waitForRuns(
      p,
      started.map((s) => s.runId),
      45_000,
    );
  } finally {
    running = false;
    await scanning;
  }
  await scan();
  const board = await readBoard(`http://127.0.0.1:${port}`);
  return { p, needles, worker, api, runs, keys, redisHits, board };
}

/** Everything the board's JSON API shows about the jobs: each queue's lists by state, then each job and its logs. */
async function readBoard(base: string): Promise<Map<string, string>> {
  const token = await signToken(JWT_SECRET, { sub: "privacy-operator", role: "operator" }, 600);
  const bodies = new Map<string, string>();
  const get = async (path: string) => {
    const res = await fetch(`${base}/admin/queues/api${path}`, { headers: { authorization: `Bearer ${token}` } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`board ${path}: ${res.status} ${text}`);
    bodies.set(path, text);
    return JSON.parse(text) as unknown;
  };
  const jobIds = new Map<string, Set<string>>();
  for (const queue of Object.values(QUEUE_NAMES)) {
    jobIds.set(queue, new Set());
    for (const status of ["latest", "active", "waiting", "waiting-children", "delayed", "completed", "failed", "prioritized", "paused"]) {
      const query = new URLSearchParams({ activeQueue: queue, status, page: "1", jobsPerPage: "1000" });
      const answer = (await get(`/queues?${query}`)) as { queues: { name: string; jobs: { id: string }[] }[] };
      for (const job of answer.queues.find((q) => q.name === queue)?.jobs ?? []) jobIds.get(queue)?.add(job.id);
    }
  }
  for (const [queue, ids] of jobIds) {
    for (const id of ids) {
      await get(`/queues/${encodeURIComponent(queue)}/${encodeURIComponent(id)}`);
      await get(`/queues/${encodeURIComponent(queue)}/${encodeURIComponent(id)}/logs`);
    }
  }
  return bodies;
}

const lower = (text: string) => text.toLowerCase();
const found = (haystacks: Iterable<string>, needles: string[]) => {
  const hits: string[] = [];
  for (const hay of haystacks) {
    const text = lower(hay);
    for (const n of needles) if (text.includes(lower(n))) hits.push(n);
  }
  return [...new Set(hits)];
};

describe("a night in both LLM modes leaves no name or email outside PostgreSQL", () => {
  let night: Night;
  beforeAll(async () => {
    night = await runNight();
  }, 110_000);
  afterAll(async () => {
    await night?.worker.stop("SIGTERM");
    await night?.api.stop("SIGTERM");
    await night?.p.close();
  }, 60_000);

  it("the night ran, judged members through a provider batch and in real time, and survived failed attempts", async () => {
    expect(night.runs.map((r) => r.status)).toEqual(Array(ORGS).fill("completed"));
    const judged = await night.p.t.db.engagementSnapshot.groupBy({ by: ["viaBatch"], where: { source: "llm" }, _count: { _all: true } });
    expect(judged.map((j) => j.viaBatch).sort()).toEqual([false, true]);
    // The people are where they belong, under the needles searched for: the scans below look for real values.
    const [given, , , email] = night.needles;
    const inDb = await findTextInDatabase(night.p.t.db, [given as string, email as string, night.needles.at(-1) as string]);
    expect(inDb.map((h) => `${h.table}.${h.column}`).sort()).toEqual([
      "memberships.display_name",
      "memberships.list_name",
      "users.email",
      "users.name",
    ]);
  });
  it("Redis holds none of them: every key of the prefix, read whole, during and after the night", () => {
    const seen = [...night.keys].map(([key, type]): RedisKeySeen => ({ key, type }));
    const names = seen.map((k) => k.key.slice(night.p.prefix.length + 1));
    // The scans covered what the night put there: job hashes and their logs, events streams, the budget.
    expect(names).toEqual(expect.arrayContaining([`${catalog.orgRun.queue}:events`, `${catalog.classify.queue}:events`]));
    expect(names.some((n) => n.startsWith("llm-budget:"))).toBe(true);
    expect(
      names.some((n) => new RegExp(`^${catalog.classify.queue}:[^:]+$`).test(n) && night.keys.get(`${night.p.prefix}:${n}`) === "hash"),
    ).toBe(true);
    expect(seen.length).toBeGreaterThan(20);
    expect(night.redisHits).toEqual([]);
  });

  it("Redis kept failed attempts with their reasons and stack traces, and those name nobody either", async () => {
    const jobs = await night.p.queues.classify.getJobs(["completed", "failed"], 0, 1000);
    const retried = jobs.filter((j) => (j.stacktrace?.length ?? 0) > 0 && j.failedReason);
    expect(retried.length).toBeGreaterThan(0);
    expect(
      found(
        retried.flatMap((j) => [j.failedReason, ...(j.stacktrace ?? [])]),
        night.needles,
      ),
    ).toEqual([]);
  });

  it("no request the fake LLM received carries a name, an email or a display name", () => {
    const requests = night.p.fake.requests;
    for (const path of ["/v1/messages", "/v1/messages/batches"])
      expect(requests.some((r) => r.path === path && r.method === "POST")).toBe(true);
    expect(
      found(
        requests.map((r) => JSON.stringify(r)),
        night.needles,
      ),
    ).toEqual([]);
  });

  it("the worker's and the API's output, failed jobs included, names nobody", () => {
    const failedAttempts = night.worker.logs.filter((l) => l.msg === "job attempt failed; BullMQ will retry it");
    expect(failedAttempts.length).toBeGreaterThan(0);
    const output = [...night.worker.logs, ...night.api.logs].map((l) => JSON.stringify(l));
    expect(found(output, night.needles)).toEqual([]);
  });

  it("the Bull Board's JSON API shows the jobs, and names nobody", () => {
    const bodies = [...night.board.values()];
    expect(bodies.some((b) => b.includes('"failedReason"'))).toBe(true);
    expect([...night.board.keys()].filter((k) => k.endsWith("/logs")).length).toBeGreaterThan(ORGS);
    expect(found(bodies, night.needles)).toEqual([]);
  });
});
