import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createDb, isLostConnection, lostBeforeApplied } from "./client.ts";
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
        results.push((await t.db.organization.findMany({ take: 1 })).length);
        results.push(await t.db.organization.count());
      }
    } finally {
      const { killed } = await killer.stop();
      // The loop did meet cut connections: the retries were needed.
      expect(killed).toBeGreaterThanOrEqual(3);
    }
    expect(results.length).toBeGreaterThan(5);
    expect(new Set(results)).toEqual(new Set([0]));
  });

  it("a write is sent again only when the error shows it did not take effect: none is applied twice", async () => {
    const killer = startConnectionKiller(t.url, 200);
    let succeeded = 0;
    let failed = 0;
    const until = Date.now() + 3_000;
    try {
      for (let i = 0; Date.now() < until; i++) {
        try {
          await t.db.organization.create({ data: { name: `org ${i}`, slug: `org-${i}` } });
          succeeded++;
        } catch {
          failed++;
        }
      }
    } finally {
      const { killed } = await killer.stop();
      expect(killed).toBeGreaterThanOrEqual(3);
    }
    // Every write that reported success is there once; one that failed is not there (or the count would differ).
    const rows = await t.db.organization.findMany({ select: { name: true } });
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    expect(rows.length).toBe(succeeded);
    expect(succeeded).toBeGreaterThan(5);
    console.info(`writes under pg_terminate_backend every 0.2 s: ${succeeded} applied, ${failed} failed, none twice`);
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

  it("sends a write again only after errors that prove it was not applied", () => {
    expect(lostBeforeApplied(new Error("Code: `57P01`. Message: `terminating connection due to administrator command`"))).toBe(true);
    expect(lostBeforeApplied(new Error("connect ECONNREFUSED 127.0.0.1:5432"))).toBe(true);
    // node-postgres refuses the query before sending it on a connection it knows is broken.
    expect(lostBeforeApplied(new Error("Client has encountered a connection error and is not queryable"))).toBe(true);
    // The socket died under the statement: the server may have committed it.
    expect(lostBeforeApplied(new Error("Connection terminated unexpectedly"))).toBe(false);
    expect(lostBeforeApplied(new Error("read ECONNRESET"))).toBe(false);
    expect(lostBeforeApplied({ message: "x", meta: { driverAdapterError: { cause: { originalCode: "08006" } } } })).toBe(false);
  });
});

describe("createDb's parallelQueries option", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("client_parallel");
  });
  afterAll(async () => t.drop());

  const setting = async (db: { $queryRaw: TestDatabase["db"]["$queryRaw"] }) =>
    (await db.$queryRaw<{ v: string }[]>`SELECT current_setting('max_parallel_workers_per_gather') AS v`)[0]?.v;

  it("false: every connection of the pool plans without parallel workers; default: the server's setting", async () => {
    const serial = createDb(t.url, { parallelQueries: false, maxConnections: 3 });
    try {
      // Several at once, so more than one connection of the pool answers.
      const values = await Promise.all(Array.from({ length: 6 }, () => setting(serial)));
      expect(new Set(values)).toEqual(new Set(["0"]));
    } finally {
      await serial.$disconnect();
    }
    const server = (await setting(t.db)) as string;
    expect(Number(server)).toBeGreaterThan(0);
  });
});
