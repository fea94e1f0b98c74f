// Property-based fuzzing (fast-check) of every route of the API: path parameters, query, headers and body, with
// every kind of credential (the right one for the route most of the time, so that requests get past access and
// reach validation; otherwise another organisation's admin, a member, an operator, import and read keys, a revoked
// key, forged and broken tokens, none). For each request:
//   - never a 5xx, and nothing logged at error level;
//   - a 4xx changes nothing: no row of any table written, no job added or moved (fingerprint.ts: a row counter per
//     request, checked per route against an md5 of every table);
//   - a 400, 413 or 415 names the wrong field (`issues: [{field: "body.note" | "query.limit" | ...}]`), and every
//     4xx is in the API's error shape (a 422 import report lists its rows' fields instead).
// Every documented operation must have a generator here (checked against the OpenAPI document), plus the queue
// board's and the docs' own routes. The seed is fixed so that a failure replays; FUZZ_RUNS, FUZZ_SEED and
// FUZZ_BUDGET_MS (test-env.ts) run it longer or elsewhere.
import { Writable } from "node:stream";
import { createApiKey, revokeApiKey } from "@engagement/db";
import { buildMembership, buildRun, buildUser } from "@engagement/db/testing";
import { createLogger } from "@engagement/runtime";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import type { OpenAPIV3 } from "openapi-types";
import { BOARD_COOKIE } from "../src/board.ts";
import { changeDetectors, changedParts } from "./fingerprint.ts";
import { forgedTokens } from "./forged-tokens.ts";
import { anyJson, anyString, type Body, encode, jsonBody, nearMiss, streamBody, urlPiece } from "./fuzz-inputs.ts";
import { seedOrg, startTestApi, type TestApi } from "./harness.ts";
import { TEST_FUZZ_BUDGET_MS, TEST_FUZZ_RUNS, TEST_FUZZ_SEED } from "./test-env.ts";

interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Body | undefined;
}

interface RouteSpec {
  method: string;
  /** The route as Fastify and the OpenAPI document spell it (":orgId"). */
  route: string;
  request: fc.Arbitrary<Request>;
}

const fuzzIso = fc.oneof(
  fc.date({ min: new Date("2000-01-01"), max: new Date("2030-01-01"), noInvalidDate: true }).map((d) => d.toISOString()),
  anyString,
);

