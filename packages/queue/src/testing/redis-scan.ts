// For privacy tests: every key under a queue prefix and what it holds, whatever BullMQ or the request budget put
// there (job hashes with their data, return values, failed reasons and stack traces; job logs; the events
// streams; the state lists and sorted sets; locks; the budget's keys), searched for pieces of text. The keys come
// from SCAN, so a key kind added later is read without anyone remembering to add it here.
import type { Redis } from "ioredis";

export interface RedisKeySeen {
  key: string;
  type: string;
}

export interface RedisTextHit extends RedisKeySeen {
  needle: string;
}

export interface RedisScan {
  keys: RedisKeySeen[];
  hits: RedisTextHit[];
}

/** SCAN's MATCH is a glob: the prefix's own *, ?, [, ] and \ must match themselves. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, "\\$&");

/** What one key holds, as text: every field and value, member and score, stream entry. */
async function keyText(redis: Redis, key: string, type: string): Promise<string> {
  switch (type) {
    case "string":
      return (await redis.get(key)) ?? "";
    case "hash":
      return JSON.stringify(await redis.hgetall(key));
    case "list":
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case "set":
      return JSON.stringify(await redis.smembers(key));
    case "zset":
      return JSON.stringify(await redis.call("ZRANGE", key, "0", "-1", "WITHSCORES"));
    case "stream":
      return JSON.stringify(await redis.xrange(key, "-", "+"));
    case "none":
      // Gone between SCAN and TYPE (a lock released, a job removed): nothing left to read.
      return "";
    default:
      throw new Error(`redis key ${key} has a type this scan cannot read: ${type}`);
  }
}

/** Every key whose name starts with `prefix`, walked with SCAN in batches. */
export async function* keysUnder(redis: Redis, prefix: string): AsyncGenerator<string> {
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${globEscape(prefix)}*`, "COUNT", 1000);
    cursor = next;
    yield* batch;
  } while (cursor !== "0");
}

/** Every key under `prefix` and each of `needles` found in its name or content, case-insensitively. */
export async function findTextInRedis(redis: Redis, prefix: string, needles: string[]): Promise<RedisScan> {
  const lowered = needles.map((n) => n.toLowerCase());
  const keys: RedisKeySeen[] = [];
  const hits: RedisTextHit[] = [];
  for await (const key of keysUnder(redis, prefix)) {
    const type = await redis.type(key);
    keys.push({ key, type });
    const text = `${key}\n${await keyText(redis, key, type)}`.toLowerCase();
    lowered.forEach((needle, i) => {
      if (text.includes(needle)) hits.push({ key, type, needle: needles[i] as string });
    });
  }
  return { keys, hits };
}
