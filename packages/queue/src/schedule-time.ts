// Job ids and due instants of the queues, as plain functions of what BullMQ stores.
/** The run id inside an org-run job id (see jobIds.orgRun). */
export function runIdOfJob(jobId: string): string | null {
  return /^run-([0-9a-f-]{36})$/.exec(jobId)?.[1] ?? null;
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
