// Starting one of the apps as its own process (the demo, and the lifecycle tests).
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export type AppName = "scheduler" | "worker" | "api";

/** `nodeArgs` go before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not accept). */
export function spawnApp(
  app: AppName,
  env: Record<string, string | undefined>,
  stdio: StdioOptions,
  nodeArgs: string[] = [],
): ChildProcess {
  // node --import tsx rather than the tsx binary: the binary runs the app in a second process, so a signal
  // such as SIGKILL would reach only the wrapper and leave the app running.
  return spawn(process.execPath, [...nodeArgs, "--import", "tsx", resolve(ROOT, `apps/${app}/src/main.ts`)], { cwd: ROOT, env, stdio });
}
