import { describe, expect, it } from "@jest/globals";
import { connectionErrorReporter, isRedisConnectionError } from "./connection-errors.ts";

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
  return {
    lines,
    warn: (fields: Record<string, unknown>, msg: string) => lines.push({ level: "warn", fields, msg }),
    error: (fields: Record<string, unknown>, msg: string) => lines.push({ level: "error", fields, msg }),
  };
}
const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6390"), { code: "ECONNREFUSED" });

describe("Redis connection errors", () => {
  it("tells connection errors (refused, reset, closed) from others", () => {
    expect(isRedisConnectionError(refused())).toBe(true);
    expect(isRedisConnectionError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe(true);
    expect(isRedisConnectionError(new Error("Connection is closed."))).toBe(true);
    expect(isRedisConnectionError(new Error("NOSCRIPT No matching script"))).toBe(false);
    expect(isRedisConnectionError("ECONNREFUSED")).toBe(false);
  });

  it("folds an outage's errors from every client into one warning per interval, saying how many it folded", () => {
    let now = 0;
    const log = recorder();
    const report = connectionErrorReporter(log, 10_000, () => now);
    for (let i = 0; i < 30; i++) {
      report(i % 2 ? "worker classify" : "queue org-run", refused());
      now += 300;
    }
    // 30 errors over 9 s: one line; the next one after the interval says how many were folded.
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: "warn", fields: { source: "queue org-run", folded: 0 } });
    now += 1_000;
    report("queue events", refused());
    expect(log.lines).toHaveLength(2);
    expect(log.lines[1]).toMatchObject({ level: "warn", fields: { folded: 29 } });
  });

  it("logs any other error as an error, every time", () => {
    const log = recorder();
    const report = connectionErrorReporter(log);
    report("worker classify", new Error("NOSCRIPT No matching script"));
    report("worker classify", new Error("NOSCRIPT No matching script"));
    expect(log.lines.map((l) => l.level)).toEqual(["error", "error"]);
  });
});
