// The use case "start a run of an organisation": create (or find) its run row and enqueue its org-run job. The
// scheduler, the API and the CLI all call this; it is the one place that combines the data package and the
// queues. The run row is created first (PostgreSQL is the record of what ran); the job carries only its id,
// and the job id derives from the run id, so enqueuing the same run twice adds one job.
import { createOrGetRun, type Db, failRun, findActiveRuns, manualRunKey, scheduledRunKey, withOrgRunLock } from "@engagement/db";
import { jobIds, type Queues } from "@engagement/queue";

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
  input:
    | { orgId: string; trigger: "scheduled"; runDate: string; asOf?: Date; force?: boolean }
    | { orgId: string; trigger: "manual"; force?: boolean },
): Promise<EnqueuedRun> {
  if (input.trigger === "scheduled") {
    return addRun(db, queues, input.orgId, {
      runKey: scheduledRunKey(input.runDate),
      trigger: "scheduled",
      force: input.force ?? false,
      asOf: input.asOf ?? null,
    });
  }
  // One run of an org at a time: overlapping runs would pay twice for the same members. The lock makes the
  // check and the insert one step for concurrent requests; the job is added after the row is committed, so a
  // worker never meets a run it cannot see.
  const decision = await withOrgRunLock(db, input.orgId, async (tx) => {
    for (const active of await findActiveRuns(tx, input.orgId)) {
      const state = await queues.orgRun.getJobState(jobIds.orgRun(active.id));
      // A run created moments ago may not have its job yet (another request is adding it).
      const settling = Date.now() - active.createdAt.getTime() < JOB_SETTLE_MS;
      if (settling || (state !== "unknown" && state !== "failed" && state !== "completed")) return { kind: "active" as const, run: active };
      // Its job is gone or finished without closing the run (lost enqueue, crash): the run can never finish.
      await failRun(tx, active.id, `org-run job ${state}: run abandoned`);
    }
    const created = await createOrGetRun(tx, {
      orgId: input.orgId,
      runKey: manualRunKey(),
      trigger: "manual",
      force: input.force ?? false,
    });
    return { kind: "created" as const, run: created };
  });
  if (decision.kind === "active") {
    return { runId: decision.run.id, orgId: input.orgId, jobId: jobIds.orgRun(decision.run.id), alreadyActive: true };
  }
  return addJob(db, queues, input.orgId, decision.run.id);
}

/** How long a new run may be without its job before a manual request treats it as abandoned. */
const JOB_SETTLE_MS = 60_000;

async function addRun(
  db: Db,
  queues: Pick<Queues, "orgRun">,
  orgId: string,
  run: { runKey: string; trigger: "scheduled" | "manual"; force: boolean; asOf: Date | null },
): Promise<EnqueuedRun> {
  const row = await createOrGetRun(db, { orgId, ...run });
  return addJob(db, queues, orgId, row.id);
}

async function addJob(db: Db, queues: Pick<Queues, "orgRun">, orgId: string, runId: string): Promise<EnqueuedRun> {
  const jobId = jobIds.orgRun(runId);
  try {
    await queues.orgRun.add("org-run", { runId }, { jobId });
  } catch (err) {
    // Without its job the run would stay queued for ever (and block manual runs of the org). If marking it failed
    // fails too (the database is down as well), the caller hears both; a later manual request finds the run
    // without its job and fails it then.
    try {
      await failRun(db, runId, `could not enqueue: ${(err as Error).message}`);
    } catch (failErr) {
      throw new AggregateError([err, failErr], `could not enqueue run ${runId}, nor mark it failed: ${(err as Error).message}`);
    }
    throw err;
  }
  return { runId, orgId, jobId };
}
