import { Queue, type QueueOptions } from "bullmq";
import { catalog, type JobKind, type JobPayload } from "./catalog.ts";
import type { RedisConnection } from "./connection.ts";

export type TypedQueue<K extends JobKind> = Queue<JobPayload<K>, unknown, string>;
export type Queues = { [K in JobKind]: TypedQueue<K> };

/**
 * One Queue per catalog entry, all with the same prefix and connection. `onError` receives each queue's
 * connection errors: a Queue without an "error" listener prints raw stack traces outside the app's logger.
 */
export function createQueues(
  connection: RedisConnection,
  prefix: string,
  options: Partial<QueueOptions> = {},
  onError?: (queue: string, err: Error) => void,
): Queues {
  const make = <K extends JobKind>(kind: K): TypedQueue<K> => {
    const queue = new Queue<JobPayload<K>, unknown, string>(catalog[kind].queue, {
      connection,
      prefix,
      defaultJobOptions: catalog[kind].options,
      ...options,
    });
    if (onError) queue.on("error", (err) => onError(catalog[kind].queue, err));
    return queue;
  };
  return {
    scheduler: make("scheduler"),
    orgRun: make("orgRun"),
    classify: make("classify"),
    providerBatch: make("providerBatch"),
    batchSubmit: make("batchSubmit"),
    batchPoll: make("batchPoll"),
  };
}

export async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
