import { randomBytes } from "node:crypto";
import { TEST_REDIS_URL } from "@engagement/runtime/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { findTextInRedis } from "./redis-scan.ts";

describe("findTextInRedis", () => {
  const redis = new Redis(TEST_REDIS_URL);
  const prefix = `{test-scan-${randomBytes(4).toString("hex")}}`;
  // A prefix with glob characters must not match keys of another prefix.
  const other = `${prefix.slice(0, -1)}x}`;
  beforeAll(async () => {
    await redis.set(`${prefix}:string`, "plain Ada Quillfeather text");
    await redis.hset(`${prefix}:hash`, { data: '{"userIds":["u1"]}', stacktrace: '["Error: ada@example.test"]' });
    await redis.rpush(`${prefix}:list`, "one", "Ada Quillfeather");
    await redis.sadd(`${prefix}:set`, "ADA@EXAMPLE.TEST");
    await redis.zadd(`${prefix}:zset`, 1, "Quillfeather");
    await redis.xadd(`${prefix}:stream`, "*", "event", "failed", "failedReason", "no Quillfeather here");
    await redis.set(`${prefix}:key-named-quillfeather`, "");
    await redis.set(`${other}:string`, "Ada Quillfeather");
  });
  afterAll(async () => {
    await redis.del(...(await redis.keys(`${prefix}*`)), `${other}:string`);
    redis.disconnect();
  });

  it("finds a needle in every kind of key, in its content or its name, whatever the case", async () => {
    const scan = await findTextInRedis(redis, prefix, ["quillfeather", "ada@example.test", "nobody"]);
    expect(scan.keys.map((k) => k.type).sort()).toEqual(["hash", "list", "set", "stream", "string", "string", "zset"]);
    const found = (needle: string) =>
      scan.hits
        .filter((h) => h.needle === needle)
        .map((h) => h.key.slice(prefix.length + 1))
        .sort();
    expect(found("quillfeather")).toEqual(["key-named-quillfeather", "list", "stream", "string", "zset"]);
    expect(found("ada@example.test")).toEqual(["hash", "set"]);
    expect(found("nobody")).toEqual([]);
  });
});
