import { describe, expect, it } from "@jest/globals";
import { parseRetryAfterMs } from "./anthropic-errors.ts";

const h = (init: Record<string, string>) => new Headers(init);

describe("parseRetryAfterMs", () => {
  it("reads retry-after as seconds", () => {
    expect(parseRetryAfterMs(h({ "retry-after": "7" }))).toBe(7000);
    expect(parseRetryAfterMs(h({ "retry-after": "0.5" }))).toBe(500);
  });
  it("prefers retry-after-ms, which is more precise", () => {
    expect(parseRetryAfterMs(h({ "retry-after-ms": "1234", "retry-after": "9" }))).toBe(1234);
  });
  it("reads an HTTP date relative to now", () => {
    const now = Date.parse("2026-11-26T12:00:00Z");
    expect(parseRetryAfterMs(h({ "retry-after": "Thu, 26 Nov 2026 12:00:10 GMT" }), now)).toBe(10_000);
  });
  it("is null when absent, empty or unreadable", () => {
    expect(parseRetryAfterMs(h({}))).toBeNull();
    expect(parseRetryAfterMs(undefined)).toBeNull();
    expect(parseRetryAfterMs(h({ "retry-after": "" }))).toBeNull();
    expect(parseRetryAfterMs(h({ "retry-after": "soon" }))).toBeNull();
    expect(parseRetryAfterMs(h({ "retry-after": "-3" }))).toBeNull();
  });
  it("falls back to retry-after when retry-after-ms is unreadable", () => {
    expect(parseRetryAfterMs(h({ "retry-after-ms": "x", "retry-after": "2" }))).toBe(2000);
  });
});
