import { describe, expect, it } from "@jest/globals";
import { Cluster, Redis } from "ioredis";
import { connectRedis, normalizePrefix, parseClusterUrl } from "./connection.ts";

describe("Redis connections", () => {
  it("reads the seed nodes and credentials of a redis+cluster:// URL", () => {
    expect(parseClusterUrl("redis+cluster://10.0.0.1:7000,10.0.0.2:7001")).toEqual({
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
      ],
    });
    expect(parseClusterUrl("redis+cluster://app:p%40ss:w@redis-a:6379,[::1]:6380/")).toEqual({
      nodes: [
        { host: "redis-a", port: 6379 },
        { host: "::1", port: 6380 },
      ],
      username: "app",
      password: "p@ss:w",
    });
  });

  it("refuses a node without a port, naming it", () => {
    expect(() => parseClusterUrl("redis+cluster://redis-a,redis-b:6379")).toThrow('"redis-a" is not host:port');
  });

  it("gives a Cluster client for redis+cluster:// and a single-server client otherwise", () => {
    const cluster = connectRedis("redis+cluster://127.0.0.1:1,127.0.0.1:2");
    const single = connectRedis("redis://127.0.0.1:1");
    try {
      expect(cluster).toBeInstanceOf(Cluster);
      expect(single).toBeInstanceOf(Redis);
    } finally {
      cluster.disconnect();
      single.disconnect();
    }
  });

  it("wraps a prefix in a hash tag unless it has one", () => {
    expect(normalizePrefix("engagement")).toBe("{engagement}");
    expect(normalizePrefix("{engagement}")).toBe("{engagement}");
  });
});
