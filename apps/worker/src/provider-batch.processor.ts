// A run's judged members through the provider's Message Batches, as a step job (child of the org run):
//   submit  — the members the prepare step left for the LLM, K per request, as one or more batches (the adapter
//             keeps each within the documented request and byte limits); recorded with which members each
//             request (custom_id) is about, so a restarted worker picks up where this one stopped;
//   poll    — the batches' counts, recorded on the run ("waiting for provider batch"); while any is still
//             processing, the job moves itself to delayed and returns in batchPollMs (no process waits);
//   collect — results streamed and matched by custom_id, each item checked as in real time; what a batch did
//             not answer usably (errored, expired, canceled items, bad items) goes to classify jobs added to
//             the same run, which take the real-time path.
import {
  batchGroups,
  chunk,
  computeSignals,
  getRun,
  listActiveMemberIds,
  listRunBatches,
  type MemberResult,
  markBatchCollected,
  membersDoneInRun,
  type ProviderBatchRow,
  recordProviderBatch,
  SIGNALS_CHUNK_SIZE,
  updateBatchProgress,
  writeMemberResults,
} from "@engagement/db";
import { type BatchJudge, type EngagementSignals, evaluateRubric, isFactsDecided } from "@engagement/engagement";
import { catalog, type JobPayload, jobIds } from "@engagement/queue";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import type { HandlerInput, WorkerDeps } from "./deps.ts";
import { toMemberResult } from "./member-partition.ts";

export type ProviderBatchOutcome = { outcome: "collected"; batches: number; answered: number; toRealtime: number; classifyJobs: number };

/** Results are written in slices of this many, so a large batch never holds all its results at once. */
const WRITE_SLICE = 1000;

export async function processProviderBatch(
  deps: WorkerDeps,
  { job, payload, token }: HandlerInput<"providerBatch">,
): Promise<ProviderBatchOutcome> {
  const { runId, orgId } = payload;
  const run = await getRun(deps.db, runId);
  if (!run?.asOf) throw new UnrecoverableError(`run ${runId} has not started`);
  const judge = deps.classifier.batches;
  if (!judge) throw new UnrecoverableError(`the ${deps.classifier.name} classifier offers no Message Batches`);
  const ctx = { runId, orgId, asOf: run.asOf, judge, log: deps.logger.child({ runId, orgId, jobId: job.id }) };

  if ((payload.step ?? "submit") === "submit") {
    // A repeated submit (the job failed after recording) finds the batches already there and sends nothing twice.
    if ((await listRunBatches(deps.db, runId)).length === 0) await submit(deps, ctx);
    await job.updateData({ ...payload, step: "poll" } satisfies JobPayload<"providerBatch">);
  }

  const batches = (await listRunBatches(deps.db, runId)).filter((b) => !b.collectedAt);
  for (const b of batches) {
    if (b.status === "ended") continue;
    const progress = await judge.progress(b.providerBatchId);
    await updateBatchProgress(deps.db, b.id, progress);
    Object.assign(b, progress);
  }
  const waiting = batches.filter((b) => b.status !== "ended");
  await job.updateProgress({
    waitingForProviderBatch: waiting.length > 0,
    requests: sum(batches, "requests"),
    processing: sum(batches, "processing"),
    succeeded: sum(batches, "succeeded"),
  });
  if (waiting.length > 0) {
    // Back in batchPollMs, as a delayed job: the attempt is not used and no worker slot is held meanwhile.
    await job.moveToDelayed(Date.now() + deps.settings.batchPollMs, token);
    throw new DelayedError();
  }

  let answered = 0;
  for (const b of batches) answered += await collect(deps, ctx, b);
  const { members, classifyJobs } = await handOnToRealtime(deps, ctx, job);
  ctx.log.info({ batches: batches.length, answered, toRealtime: members, classifyJobs }, "provider batches collected");
  return { outcome: "collected", batches: batches.length, answered, toRealtime: members, classifyJobs };
}

interface BatchContext {
  runId: string;
  orgId: string;
  asOf: Date;
  judge: BatchJudge;
  log: WorkerDeps["logger"];
}

