import { Queue, type QueueOptions } from "bullmq";
import type { Redis } from "ioredis";
import { catalog, type JobKind, type JobPayload } from "./catalog.ts";

export type TypedQueue<K extends JobKind> = Queue<JobPayload<K>, unknown, string>;
export type Queues = { [K in JobKind]: TypedQueue<K> };

/** One Queue per catalog entry, all with the same prefix and connection. */
export function createQueues(connection: Redis, prefix: string, options: Partial<QueueOptions> = {}): Queues {
  const make = <K extends JobKind>(kind: K): TypedQueue<K> =>
    new Queue<JobPayload<K>, unknown, string>(catalog[kind].queue, {
      connection,
      prefix,
      defaultJobOptions: catalog[kind].options,
      ...options,
    });
  return { scheduler: make("scheduler"), orgRun: make("orgRun"), classify: make("classify"), providerBatch: make("providerBatch") };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
