import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  buildMember,
  buildMemberEngagement,
  buildMembership,
  buildOrg,
  buildRun,
  buildSignals,
  buildSnapshot,
  buildUser,
  daysAgo,
} from "../testing/factories.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import {
  decodeEngagementCursor,
  encodeEngagementCursor,
  findOrgMembership,
  getEngagementSummary,
  getMemberEngagement,
  getOwnEngagement,
  listEngagement,
  listLevelChanges,
} from "./engagement-read.ts";
import { writeMemberResults } from "./engagement-writes.ts";

const resultFor = (userId: string) => ({
  userId,
  level: "moderate" as const,
  source: "rules" as const,
  adminExplanation: "admin text",
  memberExplanation: "member text",
  keyFactors: [],
  signals: buildSignals(),
  model: null,
  fallbackReason: null,
  inputsFingerprint: null,
  usage: { llmCalls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
});

describe("engagement read repository", () => {
  let t: TestDatabase;
  let orgId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDatabase("engread");
    orgId = (await buildOrg(t.db)).id;
    const add = async (
      name: string,
      fields: Omit<Parameters<typeof buildMemberEngagement>[1], "orgId" | "userId">,
      status: "active" | "left" = "active",
    ) => {
      const { user } = await buildMember(t.db, orgId, { name, status });
      await buildMemberEngagement(t.db, { orgId, userId: user.id, ...fields });
      ids[name] = user.id;
    };
    await add("Alice", { level: "highly_engaged", source: "llm" });
    await add("Bob", { level: "at_risk", source: "rules", override: { level: "moderate", note: "Back from travel" } });
    await add("Carol", { level: "at_risk", source: "llm" });
    await add("Dan", { level: "moderate", source: "fallback", override: { level: "highly_engaged", expiresAt: daysAgo(1) } });
    await add("Eve", { level: "new", source: "rules" });
    await add("Frank", { level: "inactive", source: "rules" }, "left");
    // Another organisation's member must never appear.
    const other = (await buildOrg(t.db)).id;
    const { user } = await buildMember(t.db, other, { name: "Mallory" });
    await buildMemberEngagement(t.db, { orgId: other, userId: user.id, level: "at_risk" });
  });
  afterAll(async () => t.drop());

  const names = (rows: { name: string }[]) => rows.map((r) => r.name);

  it("lists active members of the organisation by name with effective and computed level", async () => {
    const { items, nextCursor } = await listEngagement(t.db, orgId, { limit: 50 });
    expect(names(items)).toEqual(["Alice", "Bob", "Carol", "Dan", "Eve"]);
    expect(nextCursor).toBeNull();
    expect(items.find((r) => r.name === "Bob")).toMatchObject({
      level: "moderate",
      computedLevel: "at_risk",
      override: { level: "moderate", note: "Back from travel", expiresAt: null },
    });
    // An expired override no longer counts, even before expireOverrides has cleared it.
    expect(items.find((r) => r.name === "Dan")).toMatchObject({ level: "moderate", override: null });
  });

  it("filters on the effective level, the source and whether an override is active", async () => {
    expect(names((await listEngagement(t.db, orgId, { limit: 50, level: "at_risk" })).items)).toEqual(["Carol"]);
    expect(names((await listEngagement(t.db, orgId, { limit: 50, level: "moderate" })).items)).toEqual(["Bob", "Dan"]);
    expect(names((await listEngagement(t.db, orgId, { limit: 50, source: "llm" })).items)).toEqual(["Alice", "Carol"]);
    expect(names((await listEngagement(t.db, orgId, { limit: 50, overridden: true })).items)).toEqual(["Bob"]);
    expect(names((await listEngagement(t.db, orgId, { limit: 50, overridden: false })).items)).toEqual(["Alice", "Carol", "Dan", "Eve"]);
  });

  it("pages through overridden members only (the query picked by the override index): by name, once each", async () => {
    const org = (await buildOrg(t.db)).id;
    const override = { level: "moderate" as const, note: "checked" };
    for (const name of ["Vera", "Uma", "Yann", "Xavi", "Wim"]) {
      const { user } = await buildMember(t.db, org, { name });
      await buildMemberEngagement(t.db, { orgId: org, userId: user.id, level: "at_risk", override });
    }
    for (const [name, fields, status] of [
      ["Zed", { level: "at_risk", override: { ...override, expiresAt: daysAgo(1) } }, "active"],
      ["Quinn", { level: "at_risk", override }, "left"],
      ["Rita", { level: "at_risk" }, "active"],
    ] as const) {
      const { user } = await buildMember(t.db, org, { name, status });
      await buildMemberEngagement(t.db, { orgId: org, userId: user.id, ...fields });
    }
    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await listEngagement(t.db, org, { limit: 2, overridden: true, ...(cursor ? { cursor } : {}) });
      pages.push(names(page.items));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    // Not the expired override, not the member who left, not one without an override, not another org's (Bob).
    expect(pages).toEqual([["Uma", "Vera"], ["Wim", "Xavi"], ["Yann"]]);
  });

  it("pages with a cursor through every row exactly once", async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const result = await listEngagement(t.db, orgId, { limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...names(result.items));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(seen).toEqual(["Alice", "Bob", "Carol", "Dan", "Eve"]);
  });

  it("lists by the organisation's name for a member, else the user's, following renames, one page after another", async () => {
    const org = await buildOrg(t.db);
    const run = await buildRun(t.db, { orgId: org.id });
    // Repeated names: the user id breaks the tie, so a page boundary inside a run of equal names loses no one.
    const names = ["Mia", "Ben", "Ada", "Ben", "Ben", "Cy", "Ada", "Zoe", "Ben", "Eli"];
    const users = await Promise.all(names.map((name) => buildUser(t.db, { name })));
    for (const u of users) await buildMembership(t.db, { orgId: org.id, userId: u.id });
    await writeMemberResults(
      t.db,
      run.id,
      org.id,
      new Date(),
      users.map((u) => resultFor(u.id)),
    );
    const [mia, , , , , cy] = users as [(typeof users)[number], ...typeof users];
    // An import's display name wins over the user's name; renaming the user then changes nothing for that member.
    await t.db.membership.update({ where: { userId_orgId: { userId: mia.id, orgId: org.id } }, data: { displayName: "Abe" } });
    await t.db.user.update({ where: { id: mia.id }, data: { name: "Yan" } });
    // A user's rename moves a member without a display name.
    await t.db.user.update({ where: { id: (cy as (typeof users)[number]).id }, data: { name: "Dee" } });

    const expected = users
      .map((u, i) => ({ id: u.id, name: u.id === mia.id ? "Abe" : u.id === cy?.id ? "Dee" : (names[i] as string) }))
      .sort((x, y) => (x.name === y.name ? (x.id < y.id ? -1 : 1) : x.name < y.name ? -1 : 1));
    const seen: { id: string; name: string }[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const p = await listEngagement(t.db, org.id, { limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...p.items.map((r) => ({ id: r.userId, name: r.name })));
      if (!p.nextCursor) break;
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(expected);
  });

  it("round-trips cursors and rejects text it did not issue", async () => {
    const c = { name: "O'Brien, Zoë", userId: "0b7c6f1e-1d1c-4c61-9c2e-3b0f6f3f7a10" };
    expect(decodeEngagementCursor(encodeEngagementCursor(c))).toEqual(c);
    expect(decodeEngagementCursor("not-a-cursor")).toBeNull();
    expect(decodeEngagementCursor(Buffer.from(JSON.stringify(["x", "not-a-uuid"])).toString("base64url"))).toBeNull();
    await expect(listEngagement(t.db, orgId, { limit: 5, cursor: "garbage" })).rejects.toThrow(/cursor/);
  });

  it("summarises counts per effective level and the latest run", async () => {
    await buildRun(t.db, { orgId, status: "completed", createdAt: daysAgo(2) });
    const latest = await buildRun(t.db, { orgId, status: "running", createdAt: daysAgo(1) });
    const summary = await getEngagementSummary(t.db, orgId);
    expect(summary.counts).toEqual({ highly_engaged: 1, moderate: 2, at_risk: 1, new: 1, inactive: 0 });
    expect(summary.total).toBe(5);
    expect(summary.overridden).toBe(1);
    expect(summary.lastRun).toMatchObject({ runId: latest.id, status: "running" });
  });

  it("gives the level history as the changes only, newest first", async () => {
    const userId = ids.Carol as string;
    const levels = ["moderate", "moderate", "at_risk", "at_risk", "moderate"] as const;
    for (const [i, level] of levels.entries()) {
      const run = await buildRun(t.db, { orgId });
      await buildSnapshot(t.db, { orgId, userId, runId: run.id, level, createdAt: daysAgo(10 - i) });
    }
    const changes = await listLevelChanges(t.db, orgId, userId);
    expect(changes.map((c) => c.level)).toEqual(["moderate", "at_risk", "moderate"]);
    expect(changes[0]?.date.getTime()).toBeGreaterThan(changes[1]?.date.getTime() ?? Infinity);
  });

  it("returns the member detail with explanations and signals, and null for a member never classified", async () => {
    const detail = await getMemberEngagement(t.db, orgId, ids.Bob as string);
    expect(detail).toMatchObject({
      name: "Bob",
      level: "moderate",
      computedLevel: "at_risk",
      signals: expect.objectContaining({ attended90: 6 }),
    });
    expect(typeof detail?.memberExplanation).toBe("string");
    const { user } = await buildMember(t.db, orgId);
    expect(await getMemberEngagement(t.db, orgId, user.id)).toBeNull();
  });

  it("the member's own view carries no admin text", async () => {
    const own = await getOwnEngagement(t.db, orgId, ids.Bob as string);
    expect(own?.membershipStatus).toBe("active");
    expect(own?.engagement).toMatchObject({ level: "moderate", computedLevel: "at_risk" });
    expect(Object.keys(own?.engagement ?? {}).sort()).toEqual(["computedAt", "computedLevel", "level", "memberExplanation", "signals"]);
  });

  it("the member's own view says whether the organisation exists, the membership's status and whether a run covered them", async () => {
    expect(await getOwnEngagement(t.db, "00000000-0000-4000-8000-000000000000", ids.Bob as string)).toBeNull();
    expect(await getOwnEngagement(t.db, orgId, ids.Frank as string)).toMatchObject({ membershipStatus: "left" });
    const { user } = await buildMember(t.db, orgId);
    expect(await getOwnEngagement(t.db, orgId, user.id)).toEqual({ membershipStatus: "active", engagement: null });
    expect(await getOwnEngagement(t.db, orgId, "00000000-0000-4000-8000-000000000001")).toEqual({
      membershipStatus: null,
      engagement: null,
    });
  });

  it("finds the organisation and the user's membership of it in one query", async () => {
    expect(await findOrgMembership(t.db, orgId, ids.Alice as string)).toEqual({ membership: { role: "member", status: "active" } });
    expect(await findOrgMembership(t.db, orgId, ids.Frank as string)).toEqual({ membership: { role: "member", status: "left" } });
    expect(await findOrgMembership(t.db, orgId, "00000000-0000-4000-8000-000000000001")).toEqual({ membership: null });
    expect(await findOrgMembership(t.db, "00000000-0000-4000-8000-000000000000", ids.Alice as string)).toBeNull();
  });
});
