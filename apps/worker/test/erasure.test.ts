// Erasure against the real pipeline: a person with everything a member accumulates (a run through the worker, an
// override on them, an override they made as admin on someone else) is erased, and then no table of the database
// and no key of the queues' Redis holds their name or email. And a member erased while their run is in flight
// does not fail the run.
import { createClassifier } from "@engagement/anthropic";
import { listOverrideHistory, setOverride } from "@engagement/db";
import { buildEvent, buildMember, buildOrg, buildRegistration, daysAgo, findTextInDatabase } from "@engagement/db/testing";
import { erasePersonAndCopies, purgeDerivedCopies } from "@engagement/use-cases";
import { afterAll, describe, expect, it } from "@jest/globals";
import type { Redis } from "ioredis";
import { createPipeline, type Pipeline, runOrg, seedOrgs, waitForRuns } from "./harness.ts";

const OPERATOR = "0d8a9e4e-0000-4000-8000-00000000000f";

/** Every value of every key under `prefix`, whatever the key's type, as one string per key. */
async function redisContents(redis: Redis, prefix: string): Promise<Map<string, string>> {
  const contents = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let value: unknown;
      if (type === "string") value = await redis.get(key);
      else if (type === "hash") value = await redis.hgetall(key);
      else if (type === "list") value = await redis.lrange(key, 0, -1);
      else if (type === "set") value = await redis.smembers(key);
      else if (type === "zset") value = await redis.zrange(key, "0", "-1", "WITHSCORES");
      else if (type === "stream") value = await redis.xrange(key, "-", "+");
      // Expired between SCAN and TYPE (BullMQ's short-lived check keys): nothing left to read.
      else if (type === "none") continue;
      else throw new Error(`key ${key} has a type this scan does not read: ${type}`);
      contents.set(`${key} (${type})`, JSON.stringify(value));
    }
  } while (cursor !== "0");
  return contents;
}

function keysContaining(contents: Map<string, string>, needles: string[]): string[] {
  return [...contents].filter(([, v]) => needles.some((n) => v.toLowerCase().includes(n.toLowerCase()))).map(([k]) => k);
}

