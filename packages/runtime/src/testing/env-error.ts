import { EnvError } from "../env-schema.ts";

/** Runs `fn`, which must throw an EnvError, and returns that error for the assertions (the env tests of every app). */
export function envErrorOf(fn: () => unknown): EnvError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error("expected an EnvError, nothing was thrown");
}
