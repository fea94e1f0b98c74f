// Many command lines through the real CLI in one process (the exit-code sweep, exit-codes.test.ts): spawning tsx
// once per case costs 1.5-2 s each, so the cases share one start. Each case gets what main.ts gives a user: the
// exit code runCli returns and everything written to stdout and stderr; an error that escapes runCli (uncaught or
// unhandled) is recorded against the case that was running.
// Usage: tsx packages/cli/test/cli-driver.ts CASES.json > RESULTS.json
import { readFileSync } from "node:fs";
import { runCli } from "../src/cli.ts";

export interface DriverCase {
  args: string[];
  env?: Record<string, string>;
}

export interface DriverResult {
  args: string[];
  code: number | null;
  stdout: string;
  stderr: string;
  escaped: string[];
}

const cases = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as DriverCase[];
const realStdout = process.stdout.write.bind(process.stdout);
const results: DriverResult[] = [];
let current: DriverResult | null = null;
const escaped = (err: unknown) => current?.escaped.push(err instanceof Error ? (err.stack ?? err.message) : String(err));
process.on("uncaughtException", escaped);
process.on("unhandledRejection", escaped);

function capture(stream: NodeJS.WriteStream, into: (text: string) => void) {
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    into(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof stream.write;
}
capture(process.stdout, (text) => {
  if (current) current.stdout += text;
});
capture(process.stderr, (text) => {
  if (current) current.stderr += text;
});

for (const c of cases) {
  const saved = Object.fromEntries(Object.keys(c.env ?? {}).map((k) => [k, process.env[k]]));
  Object.assign(process.env, c.env);
  current = { args: c.args, code: null, stdout: "", stderr: "", escaped: [] };
  try {
    current.code = await runCli(c.args);
  } catch (err) {
    escaped(err);
  }
  // Whatever a command left to run after its answer (a late rejection) is still counted against it.
  await new Promise((r) => setTimeout(r, 20));
  results.push(current);
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
current = null;
realStdout(JSON.stringify(results), () => process.exit(0));
