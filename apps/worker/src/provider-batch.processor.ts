// Judged members through the provider's Message Batches (batch mode), in three jobs:
//   providerBatch (one per run, child of the org run; a step job):
//     queue — the members the prepare step left for the LLM, K per request, stored as queued requests with the
//             signals sent (custom ids name the request, never a member);
//     wait  — as a delayed job (no process waits in a loop) until the run's requests are collected, making
//             sure a submit and a poll job exist meanwhile; then the members a batch left unanswered (errored,
//             expired, canceled requests, bad items) go to classify jobs of the same run (the real-time path).
//   batchSubmit (one at a time) — every queued request of every waiting run into batches (the adapter keeps
//             each within the documented request and byte limits), so a night of a hundred organisations makes
//             a few Batches API calls, not a few hundred.
//   batchPoll (one at a time) — the open batches' counts; an ended batch's results streamed, matched by
//             custom_id, each item checked as in real time and written to its run; then the requests deleted.
import {
  type BatchGroup,
  batchGroups,
  chunk,
  dropBatchGroups,
  getRun,
  type MemberResult,
  markBatchCollected,
  membersMissingFromRun,
  type OpenBatch,
  openBatches,
  queueBatchGroups,
  queuedBatchGroups,
  recordProviderBatch,
  runBatchState,
  runSignals,
  SIGNALS_CHUNK_SIZE,
  updateBatchProgress,
  writeMemberResults,
} from "@engagement/db";
import {
  type BatchJudge,
  type EngagementSignals,
  evaluateRubric,
  isFactsDecided,
  LlmPermanentError,
  type SubmittedBatch,
} from "@engagement/engagement";
import { catalog, type JobPayload, jobIds, type Queues } from "@engagement/queue";
import { DelayedError, type Job, UnrecoverableError } from "bullmq";
import { addClassifyChildren } from "./classify-children.ts";
import type { HandlerInput, WorkerDeps } from "./deps.ts";
import { toMemberResult } from "./member-partition.ts";

/** Runs prepared within this long of each other (or one poll interval, if shorter) share a batch. */
const SUBMIT_GATHER_MS = 5_000;
/** Queued requests one submit reads at a time (the documented most a batch may hold). */
const SUBMIT_SLICE = 100_000;
/** Results are written in slices of this many, so a large batch never holds all its results at once. */
const WRITE_SLICE = 1000;
/**
 * The longest a run waits for its batches. The provider ends every batch within 24 hours (what it did not process
 * comes back expired); past this, something is stuck (a batch deleted elsewhere, results that cannot be read), and
 * the run's members go through the real-time path rather than the run waiting for ever.
 */
const BATCH_WAIT_DEADLINE_MS = 26 * 3_600_000;

export type ProviderBatchOutcome = { outcome: "collected"; toRealtime: number; classifyJobs: number };

