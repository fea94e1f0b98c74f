import { Cluster, Redis, type RedisOptions } from "ioredis";

/** A single server or a Redis Cluster: BullMQ, the request budget and the apps take either. */
export type RedisConnection = Redis | Cluster;

const CLUSTER_SCHEME = "redis+cluster:";

/**
 * A Redis connection for BullMQ. Workers block on Redis, so maxRetriesPerRequest must be null (BullMQ refuses
 * otherwise); the same setting is harmless for queues.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { ...BULLMQ_OPTIONS, ...options });
}

const BULLMQ_OPTIONS: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true };

/** A Redis Cluster client from some of its nodes (it discovers the others), with the same options as createRedis. */
export function createRedisCluster(nodes: { host: string; port: number }[], options: RedisOptions = {}): Cluster {
  return new Cluster(nodes, {
    redisOptions: { ...BULLMQ_OPTIONS, ...options },
    // BullMQ's blocking commands and Lua scripts must reach the master of their slot; a replica could answer
    // before it has a job's latest state.
    scaleReads: "master",
  });
}

/**
 * The apps' connection from REDIS_URL: `redis+cluster://[user:password@]host:port,host:port` names a Redis
 * Cluster by some of its nodes; any other URL is one server.
 */
export function connectRedis(url: string): RedisConnection {
  if (!url.startsWith(`${CLUSTER_SCHEME}//`)) return createRedis(url);
  const { nodes, username, password } = parseClusterUrl(url);
  return createRedisCluster(nodes, { ...(username ? { username } : {}), ...(password ? { password } : {}) });
}

/**
 * A second connection to the same server or cluster that fails a command at once while Redis is away instead of
 * queueing it (no offline queue, no retries, a 1 s command timeout): for work that must not wait on Redis, such
 * as the API's rate limit, which is skipped rather than holding every request during an outage.
 */
export function failFastDuplicate(connection: RedisConnection): RedisConnection {
  const failFast: RedisOptions = { maxRetriesPerRequest: 0, commandTimeout: 1000 };
  if (connection instanceof Cluster) {
    return connection.duplicate(undefined, {
      enableOfflineQueue: false,
      redisOptions: { ...connection.options.redisOptions, ...failFast },
    });
  }
  return connection.duplicate({ ...failFast, enableOfflineQueue: false, lazyConnect: false });
}

/** The seed nodes and credentials of a `redis+cluster://` URL (URL cannot parse several hosts itself). */
export function parseClusterUrl(url: string): { nodes: { host: string; port: number }[]; username?: string; password?: string } {
  const rest = url.slice(`${CLUSTER_SCHEME}//`.length).replace(/\/.*$/, "");
  const at = rest.lastIndexOf("@");
  const auth = at >= 0 ? rest.slice(0, at) : "";
  const [user = "", pass = ""] = auth.includes(":") ? auth.split(/:(.*)/s) : ["", auth];
  const nodes = (at >= 0 ? rest.slice(at + 1) : rest).split(",").map((hostPort) => {
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort.trim());
    if (!match) throw new Error(`${CLUSTER_SCHEME}// URL: "${hostPort}" is not host:port`);
    return { host: match[1] as string, port: Number(match[2]) };
  });
  return {
    nodes,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass ? { password: decodeURIComponent(pass) } : {}),
  };
}

/**
 * The key prefix for every queue. A Redis Cluster hash tag ({...}) keeps all keys of all queues in one slot,
 * which BullMQ needs for parent/child flows spanning the org-run and classify queues.
 */
export function normalizePrefix(prefix: string): string {
  return prefix.startsWith("{") ? prefix : `{${prefix}}`;
}
