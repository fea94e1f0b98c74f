import { Redis, type RedisOptions } from "ioredis";

/**
 * A Redis connection for BullMQ. Workers block on Redis, so maxRetriesPerRequest must be null (BullMQ refuses
 * otherwise); the same setting is harmless for queues.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

/**
 * The key prefix for every queue. A Redis Cluster hash tag ({...}) keeps all keys of all queues in one slot,
 * which BullMQ needs for parent/child flows spanning the org-run and classify queues.
 */
export function normalizePrefix(prefix: string): string {
  return prefix.startsWith("{") ? prefix : `{${prefix}}`;
}
