import { describe, expect, it } from "@jest/globals";
import { z } from "zod";
import { classifierEnv, commonEnv, envTypes, parseEnv, resolveClassifier } from "./env-schema.ts";
import { envErrorOf } from "./testing/env-error.ts";

const shape = { ...commonEnv, ...classifierEnv };

describe("parseEnv", () => {
  it("applies the defaults when nothing is set", () => {
    expect(parseEnv(shape, {})).toEqual({
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/engagement",
      REDIS_URL: "redis://127.0.0.1:6379",
      QUEUE_PREFIX: "{engagement}",
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT_MS: 25_000,
      ENGAGEMENT_CLASSIFIER: "auto",
      ANTHROPIC_MODEL: "claude-haiku-5-5",
      ANTHROPIC_MAX_TOKENS: 1024,
      LLM_MEMBERS_PER_REQUEST: 20,
      ANTHROPIC_TIMEOUT_MS: 60_000,
      ANTHROPIC_STALL_TIMEOUT_MS: 15_000,
    });
  });

  it("treats an empty string as unset, so the default applies", () => {
    const env = parseEnv(shape, { DATABASE_URL: "", SHUTDOWN_TIMEOUT_MS: "", ANTHROPIC_API_KEY: "" });
    expect(env.DATABASE_URL).toBe("postgresql://postgres@127.0.0.1:5432/engagement");
    expect(env.SHUTDOWN_TIMEOUT_MS).toBe(25_000);
    expect(env.ANTHROPIC_API_KEY).toBeUndefined();
  });

  it("coerces numbers and keeps given values", () => {
    const env = parseEnv(shape, { SHUTDOWN_TIMEOUT_MS: "5000", REDIS_URL: "rediss://cache.internal:6380", LOG_LEVEL: "debug" });
    expect(env).toMatchObject({ SHUTDOWN_TIMEOUT_MS: 5000, REDIS_URL: "rediss://cache.internal:6380", LOG_LEVEL: "debug" });
  });

  it("rejects a non-PostgreSQL DATABASE_URL and names the variable", () => {
    const err = envErrorOf(() => parseEnv(shape, { DATABASE_URL: "mysql://x" }));
    expect(err.issues).toHaveLength(1);
    expect(err.message).toContain("DATABASE_URL: must be a postgresql:// URL");
    expect(err.message).toContain('"mysql://x"');
  });

  it("lists every bad variable, each by name", () => {
    const err = envErrorOf(() =>
      parseEnv(shape, { REDIS_URL: "http://localhost", SHUTDOWN_TIMEOUT_MS: "soon", LOG_LEVEL: "loud", QUEUE_PREFIX: "a b" }),
    );
    expect(err.issues.map((i) => i.split(":")[0]).sort()).toEqual(["LOG_LEVEL", "QUEUE_PREFIX", "REDIS_URL", "SHUTDOWN_TIMEOUT_MS"]);
    expect(err.message).toContain("SHUTDOWN_TIMEOUT_MS: must be a whole number");
  });

  it("rejects a port that is not a number", () => {
    const err = envErrorOf(() => parseEnv({ PORT: envTypes.port }, { PORT: "abc" }));
    expect(err.message).toContain("PORT: must be a port number");
  });

  it("names a required variable that is missing", () => {
    const err = envErrorOf(() => parseEnv({ API_TOKEN: z.string().min(8) }, {}));
    expect(err.message).toMatch(/API_TOKEN: .*\(got unset\)/);
  });

  it("never echoes the value of a secret variable", () => {
    const secret = "sk-ant-very-secret-value";
    const err = envErrorOf(() =>
      parseEnv({ ...shape, ANTHROPIC_API_KEY: z.string().startsWith("sk-live-") }, { ANTHROPIC_API_KEY: secret }),
    );
    expect(err.message).toContain("ANTHROPIC_API_KEY");
    expect(err.message).toContain("***");
    expect(err.message).not.toContain(secret);
  });

  it("does not echo a secret while reporting another variable", () => {
    const secret = "sk-ant-very-secret-value";
    const err = envErrorOf(() =>
      parseEnv(shape, { ANTHROPIC_API_KEY: secret, ENGAGEMENT_CLASSIFIER: "gpt", ANTHROPIC_BASE_URL: "ftp://x" }),
    );
    expect(err.message).toContain("ENGAGEMENT_CLASSIFIER");
    expect(err.message).toContain("ANTHROPIC_BASE_URL");
    expect(err.message).not.toContain(secret);
  });

  it("hides the password of a rejected connection URL", () => {
    const err = envErrorOf(() =>
      parseEnv(shape, { DATABASE_URL: "mysql://app:hunter2@db.internal/engagement", REDIS_URL: "http://:p@ss@cache:6379" }),
    );
    expect(err.message).toContain("DATABASE_URL");
    expect(err.message).toContain("mysql://app:***@db.internal/engagement");
    expect(err.message).not.toContain("hunter2");
    expect(err.message).toContain("REDIS_URL");
    expect(err.message).not.toContain("p@ss");
  });
});

describe("resolveClassifier", () => {
  it("auto picks Claude with a key and the rules without one", () => {
    expect(resolveClassifier({ ENGAGEMENT_CLASSIFIER: "auto", ANTHROPIC_API_KEY: "k" })).toBe("anthropic");
    expect(resolveClassifier({ ENGAGEMENT_CLASSIFIER: "auto" })).toBe("rules");
  });

  it("keeps an explicit choice", () => {
    expect(resolveClassifier({ ENGAGEMENT_CLASSIFIER: "rules", ANTHROPIC_API_KEY: "k" })).toBe("rules");
    expect(resolveClassifier({ ENGAGEMENT_CLASSIFIER: "anthropic", ANTHROPIC_API_KEY: "k" })).toBe("anthropic");
  });

  it("refuses anthropic without ANTHROPIC_API_KEY, naming the variable", () => {
    const err = envErrorOf(() => resolveClassifier(parseEnv(shape, { ENGAGEMENT_CLASSIFIER: "anthropic" })));
    expect(err.message).toContain("ANTHROPIC_API_KEY");
    expect(err.message).toContain("ENGAGEMENT_CLASSIFIER=anthropic");
  });
});
