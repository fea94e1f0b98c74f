// The project's command line, as a function of its arguments: main.ts runs it for `pnpm engagement <command>`, and
// the exit-code sweep (test/exit-codes.test.ts) runs many argument lists through it in one process.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { EnvError } from "@engagement/runtime";
import { runClassifyCommand } from "./commands/classify.ts";
import { demoCommand } from "./commands/demo.ts";
import { runCommand } from "./commands/run.ts";
import { seedCommand } from "./commands/seed.ts";
import { type CliEnv, debugErrors, loadCliEnv } from "./env.ts";

const USAGE = `usage: pnpm engagement <command> [options]

  demo     [--orgs 4] [--members 250] [--seed 42] [--fake]   seed demo data and run one nightly run end to end
  seed     [--orgs 4] [--members 250] [--seed 42]            replace the database's data with demo data
  run      (--org ID | --all) [--force] [--wait] [--json]    enqueue manual runs; --wait shows progress and the summary
  classify --classifier rules|anthropic [--file F]           classify a JSON array of EngagementSignals (stdin without --file)
  token    --user U --org O --role admin|member|operator [--ttl 1h]   print an API bearer token for local use
  org      create --name NAME [--slug SLUG] --admin-email EMAIL --admin-name NAME   create an organisation, print its id
  import   --org ID [--members F] [--events F] [--attendance F] [--dry-run] [--partial] [--json]   load CSV files
  key      create --org ID --name NAME [--scope import|read] | list --org ID | revoke --org ID --key KEY_ID   API keys
  erase    --user ID [--org ID] | --email EMAIL | list [--org ID] [--json] | lift --id ERASURE_ID   erasure of a person`;

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive whole number (got "${value}")`);
  return n;
}

class UsageError extends Error {}

/** The classify input from --file or stdin; a file that cannot be read is the caller's mistake (exit 2). */
function readInput(file: string | undefined): string {
  try {
    return readFileSync(file ?? 0, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${file === undefined ? "stdin" : `--file ${file}`}: ${(err as Error).message}`);
  }
}

/** One line for an unexpected failure, with what to do about the usual ones. */
function describeFailure(err: unknown): string {
  const message = String((err as Error)?.message ?? err);
  if (/Database `.*` does not exist/.test(message))
    return `${message.trim().split("\n").pop()}: run \`pnpm db:migrate\` to create and migrate it`;
  if (/42P01|does not exist/.test(message) && /relation|table/i.test(message)) {
    return "the database is missing tables: run `pnpm db:migrate` (or `npm run demo` once)";
  }
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(message))
    return `cannot reach a service (${message.trim().split("\n").pop()}): is DATABASE_URL or REDIS_URL right, and is it running?`;
  const lines = message
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return `${lines[lines.length - 1] ?? "failed"} (DEBUG=1 for details)`;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const env: CliEnv = loadCliEnv();
  switch (command) {
    case "seed":
    case "demo": {
      const { values } = parseArgs({
        args: rest,
        options: {
          orgs: { type: "string" },
          members: { type: "string" },
          seed: { type: "string" },
          fake: { type: "boolean", default: false },
        },
      });
      const sizes = { orgs: int(values.orgs, "orgs", 4), members: int(values.members, "members", 250), seed: int(values.seed, "seed", 42) };
      if (command === "seed") {
        await seedCommand(env.DATABASE_URL, sizes);
        return 0;
      }
      return demoCommand(env, { ...sizes, fake: values.fake ?? false });
    }
    case "run": {
      const { values } = parseArgs({
        args: rest,
        options: {
          org: { type: "string" },
          all: { type: "boolean", default: false },
          force: { type: "boolean", default: false },
          wait: { type: "boolean", default: false },
          json: { type: "boolean", default: false },
        },
      });
      return runCommand(env, {
        org: values.org,
        all: values.all ?? false,
        force: values.force ?? false,
        wait: values.wait ?? false,
        json: values.json ?? false,
      });
    }
    case "classify": {
      const { values } = parseArgs({ args: rest, options: { classifier: { type: "string", default: "rules" }, file: { type: "string" } } });
      if (values.classifier !== "rules" && values.classifier !== "anthropic")
        throw new UsageError(`--classifier must be rules or anthropic (got "${values.classifier}")`);
      if (values.classifier === "anthropic" && !env.ANTHROPIC_API_KEY)
        throw new UsageError("--classifier anthropic needs ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL for the fake server)");
      const input = readInput(values.file);
      const result = await runClassifyCommand({
        classifier: values.classifier,
        input,
        ...(env.ANTHROPIC_API_KEY
          ? {
              anthropic: {
                apiKey: env.ANTHROPIC_API_KEY,
                model: env.ANTHROPIC_MODEL,
                maxTokens: env.ANTHROPIC_MAX_TOKENS,
                membersPerRequest: env.LLM_MEMBERS_PER_REQUEST,
                timeoutMs: env.ANTHROPIC_TIMEOUT_MS,
                ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
              },
            }
          : {}),
      });
      if (result.stdout) process.stdout.write(result.stdout.endsWith("\n") ? result.stdout : `${result.stdout}\n`);
      if (result.stderr) process.stderr.write(result.stderr.endsWith("\n") ? result.stderr : `${result.stderr}\n`);
      return result.exitCode;
    }
    case "org": {
      const { orgCommand } = await import("./commands/org.ts");
      return orgCommand(env, rest);
    }
    case "import": {
      const { importCommand } = await import("./commands/import.ts");
      return importCommand(env, rest);
    }
    case "key": {
      const { keyCommand } = await import("./commands/key.ts");
      return keyCommand(env, rest);
    }
    case "erase": {
      const { eraseCommand } = await import("./commands/erase.ts");
      return eraseCommand(env, rest);
    }
    case "token": {
      const { tokenCommand } = await import("./commands/token.ts");
      return tokenCommand(env, rest);
    }
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(command ? `unknown command "${command}"\n\n${USAGE}` : USAGE);
      return command ? 2 : 0;
  }
}

/** Runs one command and gives its exit code: 0 done, 1 failed, 2 a usage error (a message, never a stack trace). */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    if (err instanceof UsageError || err instanceof EnvError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    // Never a stack trace for what a user can fix; DEBUG=1 shows the whole error.
    console.error(`engagement: ${describeFailure(err)}`);
    if (debugErrors()) console.error(err);
    return 1;
  }
}
