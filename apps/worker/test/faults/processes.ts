// App processes for the fault scenarios: started against a pipeline's services with short locks (so a killed
// worker's jobs are taken over in seconds, not the production 30 s), tracked so a failing test leaves none running.
import { runDateOf } from "@engagement/queue";
import { type AppProcess, startApp } from "@engagement/runtime/testing";
import { enqueueOrgRun } from "@engagement/use-cases";
import { type Pipeline, pipelineServicesEnv, workerProcessEnv } from "../harness.ts";

/** Lock and stalled check of the worker processes: a SIGKILLed worker's active jobs come back after about 3-4 s. */
export const FAST_LOCKS = { JOB_LOCK_MS: "3000", STALLED_INTERVAL_MS: "1000" };

/**
 * How long a process may take to start: about 2 s each on an idle 2-core machine, but 10 s or more when other
 * test runs load it, and these tests start several at once.
 */
export const STARTUP_MS = 45_000;

/**
 * Jest time limits of a scenario's set-up and of one of its tests: well above what they take on an idle machine
 * (15-35 s for a whole file), so that a machine loaded by other runs slows them down without failing them.
 */
export const HOOK_MS = 110_000;
export const TEST_MS = 60_000;

export class Processes {
  readonly started: AppProcess[] = [];

  /** A worker process (apps/worker/src/main.ts) on the pipeline's database, Redis prefix and fake LLM. */
  worker(p: Pipeline, extra: Record<string, string> = {}): AppProcess {
    return this.track(startApp("worker", workerProcessEnv(p, { ...FAST_LOCKS, LOG_LEVEL: "info", ...extra })));
  }

  /** A scheduler process (apps/scheduler/src/main.ts) on the pipeline's database, Redis and queue prefix. */
  scheduler(p: Pipeline, extra: Record<string, string> = {}): AppProcess {
    return this.track(startApp("scheduler", { ...pipelineServicesEnv(p), LOG_LEVEL: "info", ...extra }));
  }

  /** An API process (apps/api/src/main.ts) on the pipeline's database, Redis and queue prefix, listening on `port`. */
  api(p: Pipeline, port: number, jwtSecret: string, extra: Record<string, string> = {}): AppProcess {
    return this.track(
      startApp("api", { ...pipelineServicesEnv(p), API_PORT: String(port), API_JWT_SECRET: jwtSecret, LOG_LEVEL: "info", ...extra }),
    );
  }

  track(app: AppProcess): AppProcess {
    this.started.push(app);
    return app;
  }

  /** SIGKILL for whatever is still running (a failed test's processes). */
  async killAll(): Promise<void> {
    await Promise.all(this.started.filter((a) => a.child.exitCode === null && a.child.signalCode === null).map((a) => a.stop("SIGKILL")));
  }
}

/** Tonight's scheduled runs of these organisations, enqueued as the scheduler's tick does. */
export async function enqueueNight(p: Pipeline, orgIds: string[], runDate = runDateOf(new Date())) {
  const runs = [];
  for (const orgId of orgIds) runs.push(await enqueueOrgRun(p.t.db, p.queues, { orgId, trigger: "scheduled", runDate }));
  return runs;
}

/** Polls `probe` until it returns a value other than undefined/false. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The figures a scenario measured (timings, what each kill found), for RELIABILITY.md: printed with
 * FAULT_FIGURES=1, silent in the ordinary suite.
 */
export function reportFigures(figures: Record<string, unknown>): void {
  if (process.env.FAULT_FIGURES === "1") process.stderr.write(`fault figures: ${JSON.stringify(figures)}\n`);
}

/** Marks the scenario's progress (with FAULT_FIGURES=1), so a scenario that runs out of time shows where it was. */
export function progress(scenario: string, started: number, step: string): void {
  if (process.env.FAULT_FIGURES === "1") process.stderr.write(`fault progress: ${scenario} +${Date.now() - started} ms ${step}\n`);
}
