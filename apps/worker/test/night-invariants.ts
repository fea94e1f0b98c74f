// What must hold after a night, whatever faults it met (issue 12's fault scenarios): every run of the night
// completed, once per organisation; every active member has one current row and one snapshot in the run; the
// run's counts and token totals equal its rows; overrides in force and audit rows (override and API key) are
// untouched (only expired overrides end, each with one "expired" row); nothing staged is left behind; and no job
// of the queue prefix is left unfinished. Both the process faults (faults/) and the infrastructure faults
// (infra-faults/) end their nights with these checks.
//
// seedNight adds what the invariants need to bite on (overrides, audit rows, an API key, members who left) to the demo
// organisations; captureNightBaseline takes the "before"; nightViolations lists every broken invariant, so a
// failing scenario says all that went wrong at once.
import { createApiKey, type Db } from "@engagement/db";
import { buildMemberEngagement, buildOverrideHistory, daysAgo } from "@engagement/db/testing";
import { keysUnder } from "@engagement/queue/testing";
import { expect } from "@jest/globals";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { type Pipeline, seedOrgs } from "./harness.ts";

const DAY_MS = 86_400_000;
/**
 * Job states that are not final: a finished night leaves none of them in any queue of its prefix. (A paused
 * queue's jobs are "waiting" in BullMQ 6; the queue being paused is checked apart.)
 */
const NON_FINAL = ["waiting", "active", "delayed", "prioritized", "waiting-children"] as const;

export interface SeededNight {
  orgIds: string[];
  /** Active members per organisation, as seeded. */
  members: number;
}

/**
 * `orgs` demo organisations of `members` each; in each, three members with an earlier result carry an override
 * (one without expiry, one expiring in a month, one that expired yesterday, each with its "set" audit row), an
 * API key (with its "created" audit row, which no run may touch), and one member has left (with an earlier result
 * that must stay as it is, and no snapshot in the night's runs).
 */
export async function seedNight(p: Pipeline, orgs: number, members: number): Promise<SeededNight> {
  const seeded = await seedOrgs(p, orgs, members);
  for (const org of seeded) {
    const orgId = org.org.id;
    const [admin, forever, monthly, expired, leaver] = org.memberships;
    if (!admin || !forever || !monthly || !expired || !leaver) throw new Error("seedNight needs at least 5 members per org");
    const overrides = [
      { m: forever, level: "highly_engaged", expiresAt: undefined },
      { m: monthly, level: "at_risk", expiresAt: new Date(Date.now() + 30 * DAY_MS) },
      { m: expired, level: "inactive", expiresAt: daysAgo(1) },
    ] as const;
    for (const { m, level, expiresAt } of overrides) {
      // An earlier result three days old: recomputed tonight (outside the 24-hour skip), override kept beside it.
      await buildMemberEngagement(p.t.db, {
        orgId,
        userId: m.userId,
        computedAt: daysAgo(3),
        inputsFingerprint: null,
        override: { level, note: `override of ${level}`, by: admin.userId, at: daysAgo(5), ...(expiresAt ? { expiresAt } : {}) },
      });
      await buildOverrideHistory(p.t.db, {
        orgId,
        userId: m.userId,
        action: "set",
        newLevel: level,
        actorId: admin.userId,
        createdAt: daysAgo(5),
      });
    }
    await createApiKey(p.t.db, { orgId, name: "CRM sync", scopes: ["read"], actorId: admin.userId });
    await buildMemberEngagement(p.t.db, { orgId, userId: leaver.userId, computedAt: daysAgo(3), inputsFingerprint: null });
    await p.t.db.membership.update({ where: { id: leaver.id }, data: { status: "left", leftAt: daysAgo(2) } });
  }
  return { orgIds: seeded.map((o) => o.org.id), members: members - 1 };
}

const overrideColumns = {
  id: true,
  userId: true,
  orgId: true,
  overrideLevel: true,
  overrideNote: true,
  overriddenBy: true,
  overriddenAt: true,
  overrideExpiresAt: true,
} as const;

export interface NightBaseline {
  at: Date;
  overrides: Awaited<ReturnType<typeof readOverrides>>;
  audit: Awaited<ReturnType<typeof readAudit>>;
  keyAudit: Awaited<ReturnType<typeof readKeyAudit>>;
  /** Members who are not active, with their current row as it was. */
  inactiveRows: Awaited<ReturnType<typeof readInactiveRows>>;
  runIds: Set<string>;
}