describe("erasure of a person after real runs", () => {
  const pipelines: Pipeline[] = [];
  afterAll(async () => {
    for (const p of pipelines) await p.close();
  });

  it("leaves no table and no Redis key holding the person's name or email, and keeps the admin's actions as an opaque reference", async () => {
    const p = await createPipeline("erase");
    pipelines.push(p);
    p.deps.classifier = createClassifier({ kind: "rules" });
    p.startWorkers();
    const org = await buildOrg(p.t.db);
    const person = (await buildMember(p.t.db, org.id, { role: "admin", name: "Quentin Marsh-Obi", joinedAt: daysAgo(400) })).user;
    await p.t.db.user.update({ where: { id: person.id }, data: { email: "quentin.marsh-obi@example.org" } });
    await p.t.db.membership.update({
      where: { userId_orgId: { userId: person.id, orgId: org.id } },
      data: { externalId: "M-1001", displayName: "Q. Marsh-Obi" },
    });
    const coAdmin = (await buildMember(p.t.db, org.id, { role: "admin", joinedAt: daysAgo(400) })).user;
    const other = (await buildMember(p.t.db, org.id, { joinedAt: daysAgo(400) })).user;
    for (let week = 1; week <= 12; week++) {
      const event = await buildEvent(p.t.db, { orgId: org.id, startsAt: daysAgo(week * 7) });
      for (const userId of [person.id, other.id]) await buildRegistration(p.t.db, { eventId: event.id, userId, status: "attended" });
    }
    await buildRegistration(p.t.db, {
      eventId: (await buildEvent(p.t.db, { orgId: org.id, startsAt: daysAgo(-7) })).id,
      userId: person.id,
      status: "registered",
    });
    const first = await runOrg(p, org.id);
    await waitForRuns(p, [first.runId]);
    await setOverride(p.t.db, org.id, other.id, { level: "moderate", note: "Moving house this spring", actorId: person.id });
    await setOverride(p.t.db, org.id, person.id, { level: "highly_engaged", note: "Leads the Tuesday group", actorId: coAdmin.id });
    const second = await runOrg(p, org.id, true);
    const [run] = await waitForRuns(p, [second.runId]);
    expect(run?.status).toBe("completed");

    const needles = [
      "Quentin Marsh-Obi",
      "QUENTIN MARSH-OBI",
      "quentin.marsh-obi@example.org",
      "QUENTIN.MARSH-OBI@EXAMPLE.ORG",
      "Marsh-Obi",
    ];
    const snapshots = await p.t.db.engagementSnapshot.count({ where: { userId: person.id } });
    expect(snapshots).toBe(2);
    expect(
      await p.t.db.memberEngagement.findUniqueOrThrow({ where: { userId_orgId: { userId: person.id, orgId: org.id } } }),
    ).toMatchObject({
      source: "rules",
      adminExplanation: expect.any(String),
      overrideLevel: "highly_engaged",
    });
    expect((await findTextInDatabase(p.t.db, needles)).length).toBeGreaterThan(0);
    const before = await redisContents(p.connection, p.prefix);
    expect(before.size).toBeGreaterThan(0);

    const result = await erasePersonAndCopies({ db: p.t.db, queues: p.queues }, { userId: person.id, orgId: null, actorId: OPERATOR });
    expect(result.counts).toMatchObject({ users: 1, memberships: 1, registrations: 13, engagements: 1, snapshots: 2, overrideHistory: 1 });

    expect(await findTextInDatabase(p.t.db, [...needles, person.id, "M-1001"])).toEqual([]);
    const after = await redisContents(p.connection, p.prefix);
    expect([...after.keys()].some((k) => k.includes(`run-${second.runId}`))).toBe(true);
    expect(keysContaining(after, [...needles, person.id])).toEqual([]);
    // Their override on someone else stays in the audit, attributed to the erasure.
    const history = await listOverrideHistory(p.t.db, org.id, other.id);
    expect(history.map((h) => [h.actorId, h.actorErasureId, h.note])).toEqual([[null, result.erasureId, "Moving house this spring"]]);
    // The runs' aggregate counts stay.
    expect((await p.t.db.engagementRun.findUniqueOrThrow({ where: { id: second.runId } })).membersTotal).toBe(3);
  }, 60_000);

  it("a member erased while their run is in flight does not fail it: the classify job skips them and the run completes", async () => {
    const p = await createPipeline("erase_mid", { fake: { latencyMs: [150, 250] } });
    pipelines.push(p);
    const [seeded] = await seedOrgs(p, 1, 40);
    const orgId = seeded!.org.id;
    p.startWorkers({ classifyConcurrency: 1 });
    const { runId } = await runOrg(p, orgId);
    let waiting: string[] = [];
    for (let i = 0; i < 200 && waiting.length === 0; i++) {
      const jobs = await p.queues.classify.getJobs(["waiting", "prioritized", "delayed"]);
      waiting = jobs.flatMap((j) => (j?.data.runId === runId ? j.data.userIds : []));
      if (waiting.length === 0) await new Promise((r) => setTimeout(r, 25));
    }
    expect(waiting.length).toBeGreaterThan(0);
    const victim = waiting[0] as string;
    const victimUser = await p.t.db.user.findUniqueOrThrow({ where: { id: victim } });
    await erasePersonAndCopies({ db: p.t.db, queues: p.queues }, { userId: victim, orgId: null, actorId: OPERATOR });

    const [run] = await waitForRuns(p, [runId]);
    expect(run?.status).toBe("completed");
    expect(await p.queues.classify.getJobCounts("failed")).toEqual({ failed: 0 });
    expect(await p.t.db.engagementSnapshot.count({ where: { runId } })).toBe(39);
    expect(await p.t.db.engagementSnapshot.count({ where: { userId: victim } })).toBe(0);
    const after = await redisContents(p.connection, p.prefix);
    expect(keysContaining(after, [victimUser.name, victimUser.email])).toEqual([]);
    // The purge leaves waiting jobs alone; the one that skipped them finished after the erasure with their id in
    // its payload, and purging finished jobs again leaves no key naming the id.
    expect(keysContaining(after, [victim]).length).toBeGreaterThan(0);
    expect(await purgeDerivedCopies(p.queues, victim)).toBe(1);
    expect(keysContaining(await redisContents(p.connection, p.prefix), [victim])).toEqual([]);
  }, 60_000);
});
