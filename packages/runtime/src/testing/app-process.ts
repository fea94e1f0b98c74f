// Starting an app as its own process in tests, reading its pino lines, and stopping it with a signal: how the
// lifecycle tests prove an app starts, logs and shuts down cleanly.
import type { ChildProcess } from "node:child_process";
import { type AppName, spawnApp } from "../app-process.ts";
import { inheritedEnv } from "./env.ts";

export interface AppProcess {
  child: ChildProcess;
  /** Parsed JSON log lines so far (non-JSON output is kept as { raw }). */
  logs: Record<string, unknown>[];
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export function startApp(app: AppName, env: Record<string, string>): AppProcess {
  const child = spawnApp(app, { ...inheritedEnv(), LOG_LEVEL: "info", ...env }, ["ignore", "pipe", "pipe"]);
  const logs: Record<string, unknown>[] = [];
  let buffer = "";
  const onData = (data: Buffer) => {
    buffer += data.toString("utf8");
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines.filter(Boolean)) {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line });
      }
    }
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));

  return {
    child,
    logs,
    async waitForLog(match, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find(match);
        if (found) return found;
        if (child.exitCode !== null)
          throw new Error(`${app} exited (${child.exitCode}) before the expected log:\n${JSON.stringify(logs, null, 1)}`);
        if (Date.now() > deadline)
          throw new Error(`${app}: expected log line not seen in ${timeoutMs} ms:\n${JSON.stringify(logs, null, 1)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = "SIGTERM", timeoutMs = 30_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`${app} did not exit within ${timeoutMs} ms of ${signal}`)), timeoutMs).unref(),
      );
      return Promise.race([exited, timer]);
    },
  };
}