const readOverrides = (db: Db) =>
  db.memberEngagement.findMany({ where: { overrideLevel: { not: null } }, select: overrideColumns, orderBy: { id: "asc" } });
const readAudit = (db: Db) => db.engagementOverrideHistory.findMany({ orderBy: { id: "asc" } });
const readKeyAudit = (db: Db) => db.apiKeyAudit.findMany({ orderBy: { id: "asc" } });
async function readInactiveRows(db: Db) {
  const gone = await db.membership.findMany({ where: { status: { not: "active" } }, select: { userId: true, orgId: true } });
  return db.memberEngagement.findMany({ where: { OR: gone.map((g) => ({ userId: g.userId, orgId: g.orgId })) }, orderBy: { id: "asc" } });
}

export async function captureNightBaseline(db: Db): Promise<NightBaseline> {
  const runs = await db.engagementRun.findMany({ select: { id: true } });
  return {
    at: new Date(),
    overrides: await readOverrides(db),
    audit: await readAudit(db),
    keyAudit: await readKeyAudit(db),
    inactiveRows: await readInactiveRows(db),
    runIds: new Set(runs.map((r) => r.id)),
  };
}

export interface NightContext {
  db: Db;
  connection: Redis;
  prefix: string;
}

/** Every broken invariant of the night of `orgIds` since `baseline`, as readable lines; [] when all hold. */
export async function nightViolations(ctx: NightContext, baseline: NightBaseline, orgIds: string[]): Promise<string[]> {
  const { db } = ctx;
  const out: string[] = [];
  const runs = (await db.engagementRun.findMany({ where: { orgId: { in: orgIds } }, orderBy: { orgId: "asc" } })).filter(
    (r) => !baseline.runIds.has(r.id),
  );
  for (const orgId of orgIds) {
    const ofOrg = runs.filter((r) => r.orgId === orgId);
    if (ofOrg.length !== 1)
      out.push(`org ${orgId}: ${ofOrg.length} runs in the night (${ofOrg.map((r) => r.runKey).join(", ")}), expected 1`);
  }
  for (const run of runs) out.push(...(await runViolations(db, run)));
  out.push(...(await overrideViolations(db, baseline, runs)));
  out.push(...(await queueViolations(ctx)));
  return out;
}

type Run = Awaited<ReturnType<Db["engagementRun"]["findMany"]>>[number];

