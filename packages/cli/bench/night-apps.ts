// The real scheduler and worker as child processes (as the demo starts them), with their output in a log file
// rather than the terminal, and what the bench samples while they run: the worker's resident memory from
// /proc and Redis's memory from INFO.
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import type { createRedis, Queues } from "@engagement/queue";
import { spawnApp } from "@engagement/runtime";
import { childEnv } from "../src/env.ts";

type Redis = ReturnType<typeof createRedis>;

export interface Apps {
  worker: ChildProcess;
  scheduler: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

export async function startApps(env: Record<string, string>, queues: Queues, logFile: string): Promise<Apps> {
  const fd = openSync(logFile, "a");
  const start = (app: "scheduler" | "worker") =>
    spawnApp(app, childEnv({ LOG_LEVEL: "warn", SHUTDOWN_TIMEOUT_MS: "5000", ...env }), ["ignore", fd, fd]);
  const scheduler = start("scheduler");
  const worker = start("worker");
  const children = [scheduler, worker];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    closeSync(fd);
  };
  // Ready once both have registered as BullMQ workers; the clock of a night starts after that.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const [s, o, c] = await Promise.all([queues.scheduler.getWorkers(), queues.orgRun.getWorkers(), queues.classify.getWorkers()]);
    if (s.length && o.length && c.length) break;
    if (children.some((ch) => ch.exitCode !== null) || Date.now() > deadline) {
      await stop();
      throw new Error(`the scheduler or worker did not start; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { worker, scheduler, logFile, stop };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    // Past the apps' own shutdown deadline (5 s here), the process is killed: a stopped subset leaves jobs behind.
    const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.once("exit", () => {
      clearTimeout(kill);
      done();
    });
    child.kill("SIGTERM");
  });
}

/** Peak resident memory of a process so far (VmHWM), in MB; null once it has exited. */
export function peakRssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return hwm ? Number(hwm) / 1024 : null;
  } catch {
    return null;
  }
}

/** Redis's used_memory in MB (the whole server: other tests on the same Redis show up here too). */
export async function redisUsedMb(redis: Redis): Promise<number> {
  const info = await redis.info("memory");
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0) / 2 ** 20;
}

/** Deletes every key under the bench's queue prefix. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== "0");
}
