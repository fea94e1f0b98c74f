// The use case "erase a person": the database erasure (one transaction, packages/db erasePerson), then the copies
// about them outside PostgreSQL. The API and the CLI both call this.
//
// What Redis holds about a member: job payloads carry ids only ({runId}, {runId, orgId, userIds}), and what the
// workers store on their jobs (return values, progress, failed reasons) is counts and error messages — never a
// name or email (the erasure tests scan every key). What is left is the member's user id in classify payloads:
//   - waiting, delayed or running jobs are left as they are: the worker finds no membership for an erased member
//     and skips them (a result written at the moment of the erasure is skipped too), so the run completes;
//     rewriting a payload a worker may be holding would race with it;
//   - finished jobs (completed, failed) keep the id for up to a week: it is removed from their payloads here, so
//     nothing in Redis names the erased id once their run is over.

import type { Db } from "@engagement/db";
import { type ErasureResult, erasePerson } from "@engagement/db";
import type { Queues } from "@engagement/queue";

export async function erasePersonAndCopies(
  deps: { db: Db; queues: Pick<Queues, "classify"> },
  input: { userId: string; orgId?: string | null; actorId: string | null },
): Promise<ErasureResult & { jobsScrubbed: number }> {
  const result = await erasePerson(deps.db, input);
  return { ...result, jobsScrubbed: await purgeDerivedCopies(deps.queues, input.userId) };
}

const PAGE = 500;

/**
 * The one place where copies of an erased person outside the database are removed; returns how many jobs were
 * changed. When webhook or export queues are added, their jobs about the person (payloads, rendered bodies,
 * export files) are purged here too.
 */
export async function purgeDerivedCopies(queues: Pick<Queues, "classify">, userId: string): Promise<number> {
  let scrubbed = 0;
  for (const state of ["completed", "failed"] as const) {
    for (let start = 0; ; start += PAGE) {
      const jobs = await queues.classify.getJobs([state], start, start + PAGE - 1, true);
      for (const job of jobs) {
        const userIds = job?.data?.userIds;
        if (!job || !Array.isArray(userIds) || !userIds.includes(userId)) continue;
        await job.updateData({ ...job.data, userIds: userIds.filter((id) => id !== userId) });
        scrubbed++;
      }
      if (jobs.length < PAGE) break;
    }
  }
  return scrubbed;
}
