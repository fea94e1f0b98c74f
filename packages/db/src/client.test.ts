import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { isLostConnection } from "./client.ts";
import { createTestDatabase, startConnectionKiller, type TestDatabase } from "./testing/index.ts";

describe("a statement whose connection the server ended", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("client_retry");
  });
  afterAll(async () => t.drop());

  it("is sent again on a new connection: queries under pg_terminate_backend every 0.2 s all succeed", async () => {
    const killer = startConnectionKiller(t.url, 200);
    const results: number[] = [];
    const until = Date.now() + 3_000;
    try {
      while (Date.now() < until) {
        const [row] = await t.db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_sleep(0.02)`;
        results.push(row?.n ?? 0);
        results.push(await t.db.organization.count());
      }
    } finally {
      const { killed } = await killer.stop();
      // The loop did meet cut connections: the retries were needed.
      expect(killed).toBeGreaterThanOrEqual(3);
    }
    expect(results.length).toBeGreaterThan(5);
    expect(new Set(results)).toEqual(new Set([1, 0]));
  });

  it("tells a lost connection from other database errors", () => {
    expect(
      isLostConnection(new Error("Raw query failed. Code: `57P01`. Message: `terminating connection due to administrator command`")),
    ).toBe(true);
    expect(isLostConnection({ message: "Invalid invocation", meta: { driverAdapterError: { cause: { originalCode: "08006" } } } })).toBe(
      true,
    );
    expect(isLostConnection(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isLostConnection(new Error("Raw query failed. Code: `23505`. Message: duplicate key value"))).toBe(false);
    expect(isLostConnection(null)).toBe(false);
  });
});