describe("API fuzzing", () => {
  let api: TestApi;
  const errorLines: string[] = [];
  const specs: RouteSpec[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        errorLines.push(String(chunk));
        done();
      },
    });
    // Thousands of requests from one token: the rate limit has its own test (rate-limit.test.ts).
    api = await startTestApi("fuzz", { rateLimit: { max: 0 }, logger: createLogger("api-fuzz", "error", sink) });
    const a = await seedOrg(api, "Alpha");
    const b = await seedOrg(api, "Beta");
    // Members an erasure may take (the seeded ones must stay for the other routes).
    const disposable = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const user = await buildUser(api.db, { name: `Disposable ${i}`, email: `disposable${i}@example.org` });
        await buildMembership(api.db, { orgId: a.org.id, userId: user.id });
        return user;
      }),
    );
    const run = await buildRun(api.db, { orgId: a.org.id, status: "completed" });
    const keyBoth = await createApiKey(api.db, { orgId: a.org.id, name: "both", scopes: ["import", "read"], actorId: a.admin.id });
    const keyRead = await createApiKey(api.db, { orgId: a.org.id, name: "read", scopes: ["read"], actorId: a.admin.id });
    const keyB = await createApiKey(api.db, { orgId: b.org.id, name: "b", scopes: ["import", "read"], actorId: b.admin.id });
    const revoked = await createApiKey(api.db, { orgId: a.org.id, name: "revoked", scopes: ["import", "read"], actorId: a.admin.id });
    await revokeApiKey(api.db, { orgId: a.org.id, keyId: revoked.id, actorId: a.admin.id });
    const revocable = await createApiKey(api.db, { orgId: a.org.id, name: "revocable", scopes: ["import"], actorId: a.admin.id });
    const operator = await api.token({ sub: "ops-fuzz", role: "operator" });
    const erasure = await api.app.inject({
      method: "POST",
      url: `/v1/orgs/${a.org.id}/members/${disposable[0]?.id}/erasure`,
      headers: { authorization: `Bearer ${a.adminToken}` },
    });
    expect(erasure.statusCode).toBe(200);
    const erasureId = erasure.json().erasureId as string;

    const forged = Object.values(await forgedTokens({ sub: a.admin.id, org: a.org.id }));
    const credentials = {
      adminA: a.adminToken,
      adminB: b.adminToken,
      member: await a.memberToken(a.steady.id),
      operator,
      keyBoth: keyBoth.key,
      keyRead: keyRead.key,
      keyB: keyB.key,
    };
    const others = [...Object.values(credentials), revoked.key, ...forged, "eng_not_a_key", "eng_aaaaaaaa_bbbb"];
    const authorization = (preferred: (keyof typeof credentials)[]) =>
      fc.oneof(
        { weight: 7, arbitrary: fc.constantFrom(...preferred.map((p) => `Bearer ${credentials[p]}`)) },
        { weight: 2, arbitrary: fc.constantFrom(...others.map((t) => `Bearer ${t}`)) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            "",
            "Bearer",
            "Bearer ",
            "Basic YWRtaW46YWRtaW4=",
            `bearer  ${credentials.adminA}`,
            `Bearer ${credentials.adminA} x`,
          ),
        },
      );

    const ids = {
      // The token's own organisation most of the time: another's is refused (403) before any validation.
      orgId: [a.org.id, a.org.id, a.org.id, b.org.id],
      userId: [a.steady.id, a.drifting.id, a.fresh.id, a.admin.id, b.steady.id],
      disposableUserId: disposable.map((u) => u.id),
      runId: [run.id],
      keyId: [revocable.id, revoked.id, keyB.id],
      erasureId: [erasureId],
    };
    const extraHeaders = fc.dictionary(
      fc.constantFrom("x-api-key", "cookie", "accept", "origin", "x-forwarded-for", "content-encoding", "accept-encoding", "x-request-id"),
      fc.oneof(
        fc.constantFrom("gzip", "br", "*/*", "application/xml", "https://evil.example", `${BOARD_COOKIE}=%zz`, "1.2.3.4, ::1"),
        fc.string({ unit: fc.constantFrom(..."abcXYZ019 ;=,-_%\"'"), maxLength: 30 }),
      ),
      { maxKeys: 2 },
    );
    const queryString = (fields: Record<string, readonly string[]>) =>
      fc
        .tuple(
          fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, fc.option(urlPiece(v, 0.15), { nil: undefined })]))),
          fc.option(fc.tuple(anyString.map(encode), urlPiece([""])), { freq: 3, nil: undefined }),
          fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))),
        )
        .map(([values, extra, repeat]) => {
          const parts = Object.entries(values).flatMap(([k, v]) =>
            v === undefined ? [] : repeat ? [`${k}=${v}`, `${k}=${v}`] : [`${k}=${v}`],
          );
          if (extra) parts.push(`${extra[0]}=${extra[1]}`);
          return parts.length ? `?${parts.join("&")}` : "";
        });

    const add = (
      method: string,
      route: string,
      options: {
        auth?: (keyof typeof credentials)[];
        params?: Record<string, readonly string[]>;
        query?: Record<string, readonly string[]>;
        body?: fc.Arbitrary<Body | undefined>;
        /** Where the board reads its login token. */
        tokenIn?: "board";
      },
    ) => {
      const params = Object.fromEntries(
        (route.match(/:\w+/g) ?? []).map((p) => [p.slice(1), urlPiece(options.params?.[p.slice(1)] ?? [""], 0.25)]),
      );
      const request = fc
        .record({
          params: fc.record(params),
          query: queryString(options.query ?? {}),
          authorization: options.auth ? fc.option(authorization(options.auth), { freq: 10, nil: undefined }) : fc.constant(undefined),
          headers: extraHeaders,
          body: options.body ?? fc.option(jsonBody(anyJson), { freq: 4, nil: undefined }),
        })
        .map(({ params: values, query, authorization: auth, headers, body }) => {
          const path = route.replace(/:(\w+)/g, (_m, name: string) => values[name] ?? "");
          const all: Record<string, string> = { ...headers };
          if (auth !== undefined) all.authorization = auth;
          if (body?.contentType) all["content-type"] = body.contentType;
          return { method, url: `${path}${query}`, headers: all, body };
        });
      specs.push({ method, route, request });
    };

    const L = ["highly_engaged", "moderate", "at_risk", "new", "inactive"];
    const bool = ["true", "false"];
    const limit = ["1", "50", "200", "0", "201", "-5", "1.5", "abc"];
    const admin = ["adminA"] as (keyof typeof credentials)[];
    const future = new Date(Date.now() + 30 * 86_400_000).toISOString();

    add("GET", "/health", {});
    add("GET", "/metrics", {});
    add("GET", "/v1/orgs/:orgId/engagement", {
      auth: ["adminA", "keyBoth", "keyRead"],
      params: ids,
      query: { level: L, source: ["rules", "llm", "fallback", "carried"], overridden: bool, limit, cursor: ["eyJ4IjoxfQ", "AAAA"] },
    });
    add("GET", "/v1/orgs/:orgId/engagement/summary", { auth: ["adminA", "keyRead"], params: ids });
    add("GET", "/v1/orgs/:orgId/members/:userId/engagement", { auth: admin, params: ids });
    for (const method of ["PUT", "DELETE"]) {
      add(method, "/v1/orgs/:orgId/members/:userId/engagement/override", {
        auth: admin,
        params: ids,
        body: jsonBody(
          nearMiss({
            level: fc.constantFrom(...L),
            note: fc.oneof(fc.constantFrom("on leave", "  trimmed  "), anyString),
            expiresAt: fc.oneof(fc.constant(future), fuzzIso),
          }),
        ),
      });
    }
    add("GET", "/v1/orgs/:orgId/members/:userId/engagement/overrides", { auth: admin, params: ids });
    add("GET", "/v1/me/engagement", { auth: ["member", "adminA"], query: { orgId: ids.orgId } });
    add("POST", "/v1/orgs/:orgId/engagement/runs", {
      auth: ["adminA", "operator"],
      params: ids,
      body: jsonBody(nearMiss({ force: fc.boolean() })),
    });
    add("GET", "/v1/orgs/:orgId/engagement/runs/:runId", { auth: ["adminA", "operator"], params: ids });
    add("POST", "/v1/orgs", {
      auth: ["operator"],
      body: jsonBody(
        nearMiss({
          name: fc.oneof(fc.constant("Fuzz Club"), anyString),
          slug: fc.oneof(fc.constant("fuzz-club"), anyString),
          admin: nearMiss({ email: fc.oneof(fc.constant("fuzz@example.org"), anyString), name: anyString }),
        }),
      ),
    });
    add("GET", "/v1/orgs", { auth: ["operator"], query: { limit, cursor: ["alpha", "zzz", "A"] } });
    add("POST", "/v1/orgs/:orgId/api-keys", {
      auth: admin,
      params: ids,
      body: jsonBody(nearMiss({ name: anyString, scopes: fc.array(fc.constantFrom("import", "read", "write"), { maxLength: 3 }) })),
    });
    add("GET", "/v1/orgs/:orgId/api-keys", { auth: admin, params: ids });
    add("DELETE", "/v1/orgs/:orgId/api-keys/:keyId", { auth: admin, params: ids });
    const importQuery = { partial: bool, recompute: bool };
    const memberRow = nearMiss({
      externalId: anyString,
      name: anyString,
      email: fc.oneof(fc.emailAddress(), anyString),
      joinedAt: fuzzIso,
      status: fc.constantFrom("active", "left"),
      role: fc.constantFrom("member", "admin"),
    });
    const eventRow = nearMiss({ externalId: anyString, title: anyString, startsAt: fuzzIso, endsAt: fuzzIso, cancelledAt: fuzzIso });
    const attendanceRow = nearMiss({
      eventExternalId: anyString,
      memberExternalId: anyString,
      status: fc.constantFrom("registered", "attended", "no_show", "cancelled"),
      registeredAt: fuzzIso,
    });
    const rows = { members: memberRow, events: eventRow, attendance: attendanceRow };
    const headers = {
      members: "external_id,name,email,joined_at,status,role",
      events: "external_id,title,starts_at,ends_at,cancelled_at",
      attendance: "event_external_id,member_external_id,status,registered_at,checked_in_at",
    };
    for (const kind of ["members", "events", "attendance"] as const) {
      const importers = ["adminA", "keyBoth"] as (keyof typeof credentials)[];
      add("PUT", `/v1/orgs/:orgId/${kind}`, {
        auth: importers,
        params: ids,
        query: importQuery,
        body: jsonBody(fc.array(rows[kind], { minLength: 1, maxLength: 4 })),
      });
      add("PUT", `/v1/orgs/:orgId/${kind}/bulk`, {
        auth: importers,
        params: ids,
        query: importQuery,
        body: streamBody(headers[kind], rows[kind]),
      });
    }
    add("POST", "/v1/orgs/:orgId/members/:userId/erasure", { auth: admin, params: { ...ids, userId: ids.disposableUserId } });
    add("POST", "/v1/erasures", {
      auth: ["operator"],
      body: jsonBody(
        fc.oneof(
          nearMiss({ userId: fc.constantFrom(...ids.disposableUserId) }),
          nearMiss({ email: fc.constantFrom("disposable3@example.org") }),
        ),
      ),
    });
    add("GET", "/v1/erasures", { auth: ["operator"], query: { limit: ["1", "500", "501", "0"], orgId: ids.orgId } });
    add("POST", "/v1/erasures/:erasureId/lift", { auth: ["operator"], params: ids });
    // The queue board (operators; its own routes, not in the document) and the docs.
    const board = ["operator"] as (keyof typeof credentials)[];
    add("GET", "/admin/queues", { auth: board, query: { token: [operator, credentials.adminA, "x"], status: ["completed"] } });
    add("GET", "/admin/queues/api/queues", {
      auth: board,
      query: { activeQueue: ["engagement-org-run", ""], page: limit, jobsPerPage: limit },
    });
    add("GET", "/admin/queues/api/queues/:queueName/:jobId", {
      auth: board,
      params: { queueName: ["engagement-org-run", "engagement-classify", "nope"], jobId: ["1", `org-run-${run.id}`] },
    });
    add("PUT", "/admin/queues/api/queues/:queueName/pause", { auth: board, params: { queueName: ["engagement-classify", "nope"] } });
    add("GET", "/docs/json", {});
  });

  afterAll(async () => api?.close());

  it("has a generator for every documented operation", async () => {
    const doc = (await api.app.inject({ url: "/docs/json" })).json() as OpenAPIV3.Document;
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item ?? {})
        .filter((m) => ["get", "put", "post", "delete", "patch"].includes(m))
        .map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    const fuzzed = new Set(specs.map((s) => `${s.method} ${s.route}`));
    expect(documented.filter((op) => !fuzzed.has(op))).toEqual([]);
    expect(documented.length).toBeGreaterThan(20);
  });

  it(
    "never answers 5xx, changes nothing on a 4xx, and names the wrong field",
    async () => {
      const detect = await changeDetectors(api.db, api.redis, api.prefix);
      const statuses: Record<string, Record<number, number>> = {};
      const failures: string[] = [];
      const ms = { inject: 0, detect: 0 };
      const started = Date.now();
      let current = await detect.changes();

      for (const [index, spec] of specs.entries()) {
        const label = `${spec.method} ${spec.route}`;
        statuses[label] = {};
        const batchStart = { fingerprint: await detect.fingerprint(), changes: current };
        // The time budget keeps the file bounded on a loaded machine: past its share, a route's remaining runs are
        // skipped (fewer runs, the same first ones). Not fast-check's interruptAfterTimeLimit: it stops waiting for
        // the request in flight, which then finishes during the next route's batch.
        const deadline = performance.now() + TEST_FUZZ_BUDGET_MS / specs.length;
        await fc
          .assert(
            fc.asyncProperty(spec.request, async (req) => {
              if (performance.now() > deadline) return;
              errorLines.length = 0;
              const t0 = performance.now();
              const res = await api.app.inject({
                method: req.method as "GET",
                url: req.url,
                headers: req.headers,
                ...(req.body ? { payload: req.body.payload } : {}),
              });
              const t1 = performance.now();
              const after = await detect.changes();
              ms.inject += t1 - t0;
              ms.detect += performance.now() - t1;
              const counts = statuses[label] as Record<number, number>;
              counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
              const shown = `${req.method} ${req.url} ${JSON.stringify(req.headers)} ${req.body?.payload.slice(0, 300) ?? ""} → ${res.statusCode} ${res.body.slice(0, 300)}`;
              const before = current;
              current = after;
              if (res.statusCode >= 500) throw new Error(`5xx: ${shown}`);
              if (errorLines.length > 0) throw new Error(`error logged: ${errorLines.join("").slice(0, 500)} for ${shown}`);
              if (res.statusCode >= 400) {
                if (after !== before) throw new Error(`a ${res.statusCode} changed something (${before} → ${after}): ${shown}`);
                checkErrorBody(spec.route, res.statusCode, res.body, shown);
              }
            }),
            // One seed per route (the base seed plus its index): the same seed everywhere would send every route the
            // same shapes.
            {
              numRuns: TEST_FUZZ_RUNS,
              seed: TEST_FUZZ_SEED + index,
              endOnFailure: true,
            },
          )
          .catch((err: Error) => {
            // fast-check's message leads with the counterexample; the reason is the property's own error.
            const reason = err.cause instanceof Error ? err.cause.message : err.message;
            failures.push(`${label}: ${reason.slice(0, 1500)}`);
          });
        // The exact check behind the cheap one: a batch the row counter saw write nothing left every table as it was.
        if (current === batchStart.changes) {
          const changed = changedParts(batchStart.fingerprint, await detect.fingerprint());
          if (changed.length > 0) failures.push(`${label}: no row write counted, yet ${changed.join(", ")} changed`);
        }
      }
      // The answers the runs reached: a fuzz that only ever met 401 would prove nothing about validation.
      const fewest = Math.min(...Object.values(statuses).map((c) => Object.values(c).reduce((a, b) => a + b, 0)));
      const total = Object.values(statuses).reduce((n, s) => n + Object.values(s).reduce((a, b) => a + b, 0), 0);
      console.log(
        `fuzz: seeds ${TEST_FUZZ_SEED}+route index, up to ${TEST_FUZZ_RUNS} runs x ${specs.length} routes (fewest ${fewest}) = ${total} requests in ` +
          `${((Date.now() - started) / 1000).toFixed(1)} s (inject ${(ms.inject / 1000).toFixed(1)} s, change checks ${(ms.detect / 1000).toFixed(1)} s); ` +
          `statuses per route:\n${JSON.stringify(statuses)}`,
      );
      expect(failures).toEqual([]);
      // However loaded the machine, each route got enough requests to mean something.
      expect(fewest).toBeGreaterThanOrEqual(Math.min(TEST_FUZZ_RUNS, 10));
      const reached = (code: number) => Object.values(statuses).filter((s) => (s[code] ?? 0) > 0).length;
      expect(reached(200) + reached(201) + reached(202)).toBeGreaterThan(15);
      expect(reached(400)).toBeGreaterThan(15);
    },
    TEST_FUZZ_BUDGET_MS + 60_000,
  );
});

