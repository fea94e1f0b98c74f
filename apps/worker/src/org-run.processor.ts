// One organisation's run, as a step job (BullMQ's process-step-jobs pattern):
//   prepare  — start the run, expire overrides, compute the organisation's signals, write carried and
//              facts-decided members, add classify chunks as children;
//   finalize — once every child has finished (or failed), give any member still without a result the rules
//              result (source fallback), then count the run from its snapshots.
// Every write is idempotent (snapshots are unique per member and run), so a retry or a crashed worker's
// replacement simply repeats the step.
import {
  chunk,
  computeOrgSignals,
  dropRunSignals,
  expireOverrides,
  failRun,
  finalizeRun,
  getRun,
  isRunFinished,
  membersMissingFromRun,
  runSignals,
  SIGNALS_CHUNK_SIZE,
  stageRunSignals,
  startRun,
  writeCarried,
  writeMemberResults,
} from "@engagement/db";
import { catalog, isLastAttempt, type JobPayload, jobIds } from "@engagement/queue";
import { type Job, UnrecoverableError, WaitingChildrenError } from "bullmq";
import { addClassifyChildren } from "./classify-children.ts";
import type { HandlerInput, WorkerDeps } from "./deps.ts";
import { partitionMembers, rulesFallback } from "./member-partition.ts";

/** The run as this invocation loaded it, once; every step works from it. */
interface RunContext {
  runId: string;
  orgId: string;
  force: boolean;
  trigger: "scheduled" | "manual";
  /** Set once the run has started; the prepare step fixes it. */
  asOf: Date | null;
  log: WorkerDeps["logger"];
}

export type OrgRunOutcome =
  | { outcome: "completed"; runId: string; members: number; classifyJobs: number; fallbacks: number }
  | { outcome: "already_finished"; runId: string; status: string };

export async function processOrgRun(deps: WorkerDeps, { job, payload, token }: HandlerInput<"orgRun">): Promise<OrgRunOutcome> {
  const { runId } = payload;
  const run = await getRun(deps.db, runId);
  if (!run) throw new UnrecoverableError(`run ${runId} does not exist`);
  if (isRunFinished(run.status)) {
    // A worker killed between the finalize step's count (committed) and its cleanup leaves the run finished and
    // its staged signals behind; this job is that step taken over, so it finishes the cleanup (idempotent).
    await dropRunSignals(deps.db, runId);
    return { outcome: "already_finished", runId, status: run.status };
  }
  const ctx: RunContext = {
    runId,
    orgId: run.orgId,
    force: run.force,
    trigger: run.trigger,
    asOf: run.asOf,
    log: deps.logger.child({ runId, orgId: run.orgId, jobId: job.id }),
  };

  try {
    let classifyJobs = payload.classifyJobs ?? 0;
    if ((payload.step ?? "prepare") === "prepare") {
      classifyJobs = await prepare(deps, job, ctx);
      await job.updateData({ ...payload, step: "finalize", classifyJobs } satisfies JobPayload<"orgRun">);
    }
    // Asked at every finalize, not only right after prepare: a job taken over between the step change and the move
    // (its worker killed there, or frozen past its lock) comes back at "finalize" with its children still to run,
    // and finalizing then would give their members the rules. BullMQ answers false once every child has finished.
    if (classifyJobs > 0 && token && (await job.moveToWaitingChildren(token))) {
      throw new WaitingChildrenError();
    }
    return await finalize(deps, job, ctx, classifyJobs);
  } catch (err) {
    if (err instanceof WaitingChildrenError) throw err;
    // The last attempt failing (or a failure no attempt can mend) closes the run as failed rather than leaving
    // it "running" forever.
    if (isLastAttempt(job) || err instanceof UnrecoverableError) await failRun(deps.db, runId, String(err));
    throw err;
  }
}

