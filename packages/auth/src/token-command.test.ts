import { describe, expect, it } from "@jest/globals";
import { verifyToken } from "./jwt.ts";
import { parseTtl, runTokenCommand, TokenCommandError } from "./token-command.ts";

const env = { API_JWT_SECRET: "a-test-secret-that-is-at-least-32-characters" };
const ORG = "6f1c1c1e-8f0a-4d6e-9a55-2a7cf1f1a001";
const USER = "6f1c1c1e-8f0a-4d6e-9a55-2a7cf1f1a002";

describe("engagement token command", () => {
  it("prints a token the API accepts, with the given role, org, user and a one-hour default lifetime", async () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const result = await runTokenCommand(["--user", USER, "--org", ORG, "--role", "admin"], env, now);
    expect(result.expiresAt.toISOString()).toBe("2030-01-01T01:00:00.000Z");
    // Verified against the real clock, so sign one that is still valid now.
    const live = await runTokenCommand(["--user", USER, "--org", ORG, "--role", "admin", "--ttl", "15m"], env);
    expect(await verifyToken(env.API_JWT_SECRET, live.token)).toMatchObject({ sub: USER, org: ORG, role: "admin" });
  });

  it("parses lifetimes in seconds, minutes, hours and days, within 30 days", () => {
    expect(parseTtl("90s")).toBe(90);
    expect(parseTtl("15m")).toBe(900);
    expect(parseTtl("1h")).toBe(3600);
    expect(parseTtl("7d")).toBe(604_800);
    expect(() => parseTtl("31d")).toThrow(TokenCommandError);
    expect(() => parseTtl("1 hour")).toThrow(/--ttl/);
    expect(() => parseTtl("0s")).toThrow(TokenCommandError);
  });

  it.each([
    [["--org", ORG, "--role", "admin"], /--user is required/],
    [["--user", USER, "--org", ORG, "--role", "root"], /--role must be one of admin, member, operator/],
    [["--user", USER, "--role", "member"], /--org is required for member tokens/],
    [["--user", "alice", "--org", ORG, "--role", "admin"], /invalid token claims/],
    [["--user", USER, "--org", ORG, "--role", "admin", "--colour", "red"], /Unknown option '--colour'/],
  ])("refuses %j with a usage message", async (argv, message) => {
    await expect(runTokenCommand(argv, env)).rejects.toThrow(message);
  });

  it("needs the API's secret", async () => {
    await expect(runTokenCommand(["--user", USER, "--org", ORG, "--role", "admin"], {})).rejects.toThrow(/API_JWT_SECRET/);
  });

  it("issues operator tokens without an org", async () => {
    const { token } = await runTokenCommand(["--user", "ops", "--role", "operator", "--ttl", "2h"], env);
    expect(await verifyToken(env.API_JWT_SECRET, token)).toMatchObject({ sub: "ops", role: "operator" });
  });
});
