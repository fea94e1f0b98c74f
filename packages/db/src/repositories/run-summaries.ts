// What a finished (or running) run says about itself, read once here for every reader: the API's run detail and
// the CLI's summary table and JSON.
import type { Db } from "../client.ts";
import { type EngagementLevel, RunStatus, type RunTrigger } from "../generated/prisma/enums.ts";

/** Every status a run can have, in the order a run goes through them (the database enum's values). */
export const RUN_STATUSES = Object.values(RunStatus) as RunStatus[];
/** A run in one of these is still to finish; in the others it is done for good. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ["queued", "running"];

export function isRunFinished(status: RunStatus): boolean {
  return !ACTIVE_RUN_STATUSES.includes(status);
}

export interface RunSummary {
  runId: string;
  orgId: string;
  orgName: string;
  status: RunStatus;
  trigger: RunTrigger;
  force: boolean;
  membersTotal: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  countsByLevel: Record<EngagementLevel, number>;
  countsBySource: Record<string, number>;
  /** Carried members per reason (CarriedReason): "recent" or "inputs_unchanged". */
  countsByCarriedReason: Record<string, number>;
  llmCalls: number;
  tokens: { input: number; output: number; cacheRead: number; cacheWrite: number };
  errors: number;
  errorDetails: Record<string, unknown>;
  expiredOverrides: number;
  rateLimitedResponses: number;
  /** Set when the run stopped calling the LLM before its end (e.g. the provider's spend limit). */
  llmStopped: { reason: string; at: Date } | null;
}

/** The runs' summaries, ordered by organisation name; unknown ids are left out. */
export async function getRunSummaries(db: Db, runIds: string[]): Promise<RunSummary[]> {
  const runs = await db.engagementRun.findMany({
    where: { id: { in: runIds } },
    include: { org: { select: { name: true } } },
    orderBy: { org: { name: "asc" } },
  });
  return runs.map((r) => ({
    runId: r.id,
    orgId: r.orgId,
    orgName: r.org.name,
    status: r.status,
    trigger: r.trigger,
    force: r.force,
    membersTotal: r.membersTotal,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    countsByLevel: {
      highly_engaged: r.countHighlyEngaged,
      moderate: r.countModerate,
      at_risk: r.countAtRisk,
      new: r.countNew,
      inactive: r.countInactive,
    },
    countsBySource: (r.countsBySource ?? {}) as Record<string, number>,
    countsByCarriedReason: (r.countsByCarriedReason ?? {}) as Record<string, number>,
    llmCalls: r.llmCalls,
    tokens: { input: r.inputTokens, output: r.outputTokens, cacheRead: r.cacheReadTokens, cacheWrite: r.cacheWriteTokens },
    errors: r.errors,
    errorDetails: (r.errorDetails ?? {}) as Record<string, unknown>,
    expiredOverrides: r.expiredOverrides,
    rateLimitedResponses: r.rateLimitedResponses,
    llmStopped: r.llmStoppedReason ? { reason: r.llmStoppedReason, at: r.llmStoppedAt ?? r.finishedAt ?? r.createdAt } : null,
  }));
}

/** Names of organisations by id (all of them when `orgIds` is omitted), for labels. */
export async function getOrganizationNames(db: Db, orgIds?: string[]): Promise<Map<string, string>> {
  const orgs = await db.organization.findMany({ where: orgIds ? { id: { in: orgIds } } : {}, select: { id: true, name: true } });
  return new Map(orgs.map((o) => [o.id, o.name]));
}

/** The runs of a run key (e.g. one night's scheduled runs, "scheduled:YYYY-MM-DD"), across organisations. */
export async function findRunIdsByKey(db: Db, runKey: string): Promise<string[]> {
  const runs = await db.engagementRun.findMany({ where: { runKey }, select: { id: true } });
  return runs.map((r) => r.id);
}