async function runViolations(db: Db, run: Run): Promise<string[]> {
  const out: string[] = [];
  const at = `run ${run.id} (org ${run.orgId})`;
  if (run.status !== "completed") out.push(`${at}: status ${run.status}, expected completed (${JSON.stringify(run.errorDetails)})`);
  const active = new Set(
    (await db.membership.findMany({ where: { orgId: run.orgId, status: "active" }, select: { userId: true } })).map((m) => m.userId),
  );
  const snapshots = await db.engagementSnapshot.findMany({ where: { runId: run.id } });
  const perUser = new Map<string, number>();
  for (const s of snapshots) perUser.set(s.userId, (perUser.get(s.userId) ?? 0) + 1);
  const missing = [...active].filter((u) => !perUser.has(u));
  const doubled = [...perUser].filter(([, n]) => n > 1).map(([u]) => u);
  const strangers = [...perUser.keys()].filter((u) => !active.has(u));
  if (missing.length) out.push(`${at}: ${missing.length} active members without a snapshot`);
  if (doubled.length) out.push(`${at}: ${doubled.length} members with more than one snapshot`);
  if (strangers.length) out.push(`${at}: ${strangers.length} snapshots of members who are not active`);

  const current = await db.memberEngagement.findMany({ where: { orgId: run.orgId, userId: { in: [...active] } } });
  const currentOf = new Map<string, (typeof current)[number][]>();
  for (const c of current) currentOf.set(c.userId, [...(currentOf.get(c.userId) ?? []), c]);
  let wrongCurrent = 0;
  for (const userId of active) {
    const rows = currentOf.get(userId) ?? [];
    const snap = snapshots.find((s) => s.userId === userId);
    if (rows.length !== 1) {
      out.push(`${at}: member ${userId} has ${rows.length} current rows, expected 1`);
      continue;
    }
    const row = rows[0]!;
    // A carried member keeps the row an earlier run wrote; every other member's row is this run's result.
    if (snap && (row.level !== snap.level || (snap.source !== "carried" && (row.runId !== run.id || row.source !== snap.source)))) {
      wrongCurrent += 1;
    }
  }
  if (wrongCurrent) out.push(`${at}: ${wrongCurrent} current rows that are not the run's result`);

  const count = (pick: (s: (typeof snapshots)[number]) => string) => {
    const c: Record<string, number> = {};
    for (const s of snapshots) c[pick(s)] = (c[pick(s)] ?? 0) + 1;
    return c;
  };
  const levels = count((s) => s.level);
  const expected = {
    membersTotal: active.size,
    countHighlyEngaged: levels.highly_engaged ?? 0,
    countModerate: levels.moderate ?? 0,
    countAtRisk: levels.at_risk ?? 0,
    countNew: levels.new ?? 0,
    countInactive: levels.inactive ?? 0,
    llmCalls: snapshots.reduce((n, s) => n + s.llmCalls, 0),
    inputTokens: snapshots.reduce((n, s) => n + s.inputTokens, 0),
    outputTokens: snapshots.reduce((n, s) => n + s.outputTokens, 0),
    errors: snapshots.filter((s) => s.fallbackReason !== null).length,
  };
  for (const [key, value] of Object.entries(expected)) {
    const stored = run[key as keyof typeof expected];
    if (stored !== value) out.push(`${at}: ${key} is ${stored}, the rows say ${value}`);
  }
  if (snapshots.length !== run.membersTotal) out.push(`${at}: ${snapshots.length} snapshots for membersTotal ${run.membersTotal}`);
  const bySource = count((s) => s.source);
  if (JSON.stringify(sortKeys(run.countsBySource)) !== JSON.stringify(sortKeys(bySource))) {
    out.push(`${at}: countsBySource ${JSON.stringify(run.countsBySource)}, the rows say ${JSON.stringify(bySource)}`);
  }
  // Staged for the run's classify jobs and batches, dropped when it ends: a finished run keeps none.
  const staged = await db.runMemberSignals.count({ where: { runId: run.id } });
  const groups = await db.providerBatchGroup.count({ where: { runId: run.id } });
  if (staged) out.push(`${at}: ${staged} staged signals rows left behind`);
  if (groups) out.push(`${at}: ${groups} provider batch requests left behind`);
  return out;
}

async function overrideViolations(db: Db, baseline: NightBaseline, runs: Run[]): Promise<string[]> {
  const out: string[] = [];
  const now = await readOverrides(db);
  const nowById = new Map(now.map((o) => [o.id, o]));
  const expiredIds = new Set<string>();
  for (const before of baseline.overrides) {
    const expiring = before.overrideExpiresAt !== null && before.overrideExpiresAt <= baseline.at;
    const after = nowById.get(before.id);
    if (expiring) {
      expiredIds.add(before.userId);
      if (after) out.push(`override of ${before.userId}: expired before the night, still set`);
    } else if (JSON.stringify(after) !== JSON.stringify(before)) {
      out.push(`override of ${before.userId} changed: ${JSON.stringify(before)} -> ${JSON.stringify(after ?? null)}`);
    }
  }
  const baselineIds = new Set(baseline.overrides.map((o) => o.id));
  for (const o of now) if (!baselineIds.has(o.id)) out.push(`override of ${o.userId} appeared during the night`);

  const audit = await readAudit(db);
  const auditById = new Map(audit.map((a) => [a.id, a]));
  for (const before of baseline.audit) {
    if (JSON.stringify(auditById.get(before.id)) !== JSON.stringify(before)) out.push(`audit row ${before.id} changed or disappeared`);
  }
  const baselineAudit = new Set(baseline.audit.map((a) => a.id));
  const added = audit.filter((a) => !baselineAudit.has(a.id));
  const expiredRows = added.filter((a) => a.action === "expired" && a.actorId === null);
  if (added.length !== expiredRows.length)
    out.push(`${added.length - expiredRows.length} audit rows other than "expired" written during the night`);
  const expiredUsers = expiredRows.map((a) => a.userId).sort();
  if (JSON.stringify(expiredUsers) !== JSON.stringify([...expiredIds].sort())) {
    out.push(`"expired" audit rows for ${JSON.stringify(expiredUsers)}, expected one each for ${JSON.stringify([...expiredIds].sort())}`);
  }
  // A run has no business with API keys: their audit stays exactly as it was, with no row added.
  const keyAudit = await readKeyAudit(db);
  const keyAuditById = new Map(keyAudit.map((a) => [a.id, a]));
  for (const before of baseline.keyAudit) {
    if (JSON.stringify(keyAuditById.get(before.id)) !== JSON.stringify(before))
      out.push(`API key audit row ${before.id} changed or disappeared`);
  }
  const baselineKeyAudit = new Set(baseline.keyAudit.map((a) => a.id));
  const addedKeyAudit = keyAudit.filter((a) => !baselineKeyAudit.has(a.id)).length;
  if (addedKeyAudit) out.push(`${addedKeyAudit} API key audit rows written during the night`);

  const counted = runs.reduce((n, r) => n + r.expiredOverrides, 0);
  if (counted !== expiredIds.size) out.push(`runs count ${counted} expired overrides, ${expiredIds.size} expired`);

  const inactive = await readInactiveRows(db);
  if (JSON.stringify(inactive) !== JSON.stringify(baseline.inactiveRows)) out.push("the current row of a member who left was changed");
  return out;
}

