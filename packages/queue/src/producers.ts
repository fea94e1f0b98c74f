// Enqueuing org runs. The run row is created first (PostgreSQL is the record of what ran); the job carries only
// its id. The job id derives from the run id, so enqueuing the same run twice adds one job.
import { createOrGetRun, type Db, manualRunKey, scheduledRunKey } from "@engagement/db";
import { jobIds } from "./catalog.ts";
import type { Queues } from "./queues.ts";

export interface EnqueuedRun {
  runId: string;
  orgId: string;
  jobId: string;
}

export async function enqueueOrgRun(
  db: Db,
  queues: Pick<Queues, "orgRun">,
  input: { orgId: string; trigger: "scheduled"; runDate: string; force?: boolean } | { orgId: string; trigger: "manual"; force?: boolean },
): Promise<EnqueuedRun> {
  const runKey = input.trigger === "scheduled" ? scheduledRunKey(input.runDate) : manualRunKey();
  const run = await createOrGetRun(db, { orgId: input.orgId, runKey, trigger: input.trigger, force: input.force ?? false });
  const jobId = jobIds.orgRun(run.id);
  await queues.orgRun.add("org-run", { runId: run.id }, { jobId });
  return { runId: run.id, orgId: input.orgId, jobId };
}

/** The UTC calendar date of an instant, the key of a nightly run. */
export function runDateOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/**
 * The instant a job scheduler's job was due. BullMQ names those jobs `repeat:<schedulerId>:<dueMillis>`; the
 * job's timestamp + delay is computed when it is created and can fall a few ms before the due instant, which
 * at a midnight cron would give the previous day's date.
 */
export function scheduledInstant(job: { id?: string | undefined; timestamp: number; opts: { delay?: number | undefined } }): Date {
  const due = /^repeat:.+:(\d+)$/.exec(job.id ?? "")?.[1];
  return new Date(due ? Number(due) : job.timestamp + (job.opts.delay ?? 0));
}
