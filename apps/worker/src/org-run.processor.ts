// One organisation's run, as a step job (BullMQ's process-step-jobs pattern):
//   prepare  — start the run, expire overrides, compute signals in chunks, write carried and facts-decided
//              members, add classify chunks as children;
//   finalize — once every child has finished (or failed), give any member still without a result the rules
//              result (source fallback), then count the run from its snapshots.
// Every write is idempotent (snapshots are unique per member and run), so a retry or a crashed worker's
// replacement simply repeats the step.
import {
  chunk,
  computeSignals,
  expireOverrides,
  failRun,
  finalizeRun,
  getRun,
  listActiveMemberIds,
  membersDoneInRun,
  SIGNALS_CHUNK_SIZE,
  startRun,
  writeCarried,
  writeMemberResults,
} from "@engagement/db";
import { catalog, jobIds, parsePayload } from "@engagement/queue";
import { type Job, UnrecoverableError, WaitingChildrenError } from "bullmq";
import type { WorkerDeps } from "./deps.ts";
import { partitionMembers, rulesFallback } from "./member-partition.ts";

type Step = "prepare" | "finalize";
interface OrgRunState {
  runId: string;
  step?: Step;
  classifyJobs?: number;
}

export type OrgRunOutcome =
  | { outcome: "completed"; runId: string; members: number; classifyJobs: number; fallbacks: number }
  | { outcome: "already_finished"; runId: string; status: string };

export async function processOrgRun(deps: WorkerDeps, job: Job, token?: string): Promise<OrgRunOutcome> {
  const { runId } = parsePayload("orgRun", job.data);
  const state = job.data as OrgRunState;
  const run = await getRun(deps.db, runId);
  if (!run) throw new UnrecoverableError(`run ${runId} does not exist`);
  if (run.status === "completed" || run.status === "failed") {
    return { outcome: "already_finished", runId, status: run.status };
  }
  const log = deps.logger.child({ runId, orgId: run.orgId, jobId: job.id });

  try {
    if ((state.step ?? "prepare") === "prepare") {
      const prepared = await prepare(deps, job, run.orgId, runId, run.asOf ?? new Date(), run.force, log);
      await job.updateData({ ...state, step: "finalize", ...prepared } satisfies OrgRunState);
      if (prepared.classifyJobs > 0 && token && (await job.moveToWaitingChildren(token))) {
        throw new WaitingChildrenError();
      }
    }
    return await finalize(deps, job, run.orgId, runId, log);
  } catch (err) {
    if (err instanceof WaitingChildrenError) throw err;
    // The last attempt failing closes the run as failed rather than leaving it "running" forever.
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await failRun(deps.db, runId, String(err));
    throw err;
  }
}

async function prepare(
  deps: WorkerDeps,
  job: Job,
  orgId: string,
  runId: string,
  asOfIfNew: Date,
  force: boolean,
  log: WorkerDeps["logger"],
) {
  const memberIds = await listActiveMemberIds(deps.db, orgId);
  const run = await startRun(deps.db, runId, asOfIfNew, memberIds.length);
  const asOf = run.asOf ?? asOfIfNew;
  // Counted on the run in the same statement: a repeated prepare finds nothing left to expire and adds 0.
  const expiredOverrides = await expireOverrides(deps.db, orgId, asOf, runId);
  const llm = deps.classifier.name !== "rules";
  const toClassify: string[] = [];
  let decided = 0;
  let carried = 0;
  for (const ids of chunk(memberIds, SIGNALS_CHUNK_SIZE)) {
    const rows = await computeSignals(deps.db, orgId, asOf, ids);
    const part = partitionMembers(rows, { asOf, force, skipRecentHours: deps.settings.skipRecentHours, llm });
    carried += await writeCarried(deps.db, runId, orgId, part.carried);
    decided += await writeMemberResults(deps.db, runId, orgId, asOf, part.decided);
    toClassify.push(...part.toClassify);
    await job.updateProgress({ prepared: toClassify.length + part.decided.length + part.carried.length, total: memberIds.length });
  }
  // Children get deterministic ids from the ordered member list, so a repeated prepare adds no duplicates.
  const chunks = chunk(toClassify, deps.settings.classifyChunkSize);
  const parent = { id: job.id as string, queue: job.queueQualifiedName };
  await deps.queues.classify.addBulk(
    chunks.map((userIds, i) => ({
      name: catalog.classify.jobName,
      data: { runId, orgId, userIds },
      opts: { ...catalog.classify.options, jobId: jobIds.classify(runId, i), parent, ignoreDependencyOnFailure: true },
    })),
  );
  log.info(
    { members: memberIds.length, carried, decided, toClassify: toClassify.length, classifyJobs: chunks.length, expiredOverrides },
    "run prepared",
  );
  return { classifyJobs: chunks.length };
}

async function finalize(deps: WorkerDeps, job: Job, orgId: string, runId: string, log: WorkerDeps["logger"]): Promise<OrgRunOutcome> {
  const state = job.data as OrgRunState;
  const run = await getRun(deps.db, runId);
  const asOf = run?.asOf ?? new Date();
  const failures = Object.values(await job.getIgnoredChildrenFailures());
  const memberIds = await listActiveMemberIds(deps.db, orgId);
  const done = await membersDoneInRun(deps.db, runId);
  const missing = memberIds.filter((id) => !done.has(id));
  // A classify chunk that failed for good (or a member who joined mid-run) still gets a level: the rules'.
  const reason = failures.length ? `classify_job_failed: ${String(failures[0]).slice(0, 200)}` : "not_classified";
  for (const ids of chunk(missing, SIGNALS_CHUNK_SIZE)) {
    const rows = await computeSignals(deps.db, orgId, asOf, ids);
    await writeMemberResults(deps.db, runId, orgId, asOf, rulesFallback(rows, reason));
  }
  const final = await finalizeRun(deps.db, runId);
  log.info(
    { members: final.membersTotal, fallbacks: missing.length, failedChunks: failures.length, llmCalls: final.llmCalls },
    "run finalized",
  );
  return { outcome: "completed", runId, members: memberIds.length, classifyJobs: state.classifyJobs ?? 0, fallbacks: missing.length };
}
