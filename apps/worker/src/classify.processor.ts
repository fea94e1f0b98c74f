// A chunk of members for the LLM, sent in requests of the classifier's membersPerRequest. Members already written
// in this run are skipped (a retry pays for nothing twice); each request's results are written as soon as it is
// answered, so a job that waits out 429s for minutes holds nothing paid for in memory only.
//   429 / 529  → every worker's budget pauses for retry-after at once, and the request is sent again after it:
//                the job keeps its place, its slot and its finished members. After maxRateLimited such waits
//                for one request, its remaining members get the rules (fallback, reason rate_limited).
//   stalled    → a streamed answer that sent nothing for the stall timeout: sent again at once (a stuck call is
//                not an outage), up to MAX_STALL_RETRIES times per request; then as a timeout.
//   5xx, timeouts → thrown: BullMQ retries with backoff; on the last attempt the members get the rules.
//   other 4xx  → no retry: the members get the rules, with the reason recorded.
//   aborted    → shutdown: in-flight requests are aborted, answered members kept, the job back to waiting at once.
//   spend cap  → a 429 naming enforced_spend_limit_reached or contract_spend_limit_reached: it will not clear
//                tonight and it is the whole account's, so the shared budget is stopped (every worker's next
//                request, in any run, fails at once without a call) and the run is marked (stopRunLlm); this
//                job's and every later job's members get the rules with the reason spend_limit.
import {
  chunk,
  countRateLimitedResponse,
  getRun,
  type MemberResult,
  membersDoneInRun,
  runSignals,
  SPEND_LIMIT_REASON,
  type StagedSignals,
  stopRunLlm,
  writeMemberResults,
} from "@engagement/db";
import {
  DEFAULT_OVERLOAD_RETRY_MS,
  isLlmTransientError,
  LlmOverloadedError,
  LlmPermanentError,
  LlmRateLimitedError,
  LlmSpendLimitError,
  LlmStalledError,
} from "@engagement/engagement";
import { BudgetStoppedError, isLastAttempt } from "@engagement/queue";
import { UnrecoverableError, WaitingError } from "bullmq";
import pLimit from "p-limit";
import type { HandlerInput, WorkerDeps } from "./deps.ts";
import { rulesFallback, toMemberResult } from "./member-partition.ts";

/**
 * Immediate resends of one stalled request. Two: a third stall in a row is no longer one stuck call, and the
 * job's backoff (and, on its last attempt, the rules) takes over.
 */
const MAX_STALL_RETRIES = 2;

export interface ClassifyOutcome {
  outcome: "classified";
  members: number;
  skipped: number;
  llm: number;
  fallback: number;
}

