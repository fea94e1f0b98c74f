// `pnpm engagement <command>`: the project's command line (cli.ts).
import { runCli } from "./cli.ts";

/** process.exit() drops writes still pending on a pipe (they are asynchronous on macOS), so flush first. */
function exitAfterFlush(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

runCli(process.argv.slice(2)).then(exitAfterFlush);
