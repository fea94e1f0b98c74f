// The nightly tick: one org run per organisation with active members. Job ids derive from the run, and the run
// from (org, date), so two schedulers, a restart mid-enqueue or a retried tick all land on the same runs.
import { type Db, listOrgIdsWithActiveMembers } from "@engagement/db";
import { parsePayload, type Queues, runDateOf, scheduledInstant } from "@engagement/queue";
import type { Logger } from "@engagement/runtime";
import { enqueueOrgRun } from "@engagement/use-cases";
import type { Job } from "bullmq";

export interface NightlyOutcome {
  outcome: "enqueued";
  runDate: string;
  orgs: number;
}

export async function processNightly(deps: { db: Db; queues: Queues; logger: Logger }, job: Job): Promise<NightlyOutcome> {
  const payload = parsePayload("scheduler", job.data);
  // A scheduled tick's runs take its cron instant as asOf; a tick added by hand (demo, CLI) runs as of its start.
  const dueAt = payload.runDate ? undefined : scheduledInstant(job);
  const runDate = payload.runDate ?? runDateOf(dueAt as Date);
  const orgIds = await listOrgIdsWithActiveMembers(deps.db);
  for (const orgId of orgIds) {
    await enqueueOrgRun(deps.db, deps.queues, { orgId, trigger: "scheduled", runDate, ...(dueAt ? { asOf: dueAt } : {}) });
  }
  deps.logger.info({ runDate, orgs: orgIds.length, jobId: job.id }, "nightly runs enqueued");
  return { outcome: "enqueued", runDate, orgs: orgIds.length };
}
