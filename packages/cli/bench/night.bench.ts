// Night benchmark: `pnpm bench` (see BENCHMARKS.md; `pnpm bench -- --modes a,d --orgs 20` for a part).
// Seeds its own database (engagement_bench, and engagement_bench_week for the week) and its own Redis prefix,
// then runs whole nights through the real scheduler, queues and worker (child processes) against the project's
// fake Anthropic server started in this process. Modes and baselines are described in night-args.ts; the fake's
// settings and the worker's environment per mode are in fake-options.ts.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, platform, release, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  applyMigrations,
  clearRunHistory,
  createDb,
  type Db,
  dropDatabase,
  ensureDatabase,
  generateSeed,
  insertSeedOrg,
  listOrgIdsWithActiveMembers,
  withDatabase,
} from "@engagement/db";
import { TEST_REDIS_URL as REDIS_URL, TEST_SERVER_URL } from "@engagement/db/testing";
import { closeQueues, createQueues, createRedis } from "@engagement/queue";
import { table } from "../src/format.ts";
import { startFakeFor, workerEnvFor } from "./fake-options.ts";
import { deletePrefix, startApps } from "./night-apps.ts";
import { type Mode, parseNightArgs } from "./night-args.ts";
import { duration, nightCostUsd, type Prices, ratio } from "./night-math.ts";
import { type ModeFigures, nightFigures, originalFigures } from "./night-report.ts";
import { type NightContext, runNight } from "./night-run.ts";
import { runOriginalDesign } from "./original-design.ts";
import { DAY_MS, NIGHT_HOUR_MS, runWeek, type WeekNight } from "./week.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const args = parseNightArgs(process.argv.slice(2));
const prices = JSON.parse(readFileSync(join(HERE, "prices.json"), "utf8")) as Prices;
const log = (line: string) => console.error(line);
// The seed's "now": eight days ago at midnight UTC, so the night and the whole simulated week lie in the past.
const DAY0 = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - 8 * DAY_MS);
const NIGHT = new Date(DAY0.getTime() + NIGHT_HOUR_MS);
const logDir = mkdtempSync(join(tmpdir(), "night-bench-"));

