// `pnpm engagement token ...`: the token format is the auth package's (shared with the API); the CLI only wires it.
import { runTokenCommand, TokenCommandError } from "@engagement/auth";
import type { CliEnv } from "../env.ts";

export async function tokenCommand(env: CliEnv, args: string[]): Promise<number> {
  try {
    const { token, expiresAt } = await runTokenCommand(args, env);
    console.log(token);
    console.error(`expires ${expiresAt.toISOString()}`);
    return 0;
  } catch (err) {
    if (!(err instanceof TokenCommandError)) throw err;
    console.error(`token: ${err.message}`);
    return 2;
  }
}
