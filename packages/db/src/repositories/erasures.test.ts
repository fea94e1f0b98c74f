import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createDb } from "../client.ts";
import {
  buildEvent,
  buildMember,
  buildMemberEngagement,
  buildMembership,
  buildOrg,
  buildOverrideHistory,
  buildRegistration,
  buildRun,
  buildSnapshot,
  buildUser,
  createTestDatabase,
  findTextInDatabase,
  type TestDatabase,
} from "../testing/index.ts";
import { createApiKey } from "./api-keys.ts";
import { writeMemberResults } from "./engagement-writes.ts";
import {
  ERASED_MEMBER,
  ErasureRefusedError,
  erasePerson,
  erasureKey,
  findTombstonedRows,
  findUserIdByEmail,
  liftErasure,
  listErasures,
  REDACTED_NOTE,
  tombstoneHash,
} from "./erasures.ts";
import { listOverrideHistory, setOverride } from "./overrides.ts";
import { queueBatchGroups } from "./provider-batches.ts";

const KEY = "k".repeat(32);
const ORG_A = "6f1c1c1e-8f0a-4d6e-9a55-2a7cf1f1a001";
const ORG_B = "6f1c1c1e-8f0a-4d6e-9a55-2a7cf1f1a002";
const NO_ENV = {} as NodeJS.ProcessEnv;

describe("tombstoneHash", () => {
  it("is a deterministic HMAC-SHA256 of the normalised email, the same in every organisation", () => {
    const h = tombstoneHash(KEY, "email", null, "ada@example.org");
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(tombstoneHash(KEY, "email", null, "  ADA@Example.org ")).toBe(h);
    expect(tombstoneHash(KEY, "email", ORG_A, "ada@example.org")).toBe(h);
    expect(tombstoneHash(KEY, "email", null, "ada2@example.org")).not.toBe(h);
    expect(tombstoneHash("x".repeat(32), "email", null, "ada@example.org")).not.toBe(h);
  });

  it("scopes an external id to its organisation, and never equals an email's hash", () => {
    const a = tombstoneHash(KEY, "external_id", ORG_A, "42");
    expect(tombstoneHash(KEY, "external_id", ORG_A.toUpperCase(), " 42 ")).toBe(a);
    expect(tombstoneHash(KEY, "external_id", ORG_B, "42")).not.toBe(a);
    expect(tombstoneHash(KEY, "email", ORG_A, "42")).not.toBe(a);
    expect(() => tombstoneHash(KEY, "external_id", null, "42")).toThrow(/organisation/);
  });
});

