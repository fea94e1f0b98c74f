import { envErrorOf } from "@engagement/runtime/testing";
import { describe, expect, it } from "@jest/globals";
import { loadApiEnv } from "./env.ts";

const sourceError = (source: Record<string, string>) => envErrorOf(() => loadApiEnv(source));

const SECRET = "0123456789abcdef0123456789abcdef";

describe("loadApiEnv", () => {
  it("needs only API_JWT_SECRET; host, port and connections default", () => {
    expect(loadApiEnv({ API_JWT_SECRET: SECRET })).toMatchObject({
      API_JWT_SECRET: SECRET,
      API_HOST: "127.0.0.1",
      API_PORT: 3000,
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/engagement",
      REDIS_URL: "redis://127.0.0.1:6379",
    });
  });

  it("caps token lifetime at 30 days unless API_TOKEN_MAX_LIFETIME_DAYS says otherwise, within 1-365", () => {
    expect(loadApiEnv({ API_JWT_SECRET: SECRET }).API_TOKEN_MAX_LIFETIME_DAYS).toBe(30);
    expect(loadApiEnv({ API_JWT_SECRET: SECRET, API_TOKEN_MAX_LIFETIME_DAYS: "7" }).API_TOKEN_MAX_LIFETIME_DAYS).toBe(7);
    expect(() => loadApiEnv({ API_JWT_SECRET: SECRET, API_TOKEN_MAX_LIFETIME_DAYS: "3650" })).toThrow(/API_TOKEN_MAX_LIFETIME_DAYS/);
  });

  it("limits each credential to 1,200 requests a minute unless API_RATE_LIMIT_MAX/WINDOW_MS say otherwise; 0 turns it off", () => {
    expect(loadApiEnv({ API_JWT_SECRET: SECRET })).toMatchObject({ API_RATE_LIMIT_MAX: 1200, API_RATE_LIMIT_WINDOW_MS: 60_000 });
    expect(loadApiEnv({ API_JWT_SECRET: SECRET, API_RATE_LIMIT_MAX: "0", API_RATE_LIMIT_WINDOW_MS: "1000" })).toMatchObject({
      API_RATE_LIMIT_MAX: 0,
      API_RATE_LIMIT_WINDOW_MS: 1000,
    });
    expect(sourceError({ API_JWT_SECRET: SECRET, API_RATE_LIMIT_MAX: "-1" }).message).toContain("API_RATE_LIMIT_MAX");
    expect(sourceError({ API_JWT_SECRET: SECRET, API_RATE_LIMIT_MAX: "many" }).message).toContain(
      "API_RATE_LIMIT_MAX: must be a whole number",
    );
    expect(sourceError({ API_JWT_SECRET: SECRET, API_RATE_LIMIT_WINDOW_MS: "0" }).message).toContain("API_RATE_LIMIT_WINDOW_MS");
  });

  it("closes CORS unless API_CORS_ORIGINS lists origins, each scheme://host[:port]", () => {
    expect(loadApiEnv({ API_JWT_SECRET: SECRET }).API_CORS_ORIGINS).toEqual([]);
    expect(
      loadApiEnv({ API_JWT_SECRET: SECRET, API_CORS_ORIGINS: " https://dash.example.org, http://localhost:5173 ," }).API_CORS_ORIGINS,
    ).toEqual(["https://dash.example.org", "http://localhost:5173"]);
    for (const bad of ["*", "dash.example.org", "https://dash.example.org/app", "ftp://x.example"]) {
      expect(sourceError({ API_JWT_SECRET: SECRET, API_CORS_ORIGINS: bad }).message).toContain("API_CORS_ORIGINS");
    }
  });

  it("coerces API_PORT", () => {
    expect(loadApiEnv({ API_JWT_SECRET: SECRET, API_PORT: "8080" }).API_PORT).toBe(8080);
  });

  it("refuses to start without API_JWT_SECRET, naming it", () => {
    const err = sourceError({});
    expect(err.issues).toHaveLength(1);
    expect(err.message).toMatch(/API_JWT_SECRET: .*\(got unset\)/);
  });

  it("rejects a short API_JWT_SECRET without echoing it", () => {
    const err = sourceError({ API_JWT_SECRET: "short-but-real-secret" });
    expect(err.message).toContain("API_JWT_SECRET: must be at least 32 characters");
    expect(err.message).not.toContain("short-but-real-secret");
  });

  it("rejects API_PORT=abc and an out-of-range port, naming API_PORT", () => {
    expect(sourceError({ API_JWT_SECRET: SECRET, API_PORT: "abc" }).message).toContain("API_PORT: must be a port number");
    expect(sourceError({ API_JWT_SECRET: SECRET, API_PORT: "70000" }).message).toContain("API_PORT");
  });

  it("names a bad DATABASE_URL", () => {
    const err = sourceError({ API_JWT_SECRET: SECRET, DATABASE_URL: "mysql://x" });
    expect(err.message).toContain("DATABASE_URL");
    expect(err.message).not.toContain(SECRET);
  });
});
