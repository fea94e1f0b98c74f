// Enqueuing org runs. The run row is created first (PostgreSQL is the record of what ran); the job carries only
// its id. The job id derives from the run id, so enqueuing the same run twice adds one job.
import { createOrGetRun, type Db, findActiveRun, manualRunKey, scheduledRunKey } from "@engagement/db";
import { jobIds } from "./catalog.ts";
import type { Queues } from "./queues.ts";

export interface EnqueuedRun {
  runId: string;
  orgId: string;
  jobId: string;
  /** True when a manual request found the org's run already queued or running and enqueued nothing. */
  alreadyActive?: boolean;
}

export async function enqueueOrgRun(
  db: Db,
  queues: Pick<Queues, "orgRun">,
  input: { orgId: string; trigger: "scheduled"; runDate: string; force?: boolean } | { orgId: string; trigger: "manual"; force?: boolean },
): Promise<EnqueuedRun> {
  if (input.trigger === "manual") {
    // One run of an org at a time: overlapping runs would pay twice for the same members.
    const active = await findActiveRun(db, input.orgId);
    if (active) return { runId: active.id, orgId: input.orgId, jobId: jobIds.orgRun(active.id), alreadyActive: true };
  }
  const runKey = input.trigger === "scheduled" ? scheduledRunKey(input.runDate) : manualRunKey();
  const run = await createOrGetRun(db, { orgId: input.orgId, runKey, trigger: input.trigger, force: input.force ?? false });
  const jobId = jobIds.orgRun(run.id);
  await queues.orgRun.add("org-run", { runId: run.id }, { jobId });
  return { runId: run.id, orgId: input.orgId, jobId };
}

/** The UTC calendar date of an instant, the key of a nightly run. */
/** The run id inside an org-run job id (see jobIds.orgRun). */
export function runIdOfJob(jobId: string): string | null {
  return /^run-([0-9a-f-]{36})$/.exec(jobId)?.[1] ?? null;
}

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
