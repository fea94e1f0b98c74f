import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { buildMember, buildMemberEngagement, buildOrg, buildRun, buildSnapshot, daysAgo } from "../testing/factories.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import {
  decodeEngagementCursor,
  encodeEngagementCursor,
  getEngagementSummary,
  getMemberEngagement,
  getOwnEngagement,
  listEngagement,
  listLevelChanges,
} from "./engagement-read.ts";

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
    expect(own).toMatchObject({ level: "moderate", computedLevel: "at_risk" });
    expect(Object.keys(own ?? {}).sort()).toEqual(["computedAt", "computedLevel", "level", "memberExplanation", "signals"]);
  });
});
