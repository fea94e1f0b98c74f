import { resolveClassifier } from "@engagement/runtime";
import { envErrorOf } from "@engagement/runtime/testing";
import { describe, expect, it } from "@jest/globals";
import { loadWorkerEnv } from "./env.ts";

const API_KEY = "sk-ant-test-0123456789";

describe("loadWorkerEnv", () => {
  it("applies the defaults when nothing is set", () => {
    expect(loadWorkerEnv({})).toMatchObject({
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/engagement",
      ENGAGEMENT_CLASSIFIER: "auto",
      LLM_RATE_MAX_REQUESTS: 50,
      LLM_RATE_WINDOW_MS: 60_000,
      CLASSIFY_CHUNK_SIZE: 100,
      CLASSIFY_CHUNK_CONCURRENCY: 5,
      CLASSIFY_WORKER_CONCURRENCY: 4,
      ORG_WORKER_CONCURRENCY: 2,
      CLASSIFY_MAX_RATE_LIMITED: 20,
      SKIP_RECENT_HOURS: 24,
      LLM_FINGERPRINT: "on",
      LLM_FINGERPRINT_MAX_AGE_DAYS: 7,
      JOB_LOCK_MS: 30_000,
      STALLED_INTERVAL_MS: 30_000,
    });
  });

  it("names a non-PostgreSQL DATABASE_URL", () => {
    const err = envErrorOf(() => loadWorkerEnv({ DATABASE_URL: "mysql://x" }));
    expect(err.message).toContain("DATABASE_URL: must be a postgresql:// URL");
  });

  it("names an LLM_FINGERPRINT other than on/off and a maximum age that is not a positive whole number", () => {
    const err = envErrorOf(() => loadWorkerEnv({ LLM_FINGERPRINT: "yes", LLM_FINGERPRINT_MAX_AGE_DAYS: "0" }));
    expect(err.message).toContain("LLM_FINGERPRINT:");
    expect(err.message).toContain("LLM_FINGERPRINT_MAX_AGE_DAYS");
  });

  it("names a chunk size above the classify payload's limit of 200", () => {
    expect(envErrorOf(() => loadWorkerEnv({ CLASSIFY_CHUNK_SIZE: "500" })).message).toContain("CLASSIFY_CHUNK_SIZE");
  });

  it("names a rate limit that is not a positive whole number", () => {
    const err = envErrorOf(() => loadWorkerEnv({ LLM_RATE_MAX_REQUESTS: "0", LLM_RATE_WINDOW_MS: "1.5" }));
    expect(err.message).toContain("LLM_RATE_MAX_REQUESTS");
    expect(err.message).toContain("LLM_RATE_WINDOW_MS");
  });

  it("fails when ENGAGEMENT_CLASSIFIER=anthropic has no ANTHROPIC_API_KEY", () => {
    const env = loadWorkerEnv({ ENGAGEMENT_CLASSIFIER: "anthropic" });
    expect(envErrorOf(() => resolveClassifier(env)).message).toContain("ANTHROPIC_API_KEY");
  });

  it("uses Claude in auto mode only when a key is set", () => {
    expect(resolveClassifier(loadWorkerEnv({}))).toBe("rules");
    expect(resolveClassifier(loadWorkerEnv({ ANTHROPIC_API_KEY: API_KEY }))).toBe("anthropic");
  });

  it("never echoes ANTHROPIC_API_KEY in an error about other variables", () => {
    const err = envErrorOf(() =>
      loadWorkerEnv({ ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: "not a url", ENGAGEMENT_CLASSIFIER: "claude" }),
    );
    expect(err.message).toContain("ANTHROPIC_BASE_URL");
    expect(err.message).toContain("ENGAGEMENT_CLASSIFIER");
    expect(err.message).not.toContain(API_KEY);
  });
});