export async function processProviderBatch(
  deps: WorkerDeps,
  { job, payload, token }: HandlerInput<"providerBatch">,
): Promise<ProviderBatchOutcome> {
  const { runId, orgId } = payload;
  const run = await getRun(deps.db, runId);
  if (!run?.asOf) throw new UnrecoverableError(`run ${runId} has not started`);
  const log = deps.logger.child({ runId, orgId, jobId: job.id });

  if ((payload.step ?? "queue") === "queue") {
    const rows = await pendingJudged(deps, orgId, runId, run.asOf);
    // The run id (not personal) keeps custom ids unique across the runs sharing a batch.
    const prefix = runId.replaceAll("-", "");
    const groups = chunk(rows, deps.classifier.membersPerRequest).map((members, i) => ({
      customId: `${prefix}-${i}`,
      userIds: members.map((m) => m.userId),
      signals: members.map((m) => m.signals),
    }));
    const queued = await queueBatchGroups(deps.db, runId, orgId, groups);
    log.info({ members: rows.length, requests: groups.length, queued }, "run queued for provider batches");
    await job.updateData({ ...payload, step: "wait" } satisfies JobPayload<"providerBatch">);
  }

  let state = await runBatchState(deps.db, runId);
  if (state.oldest && Date.now() - state.oldest.getTime() > BATCH_WAIT_DEADLINE_MS) {
    const dropped = await dropBatchGroups(deps.db, { runId });
    log.error({ dropped, since: state.oldest }, "provider batches did not answer within 26 h: the run's remaining members go real-time");
    state = await runBatchState(deps.db, runId);
  }
  await job.updateProgress({ waitingForProviderBatch: state.requests > 0, requests: state.requests, queued: state.queued });
  if (state.requests > 0) {
    // Made sure on every wait, not only once: a submit or poll job that ended just before this run's requests
    // arrived (or failed for good) would otherwise leave them waiting for ever.
    if (state.queued > 0) await ensureSingleton(deps.queues, "batchSubmit", Math.min(SUBMIT_GATHER_MS, deps.settings.batchPollMs));
    if (state.requests > state.queued) await ensureSingleton(deps.queues, "batchPoll", deps.settings.batchPollMs);
    await job.moveToDelayed(Date.now() + deps.settings.batchPollMs, token);
    throw new DelayedError();
  }
  const handed = await handOnToRealtime(deps, job, orgId, runId, run.asOf);
  log.info({ toRealtime: handed.members, classifyJobs: handed.classifyJobs }, "provider batches collected for the run");
  return { outcome: "collected", toRealtime: handed.members, classifyJobs: handed.classifyJobs };
}

export async function processBatchSubmit(
  deps: WorkerDeps,
  { job }: HandlerInput<"batchSubmit">,
): Promise<{ requests: number; batches: number }> {
  const judge = batchJudge(deps);
  let requests = 0;
  let batches = 0;
  for (;;) {
    const queued = await queuedBatchGroups(deps.db, SUBMIT_SLICE);
    if (queued.length === 0) break;
    // Each batch is recorded as soon as it is created, before the next create: a later create failing leaves no
    // batch unrecorded. A crash between a create and its record is the one window in which requests could be
    // sent twice (batches have no idempotency key).
    let submitted: SubmittedBatch[];
    try {
      submitted = await judge.submit(
        queued.map((g) => ({ customId: g.customId, signals: g.signals as EngagementSignals[] })),
        (batch) => recordProviderBatch(deps.db, batch.batchId, batch.customIds),
      );
    } catch (err) {
      if (!(err instanceof LlmPermanentError)) throw err;
      // Refused for good (a 4xx other than a rate limit): waiting would not help. The requests no batch took are
      // dropped, and their runs' waits hand the members to the real-time path.
      const dropped = await dropBatchGroups(deps.db, { customIds: queued.map((g) => g.customId) });
      deps.logger.error({ err, dropped }, "the provider refused a batch: its requests go real-time");
      break;
    }
    requests += queued.length;
    batches += submitted.length;
  }
  if (batches > 0) await ensureSingleton(deps.queues, "batchPoll", deps.settings.batchPollMs);
  deps.logger.info({ jobId: job.id, requests, batches }, "provider batches submitted");
  return { requests, batches };
}

export async function processBatchPoll(
  deps: WorkerDeps,
  { job, token }: HandlerInput<"batchPoll">,
): Promise<{ collected: number; answered: number }> {
  const judge = batchJudge(deps);
  let collected = 0;
  let answered = 0;
  let open = 0;
  for (const batch of await openBatches(deps.db)) {
    if (batch.status !== "ended") {
      const progress = await judge.progress(batch.providerBatchId);
      await updateBatchProgress(deps.db, batch.id, progress);
      batch.status = progress.status;
    }
    if (batch.status !== "ended") {
      open += 1;
      continue;
    }
    answered += await collect(deps, judge, batch);
    collected += 1;
  }
  if (open > 0) {
    await job.moveToDelayed(Date.now() + deps.settings.batchPollMs, token);
    throw new DelayedError();
  }
  return { collected, answered };
}

