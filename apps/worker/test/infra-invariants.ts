// What must hold after a night that survived an infrastructure fault (Redis restarted, database connections cut,
// provider trouble, a Redis Cluster): every run finished; every active member has exactly one current row and
// one snapshot for the run; the run's counts equal its rows; the overrides and audit rows set before the night
// are untouched; no job is left waiting, active or delayed. Kept beside night-invariants.ts (the process faults)
// with the same checks, so the two can be merged.
import type { Db } from "@engagement/db";
import { buildMemberEngagement, buildOverrideHistory, daysAgo } from "@engagement/db/testing";
import type { Queues } from "@engagement/queue";
import { expect } from "@jest/globals";

/** Job states from which BullMQ would still run something. */
const NON_FINAL = ["active", "waiting", "delayed", "waiting-children", "prioritized"] as const;

/**
 * Gives the first `perOrg` active members of each organisation an override (set 30 days ago, so the run does
 * not skip them as recent) and an audit row, for `protectedRows` to compare before and after the night.
 */
export async function seedOverrides(db: Db, orgIds: string[], perOrg = 3): Promise<void> {
  for (const orgId of orgIds) {
    const members = await db.membership.findMany({ where: { orgId, status: "active" }, orderBy: { userId: "asc" }, take: perOrg });
    for (const { userId } of members) {
      await buildMemberEngagement(db, {
        orgId,
        userId,
        computedAt: daysAgo(30),
        override: { level: "at_risk", note: "asked us to check in", at: daysAgo(30) },
      });
      await buildOverrideHistory(db, {
        orgId,
        userId,
        action: "set",
        newLevel: "at_risk",
        note: "asked us to check in",
        createdAt: daysAgo(30),
      });
    }
  }
}

/** The rows no run may change: override fields of current rows, the override audit and the key audit. */
export async function protectedRows(db: Db) {
  const [overrides, history, keyAudit] = await Promise.all([
    db.memberEngagement.findMany({
      where: { overrideLevel: { not: null } },
      select: {
        userId: true,
        orgId: true,
        overrideLevel: true,
        overrideNote: true,
        overriddenBy: true,
        overriddenAt: true,
        overrideExpiresAt: true,
      },
      orderBy: [{ orgId: "asc" }, { userId: "asc" }],
    }),
    db.engagementOverrideHistory.findMany({ orderBy: { id: "asc" } }),
    db.apiKeyAudit.findMany({ orderBy: { id: "asc" } }),
  ]);
  return { overrides, history, keyAudit };
}

export type ProtectedRows = Awaited<ReturnType<typeof protectedRows>>;

/** Jobs of the queues still in a state from which they would run; the scheduler's own repeat job excepted. */
export async function unfinishedJobs(queues: Queues): Promise<string[]> {
  const left: string[] = [];
  for (const [kind, queue] of Object.entries(queues)) {
    for (const job of await queue.getJobs([...NON_FINAL], 0, 1000)) {
      // The nightly job scheduler always keeps its next tick delayed: that one is meant to be there.
      if (kind === "scheduler" && job.repeatJobKey) continue;
      left.push(`${kind}:${job.id}:${await job.getState()}`);
    }
  }
  return left;
}

/** Asserts the invariants of a finished night for `runIds`; `before` is `protectedRows` taken before the night. */
export async function expectNightInvariants(db: Db, queues: Queues, runIds: string[], before: ProtectedRows): Promise<void> {
  const runs = await db.engagementRun.findMany({ where: { id: { in: runIds } } });
  expect(runs.map((r) => [r.id, r.status]).sort()).toEqual(runIds.map((id) => [id, "completed"]).sort());

  for (const run of runs) {
    const active = (await db.membership.findMany({ where: { orgId: run.orgId, status: "active" }, select: { userId: true } }))
      .map((m) => m.userId)
      .sort();
    // One current row per member (the unique key says at most one; this says at least one, and from this run).
    const current = await db.memberEngagement.findMany({ where: { orgId: run.orgId }, select: { userId: true, runId: true } });
    expect(
      current
        .filter((c) => active.includes(c.userId))
        .map((c) => `${c.userId}:${c.runId}`)
        .sort(),
    ).toEqual(active.map((u) => `${u}:${run.id}`));
    const snapshots = await db.engagementSnapshot.findMany({ where: { runId: run.id }, select: { userId: true } });
    expect(snapshots.map((s) => s.userId).sort()).toEqual(active);

    // The run's counters are what its rows say.
    const byLevel = await db.engagementSnapshot.groupBy({ by: ["level"], where: { runId: run.id }, _count: { _all: true } });
    const count = (level: string) => byLevel.find((b) => b.level === level)?._count._all ?? 0;
    expect({
      total: run.membersTotal,
      levels: [run.countHighlyEngaged, run.countModerate, run.countAtRisk, run.countNew, run.countInactive],
    }).toEqual({ total: active.length, levels: ["highly_engaged", "moderate", "at_risk", "new", "inactive"].map(count) });
    const bySource = await db.engagementSnapshot.groupBy({ by: ["source"], where: { runId: run.id }, _count: { _all: true } });
    expect(run.countsBySource).toEqual(Object.fromEntries(bySource.map((b) => [b.source, b._count._all])));
    const sums = await db.engagementSnapshot.aggregate({
      where: { runId: run.id },
      _sum: { llmCalls: true, inputTokens: true, outputTokens: true },
    });
    expect([run.llmCalls, run.inputTokens, run.outputTokens]).toEqual([
      sums._sum.llmCalls ?? 0,
      sums._sum.inputTokens ?? 0,
      sums._sum.outputTokens ?? 0,
    ]);
  }

  expect(await protectedRows(db)).toEqual(before);
  expect(await unfinishedJobs(queues)).toEqual([]);
  // Signals staged for classify jobs are removed when a run ends; one left behind would be a run not cleaned up.
  expect(await db.runMemberSignals.count({ where: { runId: { in: runIds } } })).toBe(0);
}
