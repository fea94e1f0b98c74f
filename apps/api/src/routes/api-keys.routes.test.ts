// API keys: an admin creates one (shown once, stored hashed), a script reads with it, revoking stops it at once,
// and a key reaches only its organisation and its scopes. Creation and revocation are audited.
import { createHash } from "node:crypto";
import { listApiKeyAudit } from "@engagement/db";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { bearer, seedOrg, startTestApi, type TestApi } from "../../test/harness.ts";

describe("API keys", () => {
  let api: TestApi;
  let a: Awaited<ReturnType<typeof seedOrg>>;
  let b: Awaited<ReturnType<typeof seedOrg>>;

  beforeAll(async () => {
    api = await startTestApi("apikeys");
    a = await seedOrg(api, "Alpha");
    b = await seedOrg(api, "Beta");
  });
  afterAll(async () => api.close());

  const keysUrl = (orgId: string) => `/v1/orgs/${orgId}/api-keys`;
  const create = (orgId: string, token: string, payload: unknown) =>
    api.app.inject({ method: "POST", url: keysUrl(orgId), headers: bearer(token), payload: payload as object });
  const summary = (orgId: string, credential: string) =>
    api.app.inject({ url: `/v1/orgs/${orgId}/engagement/summary`, headers: bearer(credential) });

  it("creates a key shown once and stored only as a hash, with a visible prefix; the list never shows the secret", async () => {
    const res = await create(a.org.id, a.adminToken, { name: "Nightly CRM sync", scopes: ["import", "read"] });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({ name: "Nightly CRM sync", scopes: ["import", "read"], lastUsedAt: null, revokedAt: null });
    expect(created.key).toMatch(/^eng_[0-9a-f]{8}_[A-Za-z0-9_-]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const row = await api.db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).toBe(createHash("sha256").update(created.key).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.key);
    const list = await api.app.inject({ url: keysUrl(a.org.id), headers: bearer(a.adminToken) });
    expect(list.json().items).toEqual([expect.objectContaining({ id: created.id, prefix: created.prefix })]);
    expect(list.body).not.toContain(created.key);
  });

  it("a read key reads its organisation's engagement, records its last use, and is refused elsewhere", async () => {
    const { key, id } = (await create(a.org.id, a.adminToken, { name: "Dashboard", scopes: ["read"] })).json();
    const ok = await summary(a.org.id, key);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ orgId: a.org.id });
    expect((await api.db.apiKey.findUniqueOrThrow({ where: { id } })).lastUsedAt).toBeInstanceOf(Date);
    // Another organisation: 403. A route for people (overrides, the member view, key management): 403.
    expect((await summary(b.org.id, key)).statusCode).toBe(403);
    expect((await api.app.inject({ url: keysUrl(a.org.id), headers: bearer(key) })).statusCode).toBe(403);
    expect((await api.app.inject({ url: `/v1/me/engagement?orgId=${a.org.id}`, headers: bearer(key) })).statusCode).toBe(403);
  });

  it("a key without the read scope cannot read", async () => {
    const { key } = (await create(a.org.id, a.adminToken, { name: "Import only" })).json();
    const res = await summary(a.org.id, key);
    expect(res.statusCode).toBe(403);
    expect(res.json().message).toContain("read scope");
  });

  it("revoking stops the key at once (401), is audited with the admin, and unknown or forged keys are 401", async () => {
    const { key, id, prefix } = (await create(a.org.id, a.adminToken, { name: "Temp", scopes: ["read"] })).json();
    expect((await summary(a.org.id, key)).statusCode).toBe(200);
    const revoked = await api.app.inject({ method: "DELETE", url: `${keysUrl(a.org.id)}/${id}`, headers: bearer(a.adminToken) });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revokedAt).toEqual(expect.any(String));
    const after = await summary(a.org.id, key);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ error: "unauthorized", message: "unknown or revoked API key" });
    expect((await summary(a.org.id, `${prefix}_${"x".repeat(32)}`)).statusCode).toBe(401);
    expect((await summary(a.org.id, `eng_00000000_${"y".repeat(32)}`)).statusCode).toBe(401);
    const audit = await listApiKeyAudit(api.db, a.org.id);
    expect(audit.filter((e) => e.keyId === id).map((e) => [e.action, e.actorId])).toEqual([
      ["revoked", a.admin.id],
      ["created", a.admin.id],
    ]);
  });

  it("only the organisation's admins manage its keys; another organisation's key id is 404, bad bodies 400", async () => {
    const { id } = (await create(a.org.id, a.adminToken, { name: "Mine" })).json();
    expect((await create(a.org.id, b.adminToken, { name: "Theirs" })).statusCode).toBe(403);
    expect((await create(a.org.id, await a.memberToken(a.steady.id), { name: "Member" })).statusCode).toBe(403);
    const other = await api.app.inject({ method: "DELETE", url: `${keysUrl(b.org.id)}/${id}`, headers: bearer(b.adminToken) });
    expect(other.statusCode).toBe(404);
    const bad = await create(a.org.id, a.adminToken, { name: "", scopes: ["admin"] });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .issues.map((i: { field: string }) => i.field)
        .sort(),
    ).toEqual(["body.name", "body.scopes.0"]);
  });
});
