// `npm run demo`: seeds demo data and runs one nightly run through the real scheduler, queues and workers
// (started here as child processes), then prints the summary per organisation and level.
import type { ChildProcess } from "node:child_process";
import { createDb, findRunIdsByKey, getOrganizationNames, scheduledRunKey } from "@engagement/db";
import { startFakeAnthropic } from "@engagement/fake-anthropic";
import { catalog, closeQueues, createQueues, createRedis, normalizePrefix, runDateOf } from "@engagement/queue";
import { spawnApp } from "@engagement/runtime";
import { type CliEnv, childEnv } from "../env.ts";
import { seedCommand } from "./seed.ts";
import { runSummaries, summaryTable, watchRuns } from "./watch.ts";

export interface DemoArgs {
  orgs: number;
  members: number;
  seed: number;
  /** Start the project's fake Anthropic server and judge through it. */
  fake: boolean;
}

export async function demoCommand(env: CliEnv, args: DemoArgs): Promise<number> {
  await seedCommand(env.DATABASE_URL, args);
  const extraEnv: Record<string, string> = {};
  const fake = args.fake ? await startFakeAnthropic({ apiKey: "demo-key", latencyMs: [40, 120] }) : null;
  if (fake)
    Object.assign(extraEnv, {
      ANTHROPIC_API_KEY: "demo-key",
      ANTHROPIC_BASE_URL: fake.url,
      ENGAGEMENT_CLASSIFIER: "anthropic",
      LLM_RATE_MAX_REQUESTS: "3000",
    });
  const apiKey = extraEnv.ANTHROPIC_API_KEY ?? env.ANTHROPIC_API_KEY;
  const baseUrl = extraEnv.ANTHROPIC_BASE_URL ?? env.ANTHROPIC_BASE_URL;
  if (!apiKey || env.ENGAGEMENT_CLASSIFIER === "rules") {
    console.error("classifier: embedded rules (no ANTHROPIC_API_KEY set); members the facts leave open are judged by the rubric.");
    console.error(
      "           Set ANTHROPIC_API_KEY to use Claude, or run `npm run demo -- --fake` for the project's fake Anthropic server.",
    );
  } else {
    console.error(
      `classifier: Claude (${env.ANTHROPIC_MODEL}) via ${baseUrl ?? "the Anthropic API"}${fake ? " — the project's fake server, not the real API" : ""}`,
    );
  }

  const prefix = normalizePrefix(env.QUEUE_PREFIX);
  const children = [startApp("scheduler", extraEnv), startApp("worker", extraEnv)];
  const db = createDb(env.DATABASE_URL, { maxConnections: 2 });
  const connection = createRedis(env.REDIS_URL);
  const queues = createQueues(connection, prefix);
  try {
    // The same tick the nightly schedule produces at 04:00, added now.
    const runDate = runDateOf(new Date());
    await queues.scheduler.add(catalog.scheduler.jobName, { runDate }, { jobId: `demo-${Date.now()}` });
    console.error(`nightly run for ${runDate} enqueued; waiting for the scheduler to fan out...`);
    const orgs = await getOrganizationNames(db);
    const runIds = await waitFor(
      async () => {
        const found = await findRunIdsByKey(db, scheduledRunKey(runDate));
        return found.length >= orgs.size ? found : null;
      },
      60_000,
      children,
    );
    await watchRuns(db, runIds, orgs, { quiet: false, timeoutMs: 30 * 60_000 });
    const summaries = await runSummaries(db, runIds);
    console.log(summaryTable(summaries));
    if (fake) console.error(`fake Anthropic server: ${JSON.stringify(fake.stats())}`);
    return summaries.every((s) => s.status === "completed") ? 0 : 1;
  } finally {
    await Promise.all(children.map(stopChild));
    await closeQueues(queues);
    connection.disconnect();
    await db.$disconnect();
    await fake?.stop();
  }
}

function startApp(app: "scheduler" | "worker", extraEnv: Record<string, string>): ChildProcess {
  const child = spawnApp(app, childEnv({ LOG_LEVEL: "warn", ...extraEnv }), ["ignore", "inherit", "inherit"]);
  child.on("exit", (code, signal) => {
    if (code && code !== 0) console.error(`${app} exited with code ${code}${signal ? ` (${signal})` : ""}`);
  });
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once("exit", () => done());
    child.kill("SIGTERM");
  });
}

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number, children: ChildProcess[]): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (children.some((c) => c.exitCode !== null)) throw new Error("an app process exited early (see its output above)");
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
