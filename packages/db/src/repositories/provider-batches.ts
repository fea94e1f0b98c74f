// Provider Message Batches of a run (batch mode): what was submitted, which members each request is about, and
// the provider's counts at the last poll, so a restarted worker picks up where the last one stopped and the run
// can show "waiting for provider batch" with progress.
import type { Db } from "../client.ts";

export interface ProviderBatchRow {
  id: string;
  providerBatchId: string;
  status: string;
  requests: number;
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
  collectedAt: Date | null;
}

export interface BatchCounts {
  status: string;
  processing: number;
  succeeded: number;
  errored: number;
  canceled: number;
  expired: number;
}

/** Records a submitted batch and its groups (custom id → members in ref order) in one transaction. */
export async function recordProviderBatch(
  db: Db,
  runId: string,
  providerBatchId: string,
  groups: { customId: string; userIds: string[]; signals: object[] }[],
): Promise<void> {
  await db.$transaction(async (tx) => {
    const batch = await tx.providerBatch.create({
      data: { runId, providerBatchId, requests: groups.length, processing: groups.length },
      select: { id: true },
    });
    await tx.providerBatchGroup.createMany({
      data: groups.map((g) => ({ batchId: batch.id, customId: g.customId, userIds: g.userIds, signals: g.signals })),
    });
  });
}

export async function listRunBatches(db: Db, runId: string): Promise<ProviderBatchRow[]> {
  return db.providerBatch.findMany({
    where: { runId },
    orderBy: { createdAt: "asc" },
    select: {
      id: true,
      providerBatchId: true,
      status: true,
      requests: true,
      processing: true,
      succeeded: true,
      errored: true,
      canceled: true,
      expired: true,
      collectedAt: true,
    },
  });
}

export async function updateBatchProgress(db: Db, id: string, counts: BatchCounts): Promise<void> {
  await db.providerBatch.update({
    where: { id },
    data: { ...counts, ...(counts.status === "ended" ? { endedAt: new Date() } : {}) },
  });
}

/** custom id → the members of that request and the signals sent for them, in ref order. */
export async function batchGroups(db: Db, batchId: string): Promise<Map<string, { userIds: string[]; signals: unknown[] }>> {
  const rows = await db.providerBatchGroup.findMany({ where: { batchId }, select: { customId: true, userIds: true, signals: true } });
  return new Map(rows.map((r) => [r.customId, { userIds: r.userIds, signals: r.signals as unknown[] }]));
}

/** Every result is written or handed on: the groups are no longer needed. */
export async function markBatchCollected(db: Db, id: string): Promise<void> {
  await db.$transaction([
    db.providerBatchGroup.deleteMany({ where: { batchId: id } }),
    db.providerBatch.update({ where: { id }, data: { collectedAt: new Date() } }),
  ]);
}
