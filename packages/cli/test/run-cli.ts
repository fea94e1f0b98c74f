// The real command line, spawned as a user runs it (tsx packages/cli/src/main.ts ... from the repository root).
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const TSX = join(ROOT, "node_modules/.bin/tsx");
// A test spawns the CLI several times; each start compiles the TypeScript (tsx), seconds on a loaded 2-core machine.
export const CLI_TIMEOUT_MS = 120_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args`, feeding `stdin`; the environment is the test's own plus `env`. */
export function cli(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  // Jest's --experimental-vm-modules is not for the child.
  const { NODE_OPTIONS: _jestOnly, ...inherited } = process.env;
  return new Promise((done, fail) => {
    const child = spawn(TSX, ["packages/cli/src/main.ts", ...args], { cwd: ROOT, env: { ...inherited, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}