async function seedDatabase(url: string, orgs: number, members: number): Promise<Db> {
  await dropDatabase(url);
  await ensureDatabase(url);
  await applyMigrations(url);
  const db = createDb(url, { maxConnections: 4 });
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (const org of generateSeed({ orgs, members, seed: args.seed, now: DAY0 })) {
    const insert: Promise<void> = insertSeedOrg(db, org).then(() => void inFlight.delete(insert));
    inFlight.add(insert);
    if (inFlight.size >= 2) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  log(
    `seeded ${orgs} x ${members} members as of ${DAY0.toISOString().slice(0, 10)} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return db;
}

const redis = createRedis(REDIS_URL);

/** Runs `work` with a fresh fake, its own queue prefix and freshly started apps; cleans all three up after. */
async function withNightSetup<T>(
  mode: Mode | "week",
  url: string,
  db: Db,
  work: (ctx: NightContext) => Promise<T>,
  fakeClock?: () => number,
): Promise<T> {
  const prefix = `{bench-night-${process.pid}-${mode}}`;
  const queues = createQueues(redis, prefix);
  const fake = await startFakeFor(mode, args, fakeClock);
  const env = {
    DATABASE_URL: url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    ANTHROPIC_BASE_URL: fake.url,
    ...workerEnvFor(mode, args.requestsPerMinute),
  };
  const apps = await startApps(env, queues, join(logDir, `${mode}.log`));
  try {
    const orgCount = (await listOrgIdsWithActiveMembers(db)).length;
    return await work({ db, redis, queues, apps, fake, orgCount });
  } finally {
    await apps.stop();
    await fake.stop();
    await closeQueues(queues);
    await deletePrefix(redis, prefix);
  }
}

const TITLES: Record<Exclude<Mode, "d" | "original">, string> = {
  a: "(a) orchestration: instant fake LLM, no rate limit",
  b: `(b) realtime: ${args.latencyMs} ms latency, ${args.requestsPerMinute} requests/min enforced by the fake, ${args.faultRate * 100} % 429s`,
  c: `(c) batch mode (LLM_MODE=batch), fake batch processing ${args.batchProcessingMs / 1000} s, same limits as (b)`,
  k1: "baseline 2: realtime at K = 1 without fingerprint, same fake as (b)",
};

const figures: ModeFigures[] = [];
/** What each mode measured, before any arithmetic (with the request timeline), for --json. */
const raw: Record<string, unknown> = {};
let week: WeekNight[] | null = null;
const mainUrl = withDatabase(TEST_SERVER_URL, "engagement_bench");
const weekUrl = withDatabase(TEST_SERVER_URL, "engagement_bench_week");
const nightModes = args.modes.filter((m): m is "a" | "b" | "c" | "k1" => m === "a" || m === "b" || m === "c" || m === "k1");
let mainDb: Db | null = null;
let weekDb: Db | null = null;
const benchStarted = performance.now();
try {
  if (nightModes.length || args.modes.includes("original")) {
    mainDb = await seedDatabase(mainUrl, args.orgs, args.members);
    // Members the LLM must judge tonight, from the first complete night; a timed subset cannot count them itself.
    let needLlm: number | null = null;
    for (const mode of ["a", "b", "c", "k1"] as const) {
      if (!nightModes.includes(mode)) continue;
      await clearRunHistory(mainDb);
      const stopAfter = mode === "a" ? null : (mode === "c" ? args.batchWindowSeconds : args.windowSeconds) * 1000;
      log(`mode ${mode}: ${TITLES[mode]}${stopAfter ? ` (at most ${stopAfter / 1000} s)` : ""}`);
      const db = mainDb;
      const result = await withNightSetup(mode, mainUrl, db, (ctx) => runNight(ctx, NIGHT, mode, stopAfter));
      const u = result.usage;
      if (result.complete) needLlm ??= (u.bySource.llm ?? 0) + (u.bySource.fallback ?? 0);
      const need = needLlm ?? u.membersTotal - (u.bySource.rules ?? 0) - (u.bySource.carried ?? 0);
      const f = nightFigures(mode, TITLES[mode], result, need, prices, mode === "a" ? null : args.requestsPerMinute);
      if (needLlm === null) f.notes.push("members needing the LLM counted from this subset's facts-decided members (mode a not run)");
      if (mode === "c" && !f.batch)
        f.notes.push("the fake saw no Message Batches request: this build's worker ignores LLM_MODE=batch, so this is realtime again");
      figures.push(f);
      raw[mode] = result;
      log(`  ${duration(result.wallMs)}, ${result.fake.answered} requests, ${result.fake.rateLimited} 429s`);
    }
    if (args.modes.includes("original")) {
      await clearRunHistory(mainDb);
      log(`baseline original: sequential loop for at most ${args.originalWindowSeconds} s`);
      const fake = await startFakeFor("original", args);
      try {
        const result = await runOriginalDesign(mainDb, fake, NIGHT, args.originalWindowSeconds * 1000);
        raw.original = result;
        figures.push(originalFigures(result, prices, args.requestsPerMinute));
      } finally {
        await fake.stop();
      }
    }
  }
  if (args.modes.includes("d")) {
    log(`mode d: a simulated week on ${args.weekOrgs} x ${args.weekMembers} members, instant fake LLM`);
    weekDb = await seedDatabase(weekUrl, args.weekOrgs, args.weekMembers);
    const db = weekDb;
    // The fake's clock skips a day per night: its prompt cache (5 minutes) is cold again each night, as it would be.
    const clock = { offsetMs: 0 };
    week = await withNightSetup(
      "week",
      weekUrl,
      db,
      (ctx) => runWeek(ctx, DAY0, log, () => (clock.offsetMs += DAY_MS)),
      () => Date.now() + clock.offsetMs,
    );
  }
} finally {
  await mainDb?.$disconnect();
  await weekDb?.$disconnect();
  redis.disconnect();
  if (!args.keep) {
    await dropDatabase(mainUrl);
    await dropDatabase(weekUrl);
  }
}

// ---- output ----
const n0 = (x: number) => Math.round(x).toLocaleString("en");
const n1 = (x: number) => x.toFixed(1);
const usd = (x: number | null) => (x === null ? "-" : `$${x < 0.1 ? x.toFixed(4) : x.toFixed(3)}`);
const mb = (x: number | null) => (x === null ? "-" : `${x.toFixed(1)} MB`);

console.log(
  `\nmachine: ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, node ${process.version}`,
);
console.log(
  `data: ${args.orgs} orgs x ${args.members} members (seed ${args.seed}) as of ${DAY0.toISOString().slice(0, 10)}, night at ${NIGHT.toISOString()}; prices: ${prices.model} (prices.json)`,
);
console.log(`total bench time ${duration(performance.now() - benchStarted)}; app logs in ${logDir}`);

for (const f of figures) {
  const tok = f.tokensPerJudged;
  const night = f.complete ? duration(f.nightMs) : `${duration(f.nightMs)} (extrapolated from ${duration(f.measuredMs)})`;
  const rows: (string | number)[][] = [
    ["wall time, whole night", night],
    ["members/s", f.nightMs ? n1(f.membersTotal / (f.nightMs / 1000)) : "-"],
    ["members; needing the LLM", `${n0(f.membersTotal)}; ${n0(f.needLlm)}`],
    ["LLM members answered; written (measured)", `${n0(f.membersAnswered)}; ${n0(f.judgedDone)}`],
    ["LLM requests answered (measured)", n0(f.requests)],
    ["LLM requests per 1,000 members (night)", f.requestsPer1000 === null ? "-" : n1(f.requestsPer1000)],
    ["members per request", f.requests ? n1(f.membersAnswered / f.requests) : "-"],
    ["429s", `${n0(f.rateLimited)}${f.insideRetryAfter === null ? "" : ` (${f.insideRetryAfter} sent inside a retry-after)`}`],
    [
      "achieved requests/min",
      f.achievedRpm === null
        ? "-"
        : `${n1(f.achievedRpm)}${f.limitRpm ? ` of ${f.limitRpm} (${Math.round((100 * f.achievedRpm) / f.limitRpm)} %)` : " (no limit)"}`,
    ],
    ["tokens per judged member: input / output", `${n1(tok.input)} / ${n1(tok.output)}`],
    ["tokens per judged member: cache read / write", `${n1(tok.cacheRead)} / ${n1(tok.cacheWrite)}`],
    [`cost per 1,000 members${f.batch ? " (batch price)" : ""}`, usd(f.costPer1000)],
    ["peak worker RSS", mb(f.peakWorkerRssMb)],
    ["peak Redis memory (above the start)", mb(f.peakRedisMb)],
  ];
  console.log(`\n${f.title}\n${table(["figure", "value"], rows)}`);
  for (const note of f.notes) console.log(`  note: ${note}`);
}

const byMode = new Map(figures.map((f) => [f.mode, f]));
const b = byMode.get("b");
if (b && figures.length > 1) {
  const rows = figures
    .filter((f) => f.mode !== "b")
    .map((f) => [
      `${f.mode} vs b`,
      `${ratio(f.nightMs, b.nightMs)}`,
      `${ratio(f.requestsPer1000, b.requestsPer1000)}`,
      `${ratio(f.costPer1000, b.costPer1000)}`,
    ]);
  console.log(
    `\nratios (the other mode's figure divided by (b)'s; "10x": (b) needs a tenth)\n${table(["", "night time", "LLM requests", "cost"], rows)}`,
  );
}

if (week) {
  const rows: (string | number)[][] = [];
  const total = { checkIns: 0, requests: 0, r429: 0, cost: 0, judged: 0, ms: 0, members: 0 };
  for (const w of week) {
    const u = w.result.usage;
    const cost = nightCostUsd(u, u.viaBatch, prices);
    const judged = u.bySource.llm ?? 0;
    if (w.night > 0) {
      total.requests += w.answered;
      total.r429 += w.rateLimited;
      total.cost += cost;
      total.judged += judged;
      total.ms += w.result.wallMs;
      total.checkIns += w.checkIns;
    }
    total.members = u.membersTotal;
    rows.push([
      w.night === 0 ? "0 (first, cold)" : String(w.night),
      w.result.runDate,
      w.night === 0
        ? "-"
        : `${w.orgsMeeting} orgs, ${n0(w.membersWithNewAttendance)} (${n1((100 * w.membersWithNewAttendance) / Math.max(1, u.membersTotal))} %)`,
      n0(judged),
      n0(w.answered),
      n0(w.rateLimited),
      `${n0(u.inputTokens)} / ${n0(u.outputTokens)} / ${n0(u.cacheReadTokens)} / ${n0(u.cacheWriteTokens)}`,
      usd(cost),
      duration(w.result.wallMs),
    ]);
  }
  rows.push([
    "nights 1-7",
    "",
    `${n0(total.checkIns)} check-ins`,
    n0(total.judged),
    n0(total.requests),
    n0(total.r429),
    "",
    usd(total.cost),
    duration(total.ms),
  ]);
  rows.push([
    "per 1,000 members, week",
    "",
    "",
    n1((1000 * total.judged) / Math.max(1, total.members)),
    n1((1000 * total.requests) / Math.max(1, total.members)),
    "",
    "",
    usd((1000 * total.cost) / Math.max(1, total.members)),
    "",
  ]);
  console.log(
    `\n(d) simulated week: ${args.weekOrgs} x ${args.weekMembers} members, instant fake LLM, default worker settings\n${table(
      [
        "night",
        "date",
        "orgs with an event; members with new attendance",
        "judged by LLM",
        "LLM requests",
        "429s",
        "tokens in / out / cache read / write",
        "cost",
        "wall",
      ],
      rows,
    )}`,
  );
}

if (args.json) {
  writeFileSync(args.json, JSON.stringify({ args, prices, day0: DAY0, night: NIGHT, node: process.version, figures, week, raw }, null, 2));
  console.error(`raw figures written to ${args.json}`);
}
