// The real API as a child process on a free loopback port, and the runs kept going while the load runs.
import type { ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { type Db, getRun } from "@engagement/db";
import type { Queues } from "@engagement/queue";
import { spawnApp } from "@engagement/runtime";
import { enqueueOrgRun } from "@engagement/use-cases";
import { childEnv } from "../src/env.ts";

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function startApi(env: Record<string, string>, logFd: number, nodeArgs: string[] = []): Promise<ApiProcess> {
  const port = await freePort();
  const child = spawnApp("api", childEnv({ ...env, API_HOST: "127.0.0.1", API_PORT: String(port) }), ["ignore", logFd, logFd], nodeArgs);
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
      child.once("exit", () => {
        clearTimeout(kill);
        done();
      });
      child.kill("SIGTERM");
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited (code ${child.exitCode}) before answering /health`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { url, child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error("the API did not answer /health within 60 s");
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux); null elsewhere. */
export function cpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields 14 and 15 after the command name (which may hold spaces, hence the split at its closing parenthesis).
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? ticks * 10 : null;
  } catch {
    return null;
  }
}

export interface RunLoop {
  /** Runs finished since the loop started. */
  finished(): number;
  /** Members the finished runs wrote. */
  membersWritten(): number;
  /** Whether a run of some organisation is queued or running now. */
  active(): boolean;
  stop(options?: { wait?: boolean }): Promise<void>;
}

/**
 * Keeps a forced manual run of each organisation going: as soon as one finishes, the next starts, so the
 * worker classifies (and writes) throughout the phase. Forced: nothing is carried, every member is judged again.
 */
export function keepRunsGoing(db: Db, queues: Queues, orgIds: string[]): RunLoop {
  let stopped = false;
  let finished = 0;
  let written = 0;
  const current = new Map<string, string>();
  const loop = (async () => {
    while (!stopped) {
      for (const orgId of orgIds) {
        const runId = current.get(orgId);
        const run = runId ? await getRun(db, runId) : null;
        if (run && (run.status === "queued" || run.status === "running")) continue;
        if (run) {
          finished++;
          written += run.membersTotal;
        }
        if (stopped) break;
        current.set(orgId, (await enqueueOrgRun(db, queues, { orgId, trigger: "manual", force: true })).runId);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    finished: () => finished,
    membersWritten: () => written,
    active: () => current.size > 0,
    /** Stops enqueueing; unless told not to, waits for the runs in flight, so the next phase starts on a quiet worker. */
    async stop({ wait = true }: { wait?: boolean } = {}) {
      stopped = true;
      await loop;
      if (!wait) return;
      for (const runId of current.values()) {
        for (;;) {
          const run = await getRun(db, runId);
          if (!run || run.status === "completed" || run.status === "failed") break;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    },
  };
}

/** Runs each organisation once (forced) and waits for all of them: the results the read routes then serve. */
export async function runOnce(db: Db, queues: Queues, orgIds: string[]): Promise<void> {
  const runIds = await Promise.all(
    orgIds.map(async (orgId) => (await enqueueOrgRun(db, queues, { orgId, trigger: "manual", force: true })).runId),
  );
  const deadline = Date.now() + 300_000;
  for (const runId of runIds) {
    for (;;) {
      const run = await getRun(db, runId);
      if (run?.status === "completed") break;
      if (run?.status === "failed") throw new Error(`run ${runId} failed: ${JSON.stringify(run.errorDetails)}`);
      if (Date.now() > deadline) throw new Error(`run ${runId} did not finish within 5 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