/** The run's members still without a result whom the LLM is to judge, in a stable order. */
async function pendingJudged(deps: WorkerDeps, ctx: BatchContext) {
  const done = await membersDoneInRun(deps.db, ctx.runId);
  const ids = (await listActiveMemberIds(deps.db, ctx.orgId)).filter((id) => !done.has(id)).sort();
  const rows = [];
  for (const slice of chunk(ids, SIGNALS_CHUNK_SIZE)) {
    for (const row of await computeSignals(deps.db, ctx.orgId, ctx.asOf, slice)) {
      // A member the facts decide (say, one who joined mid-run) is the finalize step's, with the rules.
      if (!isFactsDecided(evaluateRubric(row.signals))) rows.push(row);
    }
  }
  return rows;
}

async function submit(deps: WorkerDeps, ctx: BatchContext): Promise<void> {
  const rows = await pendingJudged(deps, ctx);
  if (rows.length === 0) return;
  // custom ids name the request only ("g0", "g1", ...): which members a request holds stays in PostgreSQL.
  const groups = chunk(rows, deps.classifier.membersPerRequest).map((members, i) => ({ customId: `g${i}`, members }));
  const byId = new Map(groups.map((g) => [g.customId, g.members]));
  const submitted = await ctx.judge.submit(groups.map((g) => ({ customId: g.customId, signals: g.members.map((m) => m.signals) })));
  for (const batch of submitted) {
    const recorded = batch.customIds.map((customId) => {
      const members = byId.get(customId) ?? [];
      return { customId, userIds: members.map((m) => m.userId), signals: members.map((m) => m.signals) };
    });
    await recordProviderBatch(deps.db, ctx.runId, batch.batchId, recorded);
  }
  ctx.log.info({ members: rows.length, requests: groups.length, batches: submitted.length }, "provider batches submitted");
}

/** Writes an ended batch's usable answers; returns how many members they covered. */
async function collect(deps: WorkerDeps, ctx: BatchContext, batch: ProviderBatchRow): Promise<number> {
  const groups = await batchGroups(deps.db, batch.id);
  let pending: MemberResult[] = [];
  let answered = 0;
  const failures = new Map<string, number>();
  const flush = async () => {
    await writeMemberResults(deps.db, ctx.runId, ctx.orgId, ctx.asOf, pending);
    pending = [];
  };
  const signalsOf = (customId: string) => groups.get(customId)?.signals as EngagementSignals[] | undefined;
  for await (const item of ctx.judge.results(batch.providerBatchId, signalsOf)) {
    const group = groups.get(item.customId);
    if (!group) continue;
    if (item.failure) failures.set(item.failure.split(":")[0] ?? item.failure, (failures.get(item.failure) ?? 0) + 1);
    item.results.forEach((result, i) => {
      const userId = group.userIds[i];
      if (!result || !userId) return;
      pending.push({ ...toMemberResult(userId, group.signals[i] as EngagementSignals, result), viaBatch: true });
      answered += 1;
    });
    if (pending.length >= WRITE_SLICE) await flush();
  }
  await flush();
  await markBatchCollected(deps.db, batch.id);
  if (failures.size > 0)
    ctx.log.warn({ batchId: batch.providerBatchId, failures: Object.fromEntries(failures) }, "batch requests not answered");
  return answered;
}

/** Members the batches left without a result go to classify jobs of the same run (the real-time path). */
async function handOnToRealtime(deps: WorkerDeps, ctx: BatchContext, job: Job): Promise<{ members: number; classifyJobs: number }> {
  const rows = await pendingJudged(deps, ctx);
  if (rows.length === 0 || !job.parent) return { members: rows.length, classifyJobs: 0 };
  const parent = { id: job.parent.id as string, queue: job.parent.queueKey };
  const chunks = chunk(
    rows.map((r) => r.userId),
    deps.settings.classifyChunkSize,
  );
  await deps.queues.classify.addBulk(
    chunks.map((userIds, i) => ({
      name: catalog.classify.jobName,
      data: { runId: ctx.runId, orgId: ctx.orgId, userIds } satisfies JobPayload<"classify">,
      opts: { ...catalog.classify.options, jobId: jobIds.classifyAfterBatch(ctx.runId, i), parent, ignoreDependencyOnFailure: true },
    })),
  );
  return { members: rows.length, classifyJobs: chunks.length };
}

function sum(rows: ProviderBatchRow[], key: "requests" | "processing" | "succeeded"): number {
  return rows.reduce((n, r) => n + r[key], 0);
}
