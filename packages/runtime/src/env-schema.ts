// Building blocks for the apps' env modules: each app's env.ts is the only file that reads process.env, and it
// parses it with these shapes so that a bad value stops the app at start with the variable's name.
import { z } from "zod";

export class EnvError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join("\n")}`);
    this.name = "EnvError";
  }
}

const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, error: "must be a postgresql:// URL" });
const redisUrl = z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" });
const port = z.coerce.number({ error: "must be a port number" }).int().min(1).max(65535);
const positiveInt = z.coerce.number({ error: "must be a whole number" }).int().positive();
/** A feature switch: "on" or "off", spelled out so an unknown word fails at start rather than meaning either. */
const onOff = z.enum(["on", "off"], { error: 'must be "on" or "off"' });

/** The local database a fresh clone uses (scripts/bootstrap.mjs repeats it: it runs before anything is installed). */
export const DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/engagement";
/** The Claude model used unless ANTHROPIC_MODEL says otherwise. */
export const DEFAULT_ANTHROPIC_MODEL = "claude-haiku-5-5";

/** Variables every app reads. */
export const commonEnv = {
  DATABASE_URL: postgresUrl.default(DEFAULT_DATABASE_URL),
  REDIS_URL: redisUrl.default("redis://127.0.0.1:6379"),
  /** BullMQ key prefix; wrapped in {} (a Redis Cluster hash tag) when it is not already. */
  QUEUE_PREFIX: z
    .string()
    .min(1)
    .regex(/^[\w{}.-]+$/, "letters, digits, _ . - and {} only")
    .default("{engagement}"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(25_000),
};

/** Which classifier judges the members the rules leave open, and how to reach Claude. */
export const classifierEnv = {
  /** "auto": Claude when ANTHROPIC_API_KEY is set, the embedded rules classifier otherwise. */
  ENGAGEMENT_CLASSIFIER: z.enum(["auto", "rules", "anthropic"]).default("auto"),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  ANTHROPIC_MODEL: z.string().min(1).default(DEFAULT_ANTHROPIC_MODEL),
  /** Output tokens allowed per member judged: a request's max_tokens is this times the members it carries. */
  ANTHROPIC_MAX_TOKENS: positiveInt.default(1024),
  /** Judged members per Messages request (1 sends one request per member, as the original design did). */
  LLM_MEMBERS_PER_REQUEST: positiveInt.max(50).default(20),
  ANTHROPIC_TIMEOUT_MS: positiveInt.default(60_000),
  /**
   * Answers are streamed; a call that sends nothing (no first byte, no event) for this long is abandoned and sent
   * again, however long the whole answer takes. A generating model sends an event every few tens of ms.
   */
  ANTHROPIC_STALL_TIMEOUT_MS: positiveInt.default(15_000),
};

export const envTypes = { postgresUrl, redisUrl, port, positiveInt, onOff };

/**
 * How a rejected value appears in the error: secrets not at all, and URLs without their password, since a
 * mistyped DATABASE_URL (mysql://user:pw@...) still carries a real credential into logs and terminals.
 */
function shownValue(name: string, value: string | undefined): string {
  if (value === undefined || value === "") return "unset";
  if (/KEY|SECRET|PASSWORD|TOKEN/.test(name)) return "***";
  return JSON.stringify(value.replace(/(\/\/[^/@:\s]*:)[^/\s]*@/g, "$1***@"));
}

/** Parses `source` with `shape`; throws EnvError listing each bad variable by name. */
export function parseEnv<S extends z.ZodRawShape>(shape: S, source: Record<string, string | undefined>) {
  // Empty strings count as unset, as in most deployment tools' .env handling.
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map((issue) => {
        const name = issue.path.join(".");
        return `${name}: ${issue.message} (got ${shownValue(name, source[name])})`;
      }),
    );
  }
  return result.data;
}

/** Resolves ENGAGEMENT_CLASSIFIER=auto; a forced "anthropic" without a key is a configuration error. */
export function resolveClassifier(env: { ENGAGEMENT_CLASSIFIER: "auto" | "rules" | "anthropic"; ANTHROPIC_API_KEY?: string | undefined }) {
  if (env.ENGAGEMENT_CLASSIFIER === "anthropic" && !env.ANTHROPIC_API_KEY) {
    throw new EnvError(["ANTHROPIC_API_KEY: required when ENGAGEMENT_CLASSIFIER=anthropic (got unset)"]);
  }
  if (env.ENGAGEMENT_CLASSIFIER === "auto") return env.ANTHROPIC_API_KEY ? "anthropic" : "rules";
  return env.ENGAGEMENT_CLASSIFIER;
}

/**
 * Runs an app's configuration step; a configuration error ends the process with the message (naming the
 * variables) and exit code 78 (EX_CONFIG) rather than a stack trace.
 */
export function loadConfigOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    console.error(err.message);
    process.exit(78);
  }
}