function checkErrorBody(route: string, status: number, text: string, shown: string) {
  let body: { error?: unknown; message?: unknown; issues?: { field?: unknown; message?: unknown }[]; errors?: { field?: unknown }[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`a ${status} that is not JSON: ${shown}`);
  }
  // Bull Board's own answers (an unknown queue or job, a bad query parameter) are its UI's protocol (board.ts),
  // translated by the UI from their keys: not the API's shape, but a 400 still names its field.
  const boardError = body.error as { key?: unknown; options?: { field?: unknown } } | undefined;
  if (route.startsWith("/admin/queues/api/") && typeof boardError?.key === "string") {
    if (status === 400 && typeof boardError.options?.field !== "string") throw new Error(`a board 400 without its field: ${shown}`);
    return;
  }
  if (status === 422 && Array.isArray(body.errors)) {
    if (body.errors.length === 0 || body.errors.some((e) => typeof e.field !== "string" || !e.field))
      throw new Error(`a 422 without fields: ${shown}`);
    return;
  }
  if (typeof body.error !== "string" || typeof body.message !== "string") throw new Error(`a ${status} not in the error shape: ${shown}`);
  if ([400, 413, 415].includes(status)) {
    const fields = body.issues?.map((i) => i.field) ?? [];
    if (fields.length === 0 || fields.some((f) => typeof f !== "string" || !/^(params|query|body|headers)(\.|\[|$)/.test(f))) {
      throw new Error(`a ${status} that does not name the field: ${shown}`);
    }
  }
}
