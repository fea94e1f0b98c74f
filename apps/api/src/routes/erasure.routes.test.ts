// Erasure over the API: an admin erases a member of their organisation only, an operator erases anyone, lists
// and lifts erasures; API keys, members and admins on operator routes are refused.
import { buildMember, buildMembership, findTextInDatabase } from "@engagement/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("erasure routes", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;
  let operatorToken: string;
  const OPERATOR = "0d8a9e4e-0000-4000-8000-00000000000f";

  beforeAll(async () => {
    api = await startTestApi("erasure");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
    operatorToken = await api.token({ sub: OPERATOR, role: "operator" });
  });
  afterAll(async () => api.close());

  const eraseMember = (orgId: string, userId: string, credential: string) =>
    api.app.inject({ method: "POST", url: `/v1/orgs/${orgId}/members/${userId}/erasure`, headers: bearer(credential) });
  const eraseEverywhere = (payload: object, credential = operatorToken) =>
    api.app.inject({ method: "POST", url: "/v1/erasures", headers: bearer(credential), payload });

  it("an admin erases a member of their organisation: 200 with the erasure id and counts, no personal data; the member is gone", async () => {
    const { user } = await buildMember(api.db, a.org.id, { name: "Wilma Erasable" });
    const res = await eraseMember(a.org.id, user.id, a.adminToken);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      erasureId: expect.any(String),
      orgId: a.org.id,
      counts: expect.objectContaining({ users: 1, memberships: 1, tombstones: 1 }),
    });
    expect(res.body).not.toContain("Wilma");
    expect(res.body).not.toContain(user.email);
    expect(await findTextInDatabase(api.db, [user.name, user.email])).toEqual([]);
    const again = await eraseMember(a.org.id, user.id, a.adminToken);
    expect(again.statusCode).toBe(404);
  });

  it("refuses a person who also belongs elsewhere (409: an operator can) and the admin themself; another admin may erase an admin", async () => {
    const { user } = await buildMember(api.db, a.org.id);
    await buildMembership(api.db, { orgId: b.org.id, userId: user.id });
    const shared = await eraseMember(a.org.id, user.id, a.adminToken);
    expect(shared.statusCode).toBe(409);
    expect(shared.json()).toMatchObject({
      error: "member_of_other_organisations",
      message: expect.stringContaining("an operator can erase a person who belongs to several organisations"),
    });
    expect(await api.db.user.count({ where: { id: user.id } })).toBe(1);
    const self = await eraseMember(a.org.id, a.admin.id, a.adminToken);
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ error: "self" });
    // (The last active admin cannot be reached here: whoever calls is another active admin. The data package refuses it.)
    const coAdmin = (await buildMember(api.db, a.org.id, { role: "admin" })).user;
    const coToken = await api.token({ sub: coAdmin.id, org: a.org.id, role: "admin" });
    expect((await eraseMember(a.org.id, a.admin.id, coToken)).statusCode).toBe(200);
    // The erased admin's token no longer works here.
    expect((await eraseMember(a.org.id, coAdmin.id, a.adminToken)).statusCode).toBe(403);
  });

  it("404 for someone who is not a member of the organisation; another organisation's admin, a member and an API key get 403", async () => {
    expect((await eraseMember(b.org.id, b.fresh.id, a.adminToken)).statusCode).toBe(403);
    expect((await eraseMember(b.org.id, a.steady.id, b.adminToken)).statusCode).toBe(404);
    expect((await eraseMember(b.org.id, "0d8a9e4e-0000-4000-8000-000000000001", b.adminToken)).statusCode).toBe(404);
    expect((await eraseMember(b.org.id, b.fresh.id, await b.memberToken(b.steady.id))).statusCode).toBe(403);
    const key = await api.app.inject({
      method: "POST",
      url: `/v1/orgs/${b.org.id}/api-keys`,
      headers: bearer(b.adminToken),
      payload: { name: "everything", scopes: ["import", "read"] },
    });
    const refused = await eraseMember(b.org.id, b.fresh.id, key.json().key);
    expect(refused.statusCode).toBe(403);
    expect(await api.db.user.count({ where: { id: b.fresh.id } })).toBe(1);
  });

  it("an operator erases by email (any case) or user id, lists erasures and lifts one; the body is validated", async () => {
    const { user } = await buildMember(api.db, b.org.id, { name: "Valentin Gone" });
    await buildMembership(api.db, { orgId: a.org.id, userId: user.id });
    const res = await eraseEverywhere({ email: ` ${user.email.toUpperCase()} ` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ orgId: null, counts: { memberships: 2, users: 1 }, orgsLeftWithoutAdmin: [] });
    const { erasureId } = res.json();
    expect((await eraseEverywhere({ email: user.email })).statusCode).toBe(404);
    expect((await eraseEverywhere({ userId: user.id })).statusCode).toBe(404);
    expect((await eraseEverywhere({ userId: user.id, email: user.email })).statusCode).toBe(400);
    expect((await eraseEverywhere({})).statusCode).toBe(400);
    const byId = await eraseEverywhere({ userId: b.drifting.id });
    expect(byId.json().counts).toMatchObject({ engagements: 1 });

    const list = await api.app.inject({ url: "/v1/erasures", headers: bearer(operatorToken) });
    expect(list.statusCode).toBe(200);
    expect(list.json().items[1]).toMatchObject({ id: erasureId, orgId: null, actorId: OPERATOR, liftedAt: null });
    const lifted = await api.app.inject({ method: "POST", url: `/v1/erasures/${erasureId}/lift`, headers: bearer(operatorToken) });
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json()).toMatchObject({ id: erasureId, liftedAt: expect.any(String), liftedBy: OPERATOR });
    const unknown = await api.app.inject({
      method: "POST",
      url: "/v1/erasures/0d8a9e4e-0000-4000-8000-000000000002/lift",
      headers: bearer(operatorToken),
    });
    expect(unknown.statusCode).toBe(404);
  });

  it("an import does not re-create an erased person (by email or external id) until an operator lifts the erasure", async () => {
    const put = (rows: object[]) =>
      api.app.inject({ method: "PUT", url: `/v1/orgs/${b.org.id}/members`, headers: bearer(b.adminToken), payload: rows });
    const row = { externalId: "B-ERASED", name: "Rita Returning", email: "rita.returning@example.org", joinedAt: "2026-01-15T18:00:00Z" };
    expect((await put([row])).json()).toMatchObject({ inserted: 1 });
    const member = await api.db.membership.findFirstOrThrow({ where: { orgId: b.org.id, externalId: "B-ERASED" } });
    const erased = await eraseMember(b.org.id, member.userId, b.adminToken);
    expect(erased.statusCode).toBe(200);

    const message = "belongs to a person erased on request; an operator must lift the erasure before they can be imported again";
    const again = await put([
      { ...row, externalId: "B-NEW", email: " Rita.Returning@Example.org " },
      { ...row, email: "someone.new@example.org" },
      { ...row, externalId: "B-OTHER", email: "other.person@example.org", name: "Other Person" },
    ]);
    expect(again.statusCode).toBe(422);
    expect(again.json().errors).toEqual([
      { index: 0, field: "email", message },
      { index: 1, field: "externalId", message },
    ]);
    expect(await findTextInDatabase(api.db, ["Rita Returning", "rita.returning@example.org"])).toEqual([]);

    const lifted = await api.app.inject({
      method: "POST",
      url: `/v1/erasures/${erased.json().erasureId}/lift`,
      headers: bearer(operatorToken),
    });
    expect(lifted.statusCode).toBe(200);
    expect((await put([row])).json()).toMatchObject({ applied: true, inserted: 1, errors: [] });
  });

  it("operator routes refuse admins, members and API keys", async () => {
    const key = await api.app.inject({
      method: "POST",
      url: `/v1/orgs/${b.org.id}/api-keys`,
      headers: bearer(b.adminToken),
      payload: { name: "k", scopes: ["import", "read"] },
    });
    for (const credential of [b.adminToken, await b.memberToken(b.steady.id), key.json().key as string]) {
      expect((await eraseEverywhere({ userId: b.steady.id }, credential)).statusCode).toBe(403);
      expect((await api.app.inject({ url: "/v1/erasures", headers: bearer(credential) })).statusCode).toBe(403);
      const lift = await api.app.inject({
        method: "POST",
        url: "/v1/erasures/0d8a9e4e-0000-4000-8000-000000000002/lift",
        headers: bearer(credential),
      });
      expect(lift.statusCode).toBe(403);
    }
    // An admin erasing through their own organisation's route cannot reach beyond it.
    expect((await eraseMember(a.org.id, b.steady.id, b.adminToken)).statusCode).toBe(403);
  });
});