function batchJudge(deps: WorkerDeps): BatchJudge {
  const judge = deps.classifier.batches;
  if (!judge) throw new UnrecoverableError(`the ${deps.classifier.name} classifier offers no Message Batches`);
  return judge;
}

/** Adds the one job of that kind unless it exists already (a fixed job id: BullMQ adds nothing then). */
async function ensureSingleton(queues: Queues, kind: "batchSubmit" | "batchPoll", delayMs: number): Promise<void> {
  await queues[kind].add(catalog[kind].jobName, {}, { ...catalog[kind].options, jobId: jobIds[kind], delay: delayMs });
}

/** The run's members still without a result whom the LLM is to judge, in a stable order. */
async function pendingJudged(deps: WorkerDeps, orgId: string, runId: string, asOf: Date) {
  const ids = await membersMissingFromRun(deps.db, runId, orgId);
  const rows = [];
  for (const slice of chunk(ids, SIGNALS_CHUNK_SIZE)) {
    for (const row of await runSignals(deps.db, runId, orgId, asOf, slice)) {
      // A member the facts decide (say, one who joined mid-run) is the finalize step's, with the rules.
      if (!isFactsDecided(evaluateRubric(row.signals, deps.classifier.thresholds))) rows.push(row);
    }
  }
  return rows;
}

/** Writes an ended batch's usable answers to their runs, then drops its requests; returns the members answered. */
async function collect(deps: WorkerDeps, judge: BatchJudge, batch: OpenBatch): Promise<number> {
  const groups = await batchGroups(deps.db, batch.id);
  const asOfs = new Map<string, Date | null>();
  const pending = new Map<string, { group: BatchGroup; results: MemberResult[] }>();
  let answered = 0;
  const failures: Record<string, number> = {};
  const flush = async () => {
    for (const [runId, { group, results }] of pending) {
      if (!asOfs.has(runId)) asOfs.set(runId, (await getRun(deps.db, runId))?.asOf ?? null);
      const asOf = asOfs.get(runId);
      if (asOf) await writeMemberResults(deps.db, runId, group.orgId, asOf, results);
    }
    pending.clear();
  };
  let buffered = 0;
  const signalsOf = (customId: string) => groups.get(customId)?.signals as EngagementSignals[] | undefined;
  for await (const item of judge.results(batch.providerBatchId, signalsOf)) {
    const group = groups.get(item.customId);
    if (!group) continue;
    if (item.failure) {
      const kind = item.failure.split(":")[0] ?? item.failure;
      failures[kind] = (failures[kind] ?? 0) + 1;
    }
    const entry = pending.get(group.runId) ?? { group, results: [] };
    item.results.forEach((result, i) => {
      const userId = group.userIds[i];
      if (!result || !userId) return;
      entry.results.push({ ...toMemberResult(userId, group.signals[i] as EngagementSignals, result), viaBatch: true });
      answered += 1;
      buffered += 1;
    });
    pending.set(group.runId, entry);
    if (buffered >= WRITE_SLICE) {
      await flush();
      buffered = 0;
    }
  }
  await flush();
  await markBatchCollected(deps.db, batch.id);
  deps.logger.info({ batchId: batch.providerBatchId, requests: groups.size, answered, failures }, "provider batch collected");
  return answered;
}

/** Members the batches left without a result go to classify jobs of the same run (the real-time path). */
async function handOnToRealtime(deps: WorkerDeps, job: Job, orgId: string, runId: string, asOf: Date) {
  const rows = await pendingJudged(deps, orgId, runId, asOf);
  if (rows.length === 0 || !job.parent) return { members: rows.length, classifyJobs: 0 };
  const parent = { id: job.parent.id as string, queue: job.parent.queueKey };
  const userIds = rows.map((r) => r.userId);
  const classifyJobs = await addClassifyChildren(deps, { runId, orgId }, userIds, parent, (i) => jobIds.classifyAfterBatch(runId, i));
  return { members: rows.length, classifyJobs };
}