export async function processClassify(
  deps: WorkerDeps,
  { job, payload, signal, token }: HandlerInput<"classify">,
): Promise<ClassifyOutcome> {
  const { runId, orgId, userIds } = payload;
  const run = await getRun(deps.db, runId);
  if (!run?.asOf) throw new UnrecoverableError(`run ${runId} has not started`);
  const log = deps.logger.child({ runId, orgId, jobId: job.id });

  const done = await membersDoneInRun(deps.db, runId, userIds);
  // The signals the prepare step computed for this run (computed here only for a member it did not stage).
  const rows = (await runSignals(deps.db, runId, orgId, run.asOf, userIds)).filter((r) => !done.has(r.userId));
  if (run.llmStoppedReason) {
    const fallback = await fallBack(deps, runId, orgId, run.asOf, rows, run.llmStoppedReason);
    return { outcome: "classified", members: userIds.length, skipped: done.size, llm: 0, fallback };
  }
  const results: MemberResult[] = [];
  /** Members whose requests met more 429/529s than the job may wait out. */
  const rateLimitedOut: StagedSignals[] = [];
  let stopError: unknown;
  let stopping: Promise<{ first: boolean }> | undefined;
  const limit = pLimit(deps.settings.classifyChunkConcurrency);
  const asOf = run.asOf;
  const keep = async (answered: MemberResult[]) => {
    if (answered.length === 0) return;
    await writeMemberResults(deps.db, runId, orgId, asOf, answered);
    results.push(...answered);
  };
  await Promise.all(
    chunk(rows, deps.classifier.membersPerRequest).map((group) =>
      limit(async () => {
        let pending = group;
        // Counted per request, so one storm met by every request of the job at once costs each of them one wait.
        let rateLimitWaits = 0;
        let stallRetries = 0;
        // After a failure other than a rate limit no new calls start: they would only be refused as well.
        while (pending.length > 0 && !stopError) {
          const decided = new Set<number>();
          const current = pending;
          const answered: MemberResult[] = [];
          try {
            await deps.classifier.classifyMany(
              current.map((r) => r.signals),
              {
                ...(signal ? { signal } : {}),
                onResult: (i, result) => {
                  decided.add(i);
                  const row = current[i] as StagedSignals;
                  answered.push(toMemberResult(row.userId, row.signals, result));
                },
              },
            );
            await keep(answered);
            return;
          } catch (err) {
            // What was decided before the failure is kept (and written now); only the rest is asked again.
            await keep(answered);
            pending = current.filter((_, i) => !decided.has(i));
            if (err instanceof LlmRateLimitedError || err instanceof LlmOverloadedError) {
              const waitMs = rateLimitWaitMs(err);
              // Every worker's next request waits: none may start inside the window the provider announced.
              await Promise.all([deps.budget.pause(waitMs), countRateLimitedResponse(deps.db, runId)]);
              rateLimitWaits += 1;
              if (rateLimitWaits > deps.settings.maxRateLimited) {
                rateLimitedOut.push(...pending);
                return;
              }
              log.warn({ waitMs, rateLimitWaits, pending: pending.length }, "provider rate limit: waiting, then sending again");
              continue;
            }
            if (err instanceof LlmStalledError && stallRetries < MAX_STALL_RETRIES && !signal?.aborted) {
              stallRetries += 1;
              log.warn({ stallRetries, pending: pending.length }, "provider call stalled: sending it again");
              continue;
            }
            // A spend cap outranks whatever else the chunk met: retrying or waiting cannot help after it.
            if (isSpendCap(err)) {
              if (!isSpendCap(stopError)) {
                stopError = err;
                // At once, not when the chunk ends: calls about to start elsewhere would only be refused too.
                stopping = stopLlm(deps, runId, err);
              }
            } else stopError ??= err;
            return;
          }
        }
      }),
    ),
  );
  const written = new Set(results.map((r) => r.userId));
  const outcome = (fallback: number): ClassifyOutcome => ({
    outcome: "classified",
    members: userIds.length,
    skipped: done.size,
    llm: results.filter((r) => r.source === "llm").length,
    fallback: fallback + results.filter((r) => r.source === "fallback").length,
  });
  const limited = await fallBack(deps, runId, orgId, run.asOf, rateLimitedOut, "rate_limited");
  for (const r of rateLimitedOut) written.add(r.userId);
  const remaining = rows.filter((r) => !written.has(r.userId));
  if (!stopError) return outcome(limited);

  const err = stopError;
  if (isLlmTransientError(err)) {
    if (!isLastAttempt(job)) throw err;
    return outcome(
      limited + (await fallBack(deps, runId, orgId, run.asOf, remaining, `llm_unavailable: ${(err as Error).message.slice(0, 120)}`)),
    );
  }
  if (isSpendCap(err)) {
    const { first } = await (stopping as Promise<{ first: boolean }>);
    if (first) {
      log.error(
        err instanceof LlmSpendLimitError ? { errorCode: err.errorCode, requestId: err.requestId } : { stoppedBy: "another run" },
        "LLM spend limit reached: this run makes no more LLM calls and its remaining members get the rules result; raise the limit or wait for the next billing period",
      );
    }
    return outcome(limited + (await fallBack(deps, runId, orgId, run.asOf, remaining, SPEND_LIMIT_REASON)));
  }
  if (err instanceof LlmPermanentError) {
    log.error({ err }, "LLM request rejected; members get the rules result");
    return outcome(limited + (await fallBack(deps, runId, orgId, run.asOf, remaining, `llm_rejected: ${err.message.slice(0, 120)}`)));
  }
  if (signal?.aborted) {
    // Shutdown (or a cancel): the requests in flight were aborted, what they had answered is written. The job goes
    // back to waiting at once, using no attempt, for another worker to finish its remaining members; without
    // this it would stay locked until the lock expired.
    log.warn({ remaining: remaining.length }, "classify job handed back: aborted in flight");
    await job.moveToWait(token);
    throw new WaitingError();
  }
  // Unexpected: a normal failure, retried by BullMQ.
  throw err;
}

async function fallBack(deps: WorkerDeps, runId: string, orgId: string, asOf: Date, rows: StagedSignals[], reason: string) {
  const results = rulesFallback(rows, reason);
  await writeMemberResults(deps.db, runId, orgId, asOf, results);
  return results.length;
}

/** The provider's spend cap, met by this call or, through the shared budget, by another worker's. */
function isSpendCap(err: unknown): err is LlmSpendLimitError | BudgetStoppedError {
  return err instanceof LlmSpendLimitError || err instanceof BudgetStoppedError;
}

/** Stops the whole account's requests (the cap is the account's) and marks the run. */
async function stopLlm(deps: WorkerDeps, runId: string, err: LlmSpendLimitError | BudgetStoppedError) {
  if (err instanceof LlmSpendLimitError) await deps.budget.stop(SPEND_LIMIT_REASON);
  return stopRunLlm(deps.db, runId, SPEND_LIMIT_REASON);
}

/** An overload without retry-after is usually short-lived; a 429 always carries a wait (see errors.ts). */
function rateLimitWaitMs(err: LlmRateLimitedError | LlmOverloadedError): number {
  return err.retryAfterMs ?? DEFAULT_OVERLOAD_RETRY_MS;
}
