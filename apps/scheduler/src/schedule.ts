import { catalog, type Queues } from "@engagement/queue";

/** The scheduler id is stored data (it names the scheduler in Redis): renaming it leaves the old one firing. */
export const NIGHTLY_SCHEDULER_ID = "engagement-nightly";

/** Creates or updates the one nightly job scheduler; safe to call from every scheduler instance at start. */
export async function upsertNightlySchedule(queues: Pick<Queues, "scheduler">, pattern: string, tz: string) {
  return queues.scheduler.upsertJobScheduler(
    NIGHTLY_SCHEDULER_ID,
    { pattern, tz },
    { name: catalog.scheduler.jobName, data: {}, opts: catalog.scheduler.options },
  );
}
