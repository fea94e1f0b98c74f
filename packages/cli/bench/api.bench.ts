// API load bench: `pnpm bench:api` (see BENCHMARKS.md; `pnpm bench:api -- --large 0 --seconds 5` for a short run).
// Loopback only. Seeds its own database (engagement_bench_api) and Redis prefix, starts the real API, worker and
// scheduler as child processes with the project's fake Anthropic server (200-400 ms per call) in this process,
// and loads two endpoints at once at a fixed rate each with autocannon:
//   1. the admin list and the member view, the worker idle;
//   2. the same while forced runs of every small organisation follow one another (the worker classifying);
//   3. one organisation of 1,000,000 members: list pages (first, deep, filtered) and the summary, each with the
//      member view beside it.
// Every phase lasts --seconds (15 by default); the whole bench takes about four minutes here.
import { closeSync, mkdtempSync, openSync, writeFileSync } from "node:fs";
import { cpus, loadavg, platform, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { signToken } from "@engagement/auth";
import {
  applyMigrations,
  createDb,
  dropDatabase,
  encodeEngagementCursor,
  ensureDatabase,
  generateSeed,
  insertSeedOrg,
  insertSyntheticOrg,
  withDatabase,
} from "@engagement/db";
import { TEST_REDIS_URL as REDIS_URL, TEST_SERVER_URL } from "@engagement/db/testing";
import { startFakeAnthropic } from "@engagement/fake-anthropic";
import { closeQueues, createQueues, createRedis } from "@engagement/queue";
import { table } from "../src/format.ts";
import { parseApiBenchArgs } from "./api-args.ts";
import { type LoadResult, type LoadTarget, runLoad } from "./api-load.ts";
import { cpuMs, keepRunsGoing, runOnce, startApi } from "./api-process.ts";
import { deletePrefix, startApps } from "./night-apps.ts";
import { runOpenLoop } from "./open-loop.ts";

const args = parseApiBenchArgs(process.argv.slice(2));
const log = (line: string) => console.error(line);
const secret = `bench-api-${"x".repeat(40)}`;
const url = withDatabase(TEST_SERVER_URL, "engagement_bench_api");
const prefix = `{bench-api-${process.pid}}`;
const logDir = mkdtempSync(join(tmpdir(), "api-bench-"));
const DAY_MS = 86_400_000;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
const token = (sub: string, org: string, role: "admin" | "member") => signToken(secret, { sub, org, role }, 3600);

interface PhaseRow extends LoadResult {
  phase: string;
  /** The API process's CPU time during the phase per request answered (both endpoints together). */
  apiCpuMsPerRequest: number | null;
  loadBefore: string;
  loadAfter: string;
  note: string;
}
const rows: PhaseRow[] = [];
const wanted = (phase: string) => args.only.length === 0 || args.only.some((w) => phase.includes(w));

/** Checks each distinct request once (a 4xx here is a bench bug, not load), then loads them together. */
let apiPid: number | undefined;

async function phase(name: string, apiUrl: string, targets: LoadTarget[], note: () => string = () => ""): Promise<void> {
  for (const t of targets) {
    const r = t.requests[0];
    if (!r) throw new Error(`${name}: ${t.label} has no request`);
    const res = await fetch(apiUrl + r.path, { headers: { authorization: `Bearer ${r.token}` } });
    if (!res.ok) throw new Error(`${name}: ${t.label} answered ${res.status}: ${await res.text()}`);
  }
  const run = args.generator === "open" ? runOpenLoop : runLoad;
  if (args.warmup > 0) await run(apiUrl, targets, args.warmup, args.connections);
  const loadBefore = load();
  log(`phase ${name}: ${targets.map((t) => `${t.label} at ${t.rate}/s`).join(" + ")} for ${args.seconds} s (load ${loadBefore})`);
  const cpuBefore = cpuMs(apiPid);
  const results = await run(apiUrl, targets, args.seconds, args.connections);
  const cpuAfter = cpuMs(apiPid);
  const loadAfter = load();
  const answered = results.reduce((a, r) => a + r.requests, 0);
  const apiCpuMsPerRequest = cpuBefore !== null && cpuAfter !== null && answered > 0 ? (cpuAfter - cpuBefore) / answered : null;
  for (const r of results) rows.push({ ...r, phase: name, apiCpuMsPerRequest, loadBefore, loadAfter, note: note() });
  for (const r of results)
    log(
      `  ${r.label}: p50 ${r.p50} ms, p99 ${r.p99} ms, max ${r.max} ms, ${r.achievedRate.toFixed(0)}/s, ${r.errors} errors, ${r.non2xx} non-2xx`,
    );
}

const benchStarted = performance.now();
await dropDatabase(url);
await ensureDatabase(url);
await applyMigrations(url);
const db = createDb(url, { maxConnections: 4 });
const redis = createRedis(REDIS_URL);
const queues = createQueues(redis, prefix);
const fake = await startFakeAnthropic({ apiKey: "bench-key", latencyMs: [200, 400] });
const logFd = openSync(join(logDir, "apps.log"), "a");
const appEnv = { DATABASE_URL: url, REDIS_URL, QUEUE_PREFIX: prefix };
const workerEnv = (requestsPerMinute: number) => ({
  ...appEnv,
  ANTHROPIC_BASE_URL: fake.url,
  ENGAGEMENT_CLASSIFIER: "anthropic",
  ANTHROPIC_API_KEY: "bench-key",
  LLM_RATE_MAX_REQUESTS: String(requestsPerMinute),
  LLM_RATE_WINDOW_MS: "60000",
});
// The seed classification and the flat-out phase run the worker without a request budget; the paced phase
// restarts it at --run-rpm (the provider's entry tier by default), as a real night runs.
const UNLIMITED = 100_000;
let apps = await startApps(workerEnv(UNLIMITED), queues, join(logDir, "worker.log"));
const restartWorker = async (requestsPerMinute: number) => {
  await apps.stop();
  apps = await startApps(workerEnv(requestsPerMinute), queues, join(logDir, "worker.log"));
};
let api: Awaited<ReturnType<typeof startApi>> | null = null;
try {
  api = await startApi(
    {
      ...appEnv,
      API_JWT_SECRET: secret,
      // One admin token sends 200 requests/s, past the default limit per token (1,200/min): the limiter stays on,
      // so its Redis round trip is part of each request, with a ceiling the bench does not reach.
      API_RATE_LIMIT_MAX: "10000000",
      // The request log is on (info), as deployed: its cost is part of each request.
      LOG_LEVEL: "info",
    },
    logFd,
    args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`] : [],
  );
  apiPid = api.child.pid;
  // ---- small organisations, with events and attendance, classified through the worker and the fake ----
  const seeded = performance.now();
  const small: { orgId: string; adminId: string; memberIds: string[] }[] = [];
  const now = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
  for (const org of generateSeed({ orgs: args.orgs, members: args.members, seed: 1, now })) {
    await insertSeedOrg(db, org);
    const admin = org.memberships.find((m) => m.role === "admin");
    if (!admin) throw new Error(`seeded organisation ${org.org.id} has no admin`);
    small.push({
      orgId: org.org.id,
      adminId: admin.userId,
      memberIds: org.memberships.filter((m) => m.role === "member").map((m) => m.userId),
    });
  }
  await runOnce(
    db,
    queues,
    small.map((o) => o.orgId),
  );
  log(`seeded and classified ${args.orgs} x ${args.members} members in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);

  const smallList: LoadTarget = {
    label: "list (first page)",
    rate: args.rate,
    requests: await Promise.all(
      small.map(async (o) => ({ path: `/v1/orgs/${o.orgId}/engagement`, token: await token(o.adminId, o.orgId, "admin") })),
    ),
  };
  const memberRequests = async (orgId: string, ids: string[]) =>
    Promise.all(
      ids.slice(0, 50).map(async (id) => ({ path: `/v1/me/engagement?orgId=${orgId}`, token: await token(id, orgId, "member") })),
    );
  const smallMe: LoadTarget = {
    label: "member view",
    rate: args.rate,
    requests: (await Promise.all(small.map((o) => memberRequests(o.orgId, o.memberIds)))).flat(),
  };
  if (wanted("idle")) await phase(`${args.orgs} x ${args.members}, worker idle`, api.url, [smallList, smallMe]);
  const duringRuns = async (name: string) => {
    const runs = keepRunsGoing(
      db,
      queues,
      small.map((o) => o.orgId),
    );
    await new Promise((r) => setTimeout(r, 1000));
    const workerBefore = cpuMs(apps.worker.pid);
    const started = performance.now();
    await phase(name, api?.url as string, [smallList, smallMe], () => {
      const busy = runs.active() ? "runs were executing" : "NO run executing";
      const workerAfter = cpuMs(apps.worker.pid);
      const share =
        workerBefore !== null && workerAfter !== null
          ? `, the worker used ${(((workerAfter - workerBefore) / (performance.now() - started)) * 100).toFixed(0)} % of one core`
          : "";
      return `${busy}; ${runs.finished()} runs (${runs.membersWritten()} members) finished during the phase${share}`;
    });
    return runs;
  };
  if (wanted("paced")) {
    await restartWorker(args.runRpm);
    const runs = await duringRuns(`${args.orgs} x ${args.members}, during runs paced at ${args.runRpm} requests/min`);
    // A paced run of 600 members takes minutes: the unlimited worker finishes what is left.
    await runs.stop({ wait: false });
    await restartWorker(UNLIMITED);
    await runs.stop();
  }
  if (wanted("flat-out")) await (await duringRuns(`${args.orgs} x ${args.members}, during flat-out runs (no request budget)`)).stop();

  // ---- one very large organisation ----
  const scenarioNames = ["first page", "deep pages", "level filter", "source filter", "overridden", "summary"];
  const largeName = (scenario: string) => `${(args.large / 1e6).toString()}M members (large), ${scenario}`;
  if (args.large > 0 && scenarioNames.some((n) => wanted(largeName(n)))) {
    const started = performance.now();
    const big = await insertSyntheticOrg(db, args.large);
    log(`inserted 1 organisation of ${args.large.toLocaleString("en")} members in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const adminToken = await token(big.adminUserId, big.orgId, "admin");
    const base = `/v1/orgs/${big.orgId}/engagement`;
    const cursor = (i: number) => {
      const s = big.sample[i] as (typeof big.sample)[number];
      return encodeEngagementCursor({ name: s.name, userId: s.userId });
    };
    // Random members' positions as cursors: pages at random depths, half a million rows in on average.
    const paths: Record<string, [string, string[]]> = {
      "first page": ["list (first page)", [base]],
      "deep pages": ["list (deep pages)", big.sample.map((_, i) => `${base}?cursor=${cursor(i)}`)],
      "level filter": ["list ?level=at_risk (deep pages)", big.sample.map((_, i) => `${base}?level=at_risk&cursor=${cursor(i)}`)],
      "source filter": ["list ?source=fallback", [`${base}?source=fallback`]],
      overridden: ["list ?overridden=true", [`${base}?overridden=true`]],
      summary: ["summary", [`${base}/summary`]],
    };
    const bigMe: LoadTarget = {
      label: "member view",
      rate: args.rate,
      requests: await memberRequests(
        big.orgId,
        big.sample.map((s) => s.userId),
      ),
    };
    for (const name of scenarioNames) {
      const [label, list] = paths[name] as [string, string[]];
      const target: LoadTarget = { label, rate: args.rate, requests: list.map((path) => ({ path, token: adminToken })) };
      if (wanted(largeName(name))) await phase(largeName(name), api.url, [target, bigMe]);
    }
  }
} finally {
  await api?.stop();
  await apps.stop();
  await fake.stop();
  closeSync(logFd);
  await closeQueues(queues);
  await deletePrefix(redis, prefix);
  redis.disconnect();
  await db.$disconnect();
  if (!args.keep) await dropDatabase(url);
}

// ---- output ----
const ms = (x: number) => `${x} ms`;
console.log(
  `\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, node ${process.version}`,
);
console.log(
  `fixed rate ${args.rate}/s per endpoint, ${args.connections} connections each, ${args.seconds} s per phase after ${args.warmup} s of the same load unrecorded; ${
    args.generator === "open"
      ? "requests evenly spaced (open loop), latency of 2xx responses from each request's due time"
      : "autocannon overallRate (each second's share sent in a burst), latency of 2xx responses, not corrected for coordinated omission"
  }; API CPU/req: the API process's CPU time in the phase over the requests both endpoints answered`,
);
console.log(`total bench time ${((performance.now() - benchStarted) / 1000).toFixed(0)} s; app logs in ${logDir}\n`);
console.log(
  table(
    [
      "phase",
      "endpoint",
      "target/s",
      "achieved/s",
      "p50",
      "p90",
      "p99",
      "max",
      "errors",
      "non-2xx",
      "API CPU/req",
      "load avg before; after",
    ],
    rows.map((r) => [
      r.phase,
      r.label,
      r.rate,
      r.achievedRate.toFixed(0),
      ms(r.p50),
      ms(r.p90),
      ms(r.p99),
      ms(r.max),
      r.errors + r.timeouts,
      r.non2xx,
      r.apiCpuMsPerRequest === null ? "-" : `${r.apiCpuMsPerRequest.toFixed(2)} ms`,
      `${r.loadBefore}; ${r.loadAfter}`,
    ]),
  ),
);
for (const note of new Set(rows.filter((r) => r.note).map((r) => `${r.phase}: ${r.note}`))) console.log(note);
const over = rows.filter((r) => r.p99 > 50 || r.errors + r.timeouts + r.non2xx > 0);
console.log(
  over.length ? `\n${over.length} of ${rows.length} rows miss p99 <= 50 ms with no errors` : `\nevery row: p99 <= 50 ms, no errors`,
);
console.log(
  `reproduce: pnpm bench:api -- ${process.argv
    .slice(2)
    .filter((a) => a !== "--")
    .join(" ")}`.trimEnd(),
);
if (args.json) writeFileSync(args.json, JSON.stringify({ args, rows }, null, 2));
