// One night through the real scheduler, queues and worker: a scheduled tick for a given instant, the runs it
// creates watched until they finish (or until a time limit, for the modes that would take hours), with the
// worker's memory and Redis's sampled on the way.
import { type Db, findRunIdsByKey, type RunsUsage, scheduledRunKey, sumRunsUsage } from "@engagement/db";
import type { FakeAnthropic } from "@engagement/fake-anthropic";
import { catalog, type createRedis, type Queues, runDateOf } from "@engagement/queue";
import { type Apps, peakRssMb, redisUsedMb } from "./night-apps.ts";
import type { Sample } from "./night-math.ts";

export interface NightResult {
  runDate: string;
  /** From the tick to the last run finished, or to the stop. */
  wallMs: number;
  complete: boolean;
  usage: RunsUsage;
  /** Members in answered LLM requests, at half the time limit and at the end. */
  early: Sample;
  last: Sample;
  /** Answered (non-429) requests at the same two moments, for the achieved rate. */
  answeredEarly: Sample;
  answeredLast: Sample;
  fake: ReturnType<FakeAnthropic["stats"]>;
  batchRequests: number;
  /** Seconds after the tick at which each request arrived, with its status (the raw timeline, for --json). */
  timeline: [number, number | null][];
  peakWorkerRssMb: number | null;
  peakRedisMb: number;
}

export interface NightContext {
  db: Db;
  redis: ReturnType<typeof createRedis>;
  queues: Queues;
  apps: Apps;
  fake: FakeAnthropic;
  orgCount: number;
}

/**
 * Members in the requests the fake answered with 200, read from the recorded bodies (the ```json block of the
 * last user turn: {"members": [...]}). Progress by answers rather than by written results: a classify job
 * writes its chunk only when the chunk ends, which at 50 requests/min can be minutes apart.
 */
export function membersAnswered(fake: FakeAnthropic): number {
  let n = 0;
  for (const r of fake.requests) {
    if (r.status !== 200 || r.path !== "/v1/messages") continue;
    const messages = (r.body as { messages?: { role: string; content: unknown }[] } | null)?.messages ?? [];
    const last = messages.findLast((m) => m.role === "user")?.content;
    const text = typeof last === "string" ? last : Array.isArray(last) ? last.map((b: { text?: string }) => b.text ?? "").join("\n") : "";
    const fenced = /```json[^\S\n]*\n([\s\S]*?)```/.exec(text)?.[1];
    try {
      const payload = fenced ? (JSON.parse(fenced) as { members?: unknown[] }) : null;
      n += payload?.members?.length ?? 1;
    } catch {
      n += 1;
    }
  }
  return n;
}

/**
 * The tick is a job shaped like the ones the nightly job scheduler adds (`repeat:<id>:<due ms>`): the scheduler
 * then takes the due instant as the runs' asOf, so nights on successive dates see the data as of those dates.
 * A tick with only `{runDate}` would run as of now, and the second night would carry every member computed by
 * the first (SKIP_RECENT_HOURS).
 */
export async function runNight(ctx: NightContext, dueAt: Date, label: string, stopAfterMs: number | null): Promise<NightResult> {
  const { db, queues, fake } = ctx;
  const runDate = runDateOf(dueAt);
  const redisBefore = await redisUsedMb(ctx.redis);
  let peakRedis = redisBefore;
  let peakRss = peakRssMb(ctx.apps.worker.pid);
  const started = performance.now();
  const tickAt = Date.now();
  await queues.scheduler.add(
    catalog.scheduler.jobName,
    {},
    { ...catalog.scheduler.options, jobId: `repeat:bench-${label}:${dueAt.getTime()}` },
  );

  let runIds: string[] = [];
  let usage: RunsUsage | null = null;
  let early: Sample = { ms: 0, done: 0 };
  let answeredEarly: Sample = { ms: 0, done: 0 };
  let tookEarly = false;
  let complete = false;
  for (;;) {
    await new Promise((r) => setTimeout(r, 500));
    const ms = performance.now() - started;
    peakRss = Math.max(peakRss ?? 0, peakRssMb(ctx.apps.worker.pid) ?? 0);
    peakRedis = Math.max(peakRedis, await redisUsedMb(ctx.redis));
    if (ctx.apps.worker.exitCode !== null || ctx.apps.scheduler.exitCode !== null)
      throw new Error(`an app exited during the night; see ${ctx.apps.logFile}`);
    if (runIds.length < ctx.orgCount) {
      runIds = await findRunIdsByKey(db, scheduledRunKey(runDate));
      if (ms > 120_000 && runIds.length < ctx.orgCount)
        throw new Error(`only ${runIds.length} of ${ctx.orgCount} runs created after 2 min`);
      if (runIds.length < ctx.orgCount) continue;
    }
    usage = await sumRunsUsage(db, runIds);
    if (stopAfterMs !== null && !tookEarly && ms >= stopAfterMs / 2) {
      early = { ms, done: membersAnswered(fake) };
      answeredEarly = { ms, done: fake.stats().answered };
      tookEarly = true;
    }
    if (usage.finished === usage.runs) {
      complete = true;
      break;
    }
    if (stopAfterMs !== null && ms >= stopAfterMs) break;
  }
  // A finished night ends when its last run closed (the poll only notices up to 500 ms later).
  const wallMs = complete && usage?.lastFinishedAt ? usage.lastFinishedAt.getTime() - tickAt : performance.now() - started;
  const final = usage as RunsUsage;
  return {
    runDate,
    wallMs,
    complete,
    usage: final,
    early,
    last: { ms: wallMs, done: membersAnswered(fake) },
    answeredEarly,
    answeredLast: { ms: wallMs, done: fake.stats().answered },
    fake: fake.stats(),
    batchRequests: fake.requests.filter((r) => r.path.includes("/batches")).length,
    timeline: fake.requests.map((r) => [Math.round((r.at - tickAt) / 100) / 10, r.status ?? null]),
    peakWorkerRssMb: peakRss,
    peakRedisMb: peakRedis - redisBefore,
  };
}
