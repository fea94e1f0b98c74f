import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createTestDatabase, type TestDatabase } from "../testing/index.ts";
import { createOrganizationWithAdmin, listOrganizations, normaliseEmail, slugify } from "./organizations.ts";

describe("organisations", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase("orgs");
  });
  afterAll(async () => t.drop());

  it("normalises emails and slugs", () => {
    expect(normaliseEmail("  Ada.Lovelace@Example.ORG ")).toBe("ada.lovelace@example.org");
    expect(slugify("  Café Chess — Nord! ")).toBe("cafe-chess-nord");
    expect(slugify("!!!")).toBe("");
  });

  it("creates an organisation with its first admin; a person in two organisations is one user with two memberships", async () => {
    const first = await createOrganizationWithAdmin(t.db, {
      name: "Chess Nord",
      slug: "chess-nord",
      admin: { email: " Ada@Example.org", name: "Ada" },
    });
    expect(first).toMatchObject({ status: "created", slug: "chess-nord", adminWasKnown: false });
    const second = await createOrganizationWithAdmin(t.db, {
      name: "Choir Süd",
      slug: "choir-sud",
      admin: { email: "ADA@example.org", name: "Ada L." },
    });
    expect(second).toMatchObject({ status: "created", adminWasKnown: true });
    if (first.status !== "created" || second.status !== "created") throw new Error("unreachable");
    expect(second.adminUserId).toBe(first.adminUserId);
    const user = await t.db.user.findUniqueOrThrow({ where: { id: first.adminUserId }, include: { memberships: true } });
    expect(user).toMatchObject({ email: "ada@example.org", name: "Ada" });
    expect(user.memberships.map((m) => [m.orgId, m.role, m.status]).sort()).toEqual(
      [
        [first.orgId, "admin", "active"],
        [second.orgId, "admin", "active"],
      ].sort(),
    );
  });

  it("answers slug_taken for a slug in use, also when two requests race, creating nothing more", async () => {
    const before = await t.db.organization.count();
    const results = await Promise.all(
      [1, 2, 3].map((i) =>
        createOrganizationWithAdmin(t.db, { name: `Race ${i}`, slug: "race", admin: { email: `race${i}@example.org`, name: `R${i}` } }),
      ),
    );
    expect(results.filter((r) => r.status === "created")).toHaveLength(1);
    expect(results.filter((r) => r.status === "slug_taken")).toHaveLength(2);
    expect(await t.db.organization.count()).toBe(before + 1);
  });

  it("lists organisations by slug, a page at a time, with their active members", async () => {
    const page1 = await listOrganizations(t.db, { limit: 2 });
    expect(page1.items.map((o) => o.slug)).toEqual(["chess-nord", "choir-sud"]);
    expect(page1.items[0]?.activeMembers).toBe(1);
    const page2 = await listOrganizations(t.db, { limit: 2, after: page1.nextCursor ?? undefined });
    expect(page2.items.map((o) => o.slug)).toEqual(["race"]);
    expect(page2.nextCursor).toBeNull();
  });
});