describe("erasure of a person", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("erasures");
  });
  afterAll(async () => t.drop());

  const erase = (input: Parameters<typeof erasePerson>[1]) => erasePerson(t.db, input, NO_ENV);
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => "erased",
      (err: unknown) => (err instanceof ErasureRefusedError ? err.reason : String(err)),
    );

  it("keeps one key in the database when ERASURE_KEY is not set, the same for every process; ERASURE_KEY wins when set", async () => {
    const other = createDb(t.url, { maxConnections: 1 });
    try {
      const [a, b] = await Promise.all([erasureKey(t.db, NO_ENV), erasureKey(other, NO_ENV)]);
      expect(a).toMatch(/^[0-9a-f]{64}$/);
      expect(b).toBe(a);
      expect(await t.db.deploymentSecret.count()).toBe(1);
    } finally {
      await other.$disconnect();
    }
    expect(await erasureKey(t.db, { ERASURE_KEY: KEY } as NodeJS.ProcessEnv)).toBe(KEY);
    expect(() => erasureKey(t.db, { ERASURE_KEY: "short" } as NodeJS.ProcessEnv)).toThrow(/ERASURE_KEY must be at least 32/);
  });

  /** A person with everything a member accumulates, in `org`, and an admin override they made on someone else. */
  async function personWithHistory(orgId: string, name: string) {
    const person = await buildUser(t.db, { name, email: `${name.toLowerCase().replace(/\W/g, ".")}@example.org` });
    await buildMembership(t.db, { orgId, userId: person.id, role: "admin" });
    await t.db.membership.update({
      where: { userId_orgId: { userId: person.id, orgId } },
      data: { externalId: `ext-${person.id.slice(0, 8)}`, displayName: `${name} (club)` },
    });
    const event = await buildEvent(t.db, { orgId, title: "Tuesday training" });
    await buildRegistration(t.db, { eventId: event.id, userId: person.id });
    const run = await buildRun(t.db, { orgId, membersTotal: 2, llmCalls: 1 });
    await buildSnapshot(t.db, { orgId, userId: person.id, runId: run.id });
    await buildMemberEngagement(t.db, {
      orgId,
      userId: person.id,
      adminExplanation: `${name} attends most Tuesday trainings.`,
      override: { level: "highly_engaged", note: "Runs the youth group", by: null },
    });
    await buildOverrideHistory(t.db, { orgId, userId: person.id, note: "Runs the youth group" });
    // What the person did as an admin, on someone else.
    const other = await buildMember(t.db, orgId, { name: "Other Member" });
    await buildMemberEngagement(t.db, { orgId, userId: other.user.id, level: "at_risk" });
    await setOverride(t.db, orgId, other.user.id, { level: "moderate", note: "Back from injury", actorId: person.id });
    const secondAdmin = await buildMember(t.db, orgId, { role: "admin", name: "Second Admin" });
    await setOverride(t.db, orgId, other.user.id, {
      level: "moderate",
      note: `Agreed with ${name.toUpperCase()} after the meeting`,
      actorId: secondAdmin.user.id,
    });
    await createApiKey(t.db, { orgId, name: "CRM sync", scopes: ["import"], actorId: person.id });
    // A request of the run waiting for a provider batch, about the person and another member.
    const signals = { tenureDays: 400, attended90: 3 };
    await queueBatchGroups(t.db, run.id, orgId, [
      { customId: `${run.id.replaceAll("-", "")}-0`, userIds: [person.id, other.user.id], signals: [signals, signals] },
    ]);
    return { person, other: other.user, secondAdmin: secondAdmin.user, run };
  }

  it("an operator's erasure removes every row about the person, keeps opaque references where they acted, and leaves no trace of them", async () => {
    const org = await buildOrg(t.db);
    const second = await buildOrg(t.db);
    const { person, other, secondAdmin, run } = await personWithHistory(org.id, "Zelda Quist");
    await buildMembership(t.db, { orgId: second.id, userId: person.id });
    const operatorId = "0d8a9e4e-0000-4000-8000-00000000000f";
    // The scan sees the person before: users, memberships, the engagement's explanation, a note that names them.
    const before = await findTextInDatabase(t.db, [person.name, person.email]);
    expect(new Set(before.map((h) => h.table))).toEqual(
      new Set(["users", "memberships", "member_engagements", "engagement_override_history"]),
    );

    const result = await erase({ userId: person.id, orgId: null, actorId: operatorId });
    expect(result.counts).toEqual({
      users: 1,
      memberships: 2,
      registrations: 1,
      engagements: 1,
      snapshots: 1,
      overrideHistory: 1,
      tombstones: 2,
      actorReferences: 3,
      notesRedacted: 2,
    });
    expect(result.orgsLeftWithoutAdmin).toEqual([]);
    expect(await t.db.user.findUnique({ where: { id: person.id } })).toBeNull();

    // Where they acted on someone else: the audit stays, pointing at the erasure; the second admin's note that named them is gone.
    const history = await listOverrideHistory(t.db, org.id, other.id);
    expect(history.map((h) => [h.actorId, h.actorErasureId, h.note])).toEqual([
      [secondAdmin.id, null, REDACTED_NOTE],
      [null, result.erasureId, "Back from injury"],
    ]);
    const key = await t.db.apiKey.findFirstOrThrow({ where: { orgId: org.id } });
    expect([key.createdBy, key.createdByErasureId]).toEqual([null, result.erasureId]);
    // The waiting batch request keeps the other member; the person's place in it is empty.
    const [group] = await t.db.providerBatchGroup.findMany({ where: { runId: run.id } });
    expect(group?.userIds).toEqual([ERASED_MEMBER, other.id]);
    // The run's aggregate counts stay.
    expect((await t.db.engagementRun.findUniqueOrThrow({ where: { id: run.id } })).llmCalls).toBe(1);

    const [erasure] = await listErasures(t.db, { limit: 10 });
    expect(erasure).toMatchObject({ id: result.erasureId, orgId: null, actorId: operatorId, liftedAt: null, counts: result.counts });
    const needles = [person.name, person.name.toUpperCase(), person.email, person.email.toUpperCase(), person.id, "Zelda"];
    expect(await findTextInDatabase(t.db, needles)).toEqual([]);
  });

  it("tombstones refuse the person's email in every organisation and their external id in its organisation, until lifted", async () => {
    const org = await buildOrg(t.db);
    const elsewhere = await buildOrg(t.db);
    const { person } = await personWithHistory(org.id, "Yannick Orr");
    const externalId = `ext-${person.id.slice(0, 8)}`;
    const { erasureId } = await erase({ userId: person.id, actorId: null });
    const incoming = [
      { email: "someone.else@example.org", externalId: "ext-new" },
      { email: ` ${person.email.toUpperCase()} `, externalId: "ext-new-2" },
      { email: "renamed@example.org", externalId },
    ];
    expect(await findTombstonedRows(t.db, org.id, incoming)).toEqual([
      { index: 1, kind: "email" },
      { index: 2, kind: "external_id" },
    ]);
    // Another organisation's "ext-..." is another person; the email is the same person everywhere.
    expect(await findTombstonedRows(t.db, elsewhere.id, incoming)).toEqual([{ index: 1, kind: "email" }]);
    const tombstones = await t.db.erasureTombstone.findMany({ where: { erasureId } });
    expect(JSON.stringify(tombstones)).not.toContain(person.email);
    expect(JSON.stringify(tombstones)).not.toContain(externalId);

    expect((await liftErasure(t.db, { erasureId, actorId: null })).status).toBe("lifted");
    expect(await findTombstonedRows(t.db, org.id, incoming)).toEqual([]);
    const again = await liftErasure(t.db, { erasureId, actorId: null });
    expect(again).toMatchObject({ status: "already_lifted", erasure: { liftedAt: expect.any(Date) } });
    expect((await liftErasure(t.db, { erasureId: "0d8a9e4e-0000-4000-8000-000000000000", actorId: null })).status).toBe("not_found");
  });

  it("an admin erases a person of their organisation only: the tombstones apply to that organisation", async () => {
    const org = await buildOrg(t.db);
    const elsewhere = await buildOrg(t.db);
    const admin = await buildMember(t.db, org.id, { role: "admin" });
    const member = await buildMember(t.db, org.id, { name: "Xavier Pell" });
    const event = await buildEvent(t.db, { orgId: org.id });
    await buildRegistration(t.db, { eventId: event.id, userId: member.user.id });
    const result = await erase({ userId: member.user.id, orgId: org.id, actorId: admin.user.id });
    expect(result).toMatchObject({ orgId: org.id, counts: { users: 1, memberships: 1, registrations: 1, tombstones: 1 } });
    expect(await findTombstonedRows(t.db, org.id, [{ email: member.user.email }])).toEqual([{ index: 0, kind: "email" }]);
    expect(await findTombstonedRows(t.db, elsewhere.id, [{ email: member.user.email }])).toEqual([]);
    expect(await findUserIdByEmail(t.db, member.user.email)).toBeNull();
  });

  it("an admin cannot erase a person who belongs to another organisation too, nor themself, nor the last active admin; nothing changes", async () => {
    const org = await buildOrg(t.db);
    const other = await buildOrg(t.db);
    const admin = await buildMember(t.db, org.id, { role: "admin" });
    const shared = await buildMember(t.db, org.id);
    await buildMembership(t.db, { orgId: other.id, userId: shared.user.id, status: "left" });
    const err = await erase({ userId: shared.user.id, orgId: org.id, actorId: admin.user.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErasureRefusedError);
    expect((err as Error).message).toContain("an operator can erase a person who belongs to several organisations");
    expect(await t.db.membership.count({ where: { userId: shared.user.id } })).toBe(2);

    // Registrations to another organisation's events are that organisation's too.
    const visitor = await buildMember(t.db, org.id);
    await buildRegistration(t.db, { eventId: (await buildEvent(t.db, { orgId: other.id })).id, userId: visitor.user.id });
    expect(await refusal(erase({ userId: visitor.user.id, orgId: org.id, actorId: admin.user.id }))).toBe("member_of_other_organisations");

    expect(await refusal(erase({ userId: admin.user.id, orgId: org.id, actorId: admin.user.id }))).toBe("self");
    const secondAdmin = await buildMember(t.db, org.id, { role: "admin" });
    await t.db.membership.update({ where: { id: secondAdmin.membership.id }, data: { status: "left" } });
    expect(await refusal(erase({ userId: admin.user.id, orgId: org.id, actorId: secondAdmin.user.id }))).toBe("last_active_admin");
    const stranger = await buildUser(t.db);
    expect(await refusal(erase({ userId: stranger.id, orgId: org.id, actorId: admin.user.id }))).toBe("not_found");
    expect(await refusal(erase({ userId: "0d8a9e4e-0000-4000-8000-000000000001", actorId: null }))).toBe("not_found");
    expect(await t.db.erasure.count({ where: { orgId: org.id } })).toBe(0);
  });

  it("an operator may erase an organisation's last admin, and hears which organisations need a new one", async () => {
    const org = await buildOrg(t.db);
    const admin = await buildMember(t.db, org.id, { role: "admin" });
    const result = await erase({ userId: admin.user.id, actorId: null });
    expect(result.orgsLeftWithoutAdmin).toEqual([org.id]);
  });

  it("an admin erased later leaves their earlier erasures attributed to an opaque reference", async () => {
    const org = await buildOrg(t.db);
    const [a, b] = [await buildMember(t.db, org.id, { role: "admin" }), await buildMember(t.db, org.id, { role: "admin" })];
    const member = await buildMember(t.db, org.id);
    const first = await erase({ userId: member.user.id, orgId: org.id, actorId: a.user.id });
    const second = await erase({ userId: a.user.id, orgId: org.id, actorId: b.user.id });
    const row = await t.db.erasure.findUniqueOrThrow({ where: { id: first.erasureId } });
    expect([row.actorId, row.actorErasureId]).toEqual([null, second.erasureId]);
  });

  it("a result written for a member erased meanwhile is skipped, not an error", async () => {
    const org = await buildOrg(t.db);
    const member = await buildMember(t.db, org.id);
    const run = await buildRun(t.db, { orgId: org.id, status: "running" });
    await erase({ userId: member.user.id, actorId: null });
    const usage = { llmCalls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const written = await writeMemberResults(t.db, run.id, org.id, new Date(), [
      {
        userId: member.user.id,
        level: "moderate",
        source: "rules",
        adminExplanation: "x",
        memberExplanation: "y",
        keyFactors: [],
        signals: {},
        model: null,
        inputsFingerprint: null,
        fallbackReason: null,
        usage,
      },
    ]);
    expect(written).toBe(0);
  });
});
