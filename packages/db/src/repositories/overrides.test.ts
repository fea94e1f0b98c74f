import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { buildMember, buildMemberEngagement, buildOrg, daysAgo } from "../testing/factories.ts";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { getMemberEngagement } from "./engagement-read.ts";
import { clearOverride, expireOverrides, listOverrideHistory, setOverride } from "./overrides.ts";

describe("overrides repository", () => {
  let t: TestDatabase;
  let orgId: string;
  let adminId: string;

  beforeAll(async () => {
    t = await createTestDatabase("overrides");
    orgId = (await buildOrg(t.db)).id;
    adminId = (await buildMember(t.db, orgId, { role: "admin", name: "Ada Admin" })).user.id;
  });
  afterAll(async () => t.drop());

  async function classifiedMember(
    level: "highly_engaged" | "moderate" | "at_risk" = "at_risk",
    override?: Parameters<typeof buildMemberEngagement>[1]["override"],
  ) {
    const { user } = await buildMember(t.db, orgId);
    await buildMemberEngagement(t.db, { orgId, userId: user.id, level, ...(override ? { override } : {}) });
    return user.id;
  }

  it("setOverride makes the override the effective level at once and audits previous and new level with the actor", async () => {
    const userId = await classifiedMember("at_risk");
    const result = await setOverride(t.db, orgId, userId, { level: "moderate", note: "Was on parental leave", actorId: adminId });
    expect(result).toMatchObject({ status: "set", previousLevel: "at_risk", level: "moderate", computedLevel: "at_risk" });

    const detail = await getMemberEngagement(t.db, orgId, userId);
    expect(detail).toMatchObject({
      level: "moderate",
      computedLevel: "at_risk",
      override: { level: "moderate", note: "Was on parental leave", setBy: adminId },
    });
    const history = await listOverrideHistory(t.db, orgId, userId);
    expect(history).toEqual([
      expect.objectContaining({
        action: "set",
        previousLevel: "at_risk",
        newLevel: "moderate",
        actorId: adminId,
        actorName: "Ada Admin",
        note: "Was on parental leave",
      }),
    ]);
  });

  it("replacing an override records the old override as the previous level", async () => {
    const userId = await classifiedMember("at_risk", { level: "moderate" });
    const result = await setOverride(t.db, orgId, userId, { level: "highly_engaged", note: "Volunteers weekly", actorId: adminId });
    expect(result).toMatchObject({ status: "set", previousLevel: "moderate", level: "highly_engaged" });
  });

  it("refuses to override a member who was never classified and writes no audit row", async () => {
    const { user } = await buildMember(t.db, orgId);
    const result = await setOverride(t.db, orgId, user.id, { level: "moderate", note: "n", actorId: adminId });
    expect(result).toEqual({ status: "not_classified" });
    expect(await listOverrideHistory(t.db, orgId, user.id)).toEqual([]);
  });

  it("two concurrent overrides of one member are both audited and leave the state of the last one applied", async () => {
    const userId = await classifiedMember("at_risk");
    const [a, b] = await Promise.all([
      setOverride(t.db, orgId, userId, { level: "moderate", note: "first", actorId: adminId }),
      setOverride(t.db, orgId, userId, { level: "highly_engaged", note: "second", actorId: adminId }),
    ]);
    expect(a.status).toBe("set");
    expect(b.status).toBe("set");
    const history = await listOverrideHistory(t.db, orgId, userId);
    expect(history).toHaveLength(2);
    const [newest, oldest] = history;
    // Serialised by the row lock: the later change saw the earlier one's level as its previous level.
    expect(oldest?.previousLevel).toBe("at_risk");
    expect(newest?.previousLevel).toBe(oldest?.newLevel);
    const detail = await getMemberEngagement(t.db, orgId, userId);
    expect(detail?.override?.level).toBe(newest?.newLevel);
    expect(detail?.override?.note).toBe(newest?.note);
  });

  it("clearOverride restores the computed level and audits it; with no active override it changes nothing", async () => {
    const userId = await classifiedMember("at_risk", { level: "moderate" });
    expect(await clearOverride(t.db, orgId, userId, { actorId: adminId, note: "back to normal" })).toMatchObject({
      status: "cleared",
      previousLevel: "moderate",
      level: "at_risk",
    });
    expect(await getMemberEngagement(t.db, orgId, userId)).toMatchObject({ level: "at_risk", override: null });
    expect(await clearOverride(t.db, orgId, userId, { actorId: adminId })).toEqual({ status: "no_active_override" });
    const history = await listOverrideHistory(t.db, orgId, userId);
    expect(history.map((h) => [h.action, h.previousLevel, h.newLevel, h.note])).toEqual([
      ["cleared", "moderate", "at_risk", "back to normal"],
    ]);
  });

  it("an override past its expiry is not active: not effective and not clearable", async () => {
    const userId = await classifiedMember("at_risk", { level: "moderate", expiresAt: daysAgo(1) });
    expect(await getMemberEngagement(t.db, orgId, userId)).toMatchObject({ level: "at_risk", override: null });
    expect(await clearOverride(t.db, orgId, userId, { actorId: adminId })).toEqual({ status: "no_active_override" });
  });

  it("expireOverrides clears only overrides whose expiry passed, audits each as expired without actor, and counts them", async () => {
    const isolatedOrg = (await buildOrg(t.db)).id;
    const make = async (override: Parameters<typeof buildMemberEngagement>[1]["override"]) => {
      const { user } = await buildMember(t.db, isolatedOrg);
      await buildMemberEngagement(t.db, { orgId: isolatedOrg, userId: user.id, level: "at_risk", ...(override ? { override } : {}) });
      return user.id;
    };
    const now = new Date();
    const expired1 = await make({ level: "moderate", expiresAt: daysAgo(2, now) });
    const expired2 = await make({ level: "highly_engaged", expiresAt: now });
    const future = await make({ level: "moderate", expiresAt: new Date(now.getTime() + 3600_000) });
    const forever = await make({ level: "moderate", expiresAt: null });
    const otherOrg = await classifiedMember("at_risk", { level: "moderate", expiresAt: daysAgo(2, now) });

    expect(await expireOverrides(t.db, isolatedOrg, now)).toBe(2);
    expect(await expireOverrides(t.db, isolatedOrg, now)).toBe(0);

    for (const [id, previous] of [
      [expired1, "moderate"],
      [expired2, "highly_engaged"],
    ] as const) {
      expect(await listOverrideHistory(t.db, isolatedOrg, id)).toEqual([
        expect.objectContaining({ action: "expired", previousLevel: previous, newLevel: "at_risk", actorId: null }),
      ]);
      const row = await t.db.memberEngagement.findFirstOrThrow({ where: { orgId: isolatedOrg, userId: id } });
      expect(row.overrideLevel).toBeNull();
    }
    for (const id of [future, forever]) {
      expect((await getMemberEngagement(t.db, isolatedOrg, id))?.override?.level).toBe("moderate");
      expect(await listOverrideHistory(t.db, isolatedOrg, id)).toEqual([]);
    }
    const untouched = await t.db.memberEngagement.findFirstOrThrow({ where: { orgId, userId: otherOrg } });
    expect(untouched.overrideLevel).toBe("moderate");
  });

  it("lists the audit trail newest first", async () => {
    const userId = await classifiedMember("at_risk");
    await setOverride(t.db, orgId, userId, { level: "moderate", note: "one", actorId: adminId });
    await setOverride(t.db, orgId, userId, { level: "highly_engaged", note: "two", actorId: adminId });
    await clearOverride(t.db, orgId, userId, { actorId: adminId, note: "three" });
    const history = await listOverrideHistory(t.db, orgId, userId);
    expect(history.map((h) => h.note)).toEqual(["three", "two", "one"]);
  });
});
