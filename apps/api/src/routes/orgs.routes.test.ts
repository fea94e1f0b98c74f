import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("organisation routes", () => {
  let api: TestApi;
  let operator: string;
  let a: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("orgs");
    operator = await api.token({ sub: "ops-oncall", role: "operator" });
    a = await seedOrg(api, "Alpha");
  });
  afterAll(async () => api.close());

  const create = (token: string, payload: unknown) =>
    api.app.inject({ method: "POST", url: "/v1/orgs", headers: bearer(token), payload: payload as object });

  it("POST creates an organisation with its first admin, who can then use the admin routes", async () => {
    const res = await create(operator, { name: "Running Club Nord", admin: { email: " Coach@Example.ORG ", name: "Coach" } });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({ orgId: expect.any(String), slug: "running-club-nord", adminUserId: expect.any(String), adminWasKnown: false });
    const user = await api.db.user.findUniqueOrThrow({ where: { id: body.adminUserId } });
    expect(user.email).toBe("coach@example.org");
    const adminToken = await api.token({ sub: body.adminUserId, org: body.orgId, role: "admin" });
    const summary = await api.app.inject({ url: `/v1/orgs/${body.orgId}/engagement/summary`, headers: bearer(adminToken) });
    expect(summary.statusCode).toBe(200);
    expect(summary.json()).toMatchObject({ orgId: body.orgId, total: 0 });
  });

  it("a person already known (another organisation's admin) joins as admin: one user, two memberships", async () => {
    const known = await api.db.user.findUniqueOrThrow({ where: { id: a.admin.id } });
    const res = await create(operator, {
      name: "Book Circle",
      slug: "book-circle",
      admin: { email: known.email.toUpperCase(), name: "Other" },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ adminUserId: a.admin.id, adminWasKnown: true });
    expect(await api.db.membership.count({ where: { userId: a.admin.id } })).toBe(2);
  });

  it("answers 409 slug_taken for a slug in use and 400 naming each bad field, creating nothing", async () => {
    const before = await api.db.organization.count();
    const taken = await create(operator, { name: "Again", slug: "book-circle", admin: { email: "x@example.org", name: "X" } });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ error: "slug_taken" });
    const bad = await create(operator, { name: " ", slug: "Not A Slug", admin: { email: "nope", name: "" } });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .issues.map((i: { field: string }) => i.field)
        .sort(),
    ).toEqual(["body.admin.email", "body.admin.name", "body.name", "body.slug"]);
    const noSlug = await create(operator, { name: "!!!", admin: { email: "y@example.org", name: "Y" } });
    expect(noSlug.statusCode).toBe(400);
    expect(noSlug.json().issues).toEqual([{ field: "body.slug", message: expect.stringContaining("send one") }]);
    expect(await api.db.organization.count()).toBe(before);
  });

  it("is for operators only: an admin or member token is 403, none is 401", async () => {
    expect((await create(a.adminToken, { name: "X", admin: { email: "z@example.org", name: "Z" } })).statusCode).toBe(403);
    expect((await api.app.inject({ url: "/v1/orgs", headers: bearer(await a.memberToken(a.steady.id)) })).statusCode).toBe(403);
    expect((await api.app.inject({ url: "/v1/orgs" })).statusCode).toBe(401);
  });

  it("GET lists organisations by slug, a page at a time", async () => {
    const first = (await api.app.inject({ url: "/v1/orgs?limit=2", headers: bearer(operator) })).json();
    expect(first.items).toHaveLength(2);
    const slugs = [...first.items.map((o: { slug: string }) => o.slug)];
    let cursor = first.nextCursor;
    while (cursor) {
      const next = (await api.app.inject({ url: `/v1/orgs?limit=2&cursor=${cursor}`, headers: bearer(operator) })).json();
      slugs.push(...next.items.map((o: { slug: string }) => o.slug));
      cursor = next.nextCursor;
    }
    expect(slugs).toEqual([...slugs].sort());
    expect(slugs).toEqual(expect.arrayContaining(["book-circle", "running-club-nord"]));
    expect(first.items[0]).toEqual({
      orgId: expect.any(String),
      name: expect.any(String),
      slug: expect.any(String),
      createdAt: expect.any(String),
      activeMembers: expect.any(Number),
    });
  });
});