/**
 * Every queue under the prefix (found in Redis, not only the catalog's) without a job in a non-final state. A job
 * scheduler's next tick (the nightly schedule) is by design always pending and is not counted.
 */
async function queueViolations({ connection, prefix }: NightContext): Promise<string[]> {
  const out: string[] = [];
  for (const name of await queueNamesUnder(connection, prefix)) {
    const queue = new Queue(name, { connection, prefix });
    try {
      const counts = await queue.getJobCounts(...NON_FINAL);
      const delayed = counts.delayed ? await queue.getDelayed() : [];
      counts.delayed = delayed.filter((j) => !j.repeatJobKey).length;
      const left = Object.entries(counts).filter(([, n]) => n > 0);
      if (left.length) {
        // A few of them, with what they last met, so a failure says which jobs and why.
        const jobs = (await queue.getJobs([...NON_FINAL], 0, 2)).filter((j) => !j.repeatJobKey);
        const detail = jobs.map((j) => `${j.id} (attempts ${j.attemptsMade}, ${j.failedReason ?? "no failure"})`).join("; ");
        out.push(`queue ${name}: ${left.map(([state, n]) => `${n} ${state}`).join(", ")}: ${detail}`);
      }
      if (await queue.isPaused()) out.push(`queue ${name}: paused`);
    } finally {
      await queue.close();
    }
  }
  return out;
}

async function queueNamesUnder(connection: Redis, prefix: string): Promise<string[]> {
  const names = new Set<string>();
  for await (const key of keysUnder(connection, `${prefix}:`)) {
    const name = key.slice(prefix.length + 1).split(":")[0];
    if (name) names.add(name);
  }
  return [...names].sort();
}

function sortKeys(value: unknown): Record<string, unknown> {
  const obj = (value ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(obj)
      .sort()
      .map((k) => [k, obj[k]]),
  );
}

/**
 * Asserts the night's invariants (all listed on failure) and returns its runs, one per organisation. The last run
 * may complete while a job whose run finished earlier (say, one a killed worker held) waits for its lock to expire
 * and finishes it: the night has ended only once its jobs have, so the check is repeated for up to `settleMs`.
 */
export async function expectNightInvariants(ctx: NightContext, baseline: NightBaseline, orgIds: string[], settleMs = 10_000) {
  const deadline = Date.now() + settleMs;
  let violations = await nightViolations(ctx, baseline, orgIds);
  while (violations.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    violations = await nightViolations(ctx, baseline, orgIds);
  }
  expect(violations).toEqual([]);
  const runs = await ctx.db.engagementRun.findMany({ where: { orgId: { in: orgIds } } });
  return runs.filter((r) => !baseline.runIds.has(r.id));
}

/** The night's context from a pipeline of the harness. */
export const nightOf = (p: Pipeline): NightContext => ({ db: p.t.db, connection: p.connection, prefix: p.prefix });