/** Starts the run (fixing ctx.asOf) and adds its classify children; returns how many. */
async function prepare(deps: WorkerDeps, job: Job, ctx: RunContext): Promise<number> {
  const { runId, orgId } = ctx;
  // A scheduled run's asOf is its cron instant (set when the run was created); a manual run's is now.
  const { asOf } = await startRun(deps.db, runId, ctx.asOf ?? new Date());
  ctx.asOf = asOf;
  // Counted on the run in the same statement: a repeated prepare finds nothing left to expire and adds 0.
  const expiredOverrides = await expireOverrides(deps.db, orgId, asOf, runId);
  const rows = await computeOrgSignals(deps.db, orgId, asOf);
  const { classifier, settings } = deps;
  const part = partitionMembers(rows, {
    asOf,
    force: ctx.force,
    skipRecentHours: settings.skipRecentHours,
    judge: { identity: classifier.judgeIdentity, thresholds: classifier.thresholds },
    llm: classifier.name !== "rules",
    fingerprintMaxAgeDays: settings.fingerprint?.maxAgeDays ?? null,
  });
  // Written in chunks: one statement per chunk keeps each statement's parameters and locks bounded.
  let carried = 0;
  let decided = 0;
  for (const members of chunk(part.carried, SIGNALS_CHUNK_SIZE)) carried += await writeCarried(deps.db, runId, orgId, members);
  for (const results of chunk(part.decided, SIGNALS_CHUNK_SIZE)) decided += await writeMemberResults(deps.db, runId, orgId, asOf, results);
  const { toClassify } = part;
  // Computed once for the run: the classify jobs and batches read these back instead of computing them again.
  const judged = new Set(toClassify);
  const staged = rows.filter((r) => judged.has(r.userId)).map((r) => ({ userId: r.userId, signals: r.signals }));
  for (const slice of chunk(staged, SIGNALS_CHUNK_SIZE)) await stageRunSignals(deps.db, runId, orgId, slice);
  const carriedBy = { recent: 0, inputs_unchanged: 0 };
  for (const c of part.carried) carriedBy[c.reason]++;
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  if (toClassify.length > 0 && usesBatches(deps, ctx)) {
    // One child owns the run's provider batches; it finds the members itself (those still without a result).
    await deps.queues.providerBatch.add(catalog.providerBatch.jobName, { runId, orgId } satisfies JobPayload<"providerBatch">, {
      ...catalog.providerBatch.options,
      jobId: jobIds.providerBatch(runId),
      parent,
      ignoreDependencyOnFailure: true,
    });
    ctx.log.info(
      { members: rows.length, carried, carriedBy, decided, toClassify: toClassify.length, expiredOverrides },
      "run prepared for provider batches",
    );
    return 1;
  }
  const classifyJobs = await addClassifyChildren(deps, { runId, orgId }, toClassify, parent, (i) => jobIds.classify(runId, i));
  ctx.log.info(
    { members: rows.length, carried, carriedBy, decided, toClassify: toClassify.length, classifyJobs, expiredOverrides },
    "run prepared",
  );
  return classifyJobs;
}

/** Batch mode, for this run's trigger, with a classifier that offers batches. */
function usesBatches(deps: WorkerDeps, ctx: RunContext): boolean {
  const { llmMode, batchRuns } = deps.settings;
  return llmMode === "batch" && (batchRuns === "all" || ctx.trigger === "scheduled") && deps.classifier.batches !== undefined;
}

async function finalize(deps: WorkerDeps, job: Job, ctx: RunContext, classifyJobs: number): Promise<OrgRunOutcome> {
  const { runId, orgId } = ctx;
  // The prepare step (in this invocation or an earlier one) started the run, which fixed its asOf.
  const asOf = ctx.asOf;
  if (!asOf) throw new UnrecoverableError(`run ${runId} reached finalize without an asOf`);
  const failures = classifyJobs > 0 ? Object.values(await job.getIgnoredChildrenFailures()) : [];
  const missing = await membersMissingFromRun(deps.db, runId, orgId);
  // A classify chunk that failed for good (or a member who joined mid-run) still gets a level: the rules'.
  const reason = failures.length ? `classify_job_failed: ${String(failures[0]).slice(0, 200)}` : "not_classified";
  for (const ids of chunk(missing, SIGNALS_CHUNK_SIZE)) {
    const rows = await runSignals(deps.db, runId, orgId, asOf, ids);
    await writeMemberResults(deps.db, runId, orgId, asOf, rulesFallback(rows, reason));
  }
  const final = await finalizeRun(deps.db, runId);
  await dropRunSignals(deps.db, runId);
  ctx.log.info(
    { members: final.membersTotal, fallbacks: missing.length, failedChunks: failures.length, llmCalls: final.llmCalls },
    "run finalized",
  );
  return { outcome: "completed", runId, members: final.membersTotal, classifyJobs, fallbacks: missing.length };
}
