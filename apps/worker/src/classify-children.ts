// Classify jobs of a run, added as children of its org job (with ignoreDependencyOnFailure, so a chunk that fails
// for good still lets the run finalize). Job ids come from the ordered member list, so a repeated step adds
// nothing twice.
import { chunk } from "@engagement/db";
import { catalog, type JobPayload } from "@engagement/queue";
import type { WorkerDeps } from "./deps.ts";

/** Adds `userIds` in chunks of classifyChunkSize; returns how many jobs. */
export async function addClassifyChildren(
  deps: WorkerDeps,
  run: { runId: string; orgId: string },
  userIds: string[],
  parent: { id: string; queue: string },
  jobId: (chunk: number) => string,
): Promise<number> {
  const chunks = chunk(userIds, deps.settings.classifyChunkSize);
  if (chunks.length === 0) return 0;
  await deps.queues.classify.addBulk(
    chunks.map((ids, i) => ({
      name: catalog.classify.jobName,
      data: { runId: run.runId, orgId: run.orgId, userIds: ids } satisfies JobPayload<"classify">,
      opts: { ...catalog.classify.options, jobId: jobId(i), parent, ignoreDependencyOnFailure: true },
    })),
  );
  return chunks.length;
}
