// Provider Message Batches (batch mode). A run queues its requests here (one row per request: the members it asks
// about, in ref order, and the signals sent); a submitter puts every queued request of every waiting run into
// batches; a poller records the provider's counts and, once a batch ends, its results are written and its rows
// deleted. A restarted worker picks up from these rows; the run shows "waiting for provider batch" from them.
import type { Db } from "../client.ts";

export interface QueuedGroup {
  customId: string;
  userIds: string[];
  signals: object[];
}

export interface BatchGroup {
  customId: string;
  runId: string;
  orgId: string;
  /** ERASED_MEMBER (the nil UUID) where the member was erased while the request waited */
  userIds: string[];
  signals: unknown[];
}

export interface OpenBatch {
  id: string;
  providerBatchId: string;
  status: string;
}

export interface BatchCounts {
  status: string;
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** Queues a run's requests; a repeated call (a retried job) adds nothing twice (custom ids are unique). */
export async function queueBatchGroups(db: Db, runId: string, orgId: string, groups: QueuedGroup[]): Promise<number> {
  const { count } = await db.providerBatchGroup.createMany({
    data: groups.map((g) => ({ runId, orgId, customId: g.customId, userIds: g.userIds, signals: g.signals })),
    skipDuplicates: true,
  });
  return count;
}

/** A run's requests not yet collected, how many of them no batch holds yet, and when the oldest was queued. */
export async function runBatchState(db: Db, runId: string): Promise<{ requests: number; queued: number; oldest: Date | null }> {
  const [requests, queued, oldest] = await Promise.all([
    db.providerBatchGroup.count({ where: { runId } }),
    db.providerBatchGroup.count({ where: { runId, batchId: null } }),
    db.providerBatchGroup.findFirst({ where: { runId }, orderBy: { createdAt: "asc" }, select: { createdAt: true } }),
  ]);
  return { requests, queued, oldest: oldest?.createdAt ?? null };
}

/**
 * Gives up on requests (a run waited past its deadline, or the provider refused to take them): their members
 * then have no result, and the run's wait hands them to the real-time path.
 */
export async function dropBatchGroups(db: Db, where: { runId: string } | { customIds: string[] }): Promise<number> {
  const { count } = await db.providerBatchGroup.deleteMany({
    where: "runId" in where ? { runId: where.runId } : { customId: { in: where.customIds }, batchId: null },
  });
  return count;
}

/** Requests waiting for a batch, oldest first, across runs. */
export async function queuedBatchGroups(db: Db, limit: number): Promise<{ customId: string; signals: unknown[] }[]> {
  const rows = await db.providerBatchGroup.findMany({
    where: { batchId: null },
    orderBy: { createdAt: "asc" },
    take: limit,
    select: { customId: true, signals: true },
  });
  return rows.map((r) => ({ customId: r.customId, signals: r.signals as unknown[] }));
}

/** Records a submitted batch and the requests it holds, in one transaction. */
export async function recordProviderBatch(db: Db, providerBatchId: string, customIds: string[]): Promise<void> {
  await db.$transaction(async (tx) => {
    const batch = await tx.providerBatch.create({
      data: { providerBatchId, requests: customIds.length, processing: customIds.length },
      select: { id: true },
    });
    await tx.providerBatchGroup.updateMany({ where: { customId: { in: customIds } }, data: { batchId: batch.id } });
  });
}

/** Batches not yet collected. */
export async function openBatches(db: Db): Promise<OpenBatch[]> {
  return db.providerBatch.findMany({
    where: { collectedAt: null },
    orderBy: { createdAt: "asc" },
    select: { id: true, providerBatchId: true, status: true },
  });
}

export async function updateBatchProgress(db: Db, id: string, counts: BatchCounts): Promise<void> {
  await db.providerBatch.update({
    where: { id },
    data: { ...counts, ...(counts.status === "ended" ? { endedAt: new Date() } : {}) },
  });
}

/** custom id → the run, members and signals of that request, for a batch's results. */
export async function batchGroups(db: Db, batchId: string): Promise<Map<string, BatchGroup>> {
  const rows = await db.providerBatchGroup.findMany({
    where: { batchId },
    select: { customId: true, runId: true, orgId: true, userIds: true, signals: true },
  });
  return new Map(rows.map((r) => [r.customId, { ...r, signals: r.signals as unknown[] }]));
}

/** Every result of the batch is written or left for the real-time path: its requests are no longer needed. */
export async function markBatchCollected(db: Db, id: string): Promise<void> {
  await db.$transaction([
    db.providerBatchGroup.deleteMany({ where: { batchId: id } }),
    db.providerBatch.update({ where: { id }, data: { collectedAt: new Date() } }),
  ]);
}

/** Per run: its requests not yet collected, those no batch holds yet, and those in batches the provider ended. */
export async function batchProgressOfRuns(db: Db, runIds: string[]) {
  const rows = await db.$queryRaw<{ run_id: string; requests: number; queued: number; ended: number }[]>`
    SELECT g.run_id, count(*)::int AS requests, count(*) FILTER (WHERE g.batch_id IS NULL)::int AS queued,
           count(*) FILTER (WHERE b.status = 'ended')::int AS ended
    FROM provider_batch_groups g LEFT JOIN provider_batches b ON b.id = g.batch_id
    WHERE g.run_id = ANY(${runIds}::uuid[])
    GROUP BY g.run_id`;
  return new Map(rows.map((r) => [r.run_id, { requests: r.requests, queued: r.queued, ended: r.ended }]));
}
