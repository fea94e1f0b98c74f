import SwaggerParser from "@apidevtools/swagger-parser";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import type { OpenAPIV3 } from "openapi-types";
import { startTestApi, type TestApi } from "../test/harness.ts";

describe("OpenAPI document", () => {
  let api: TestApi;
  let doc: OpenAPIV3.Document;

  beforeAll(async () => {
    api = await startTestApi("openapi");
    const res = await api.app.inject({ url: "/docs/json" });
    expect(res.statusCode).toBe(200);
    doc = res.json();
  });
  afterAll(async () => api.close());

  it("is a valid OpenAPI 3 document", async () => {
    // validate() dereferences in place; give it a copy so later assertions see the document as served.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(doc.openapi).toMatch(/^3\./);
    // The validator is not a rubber stamp: a response without its required description is refused.
    const broken = structuredClone(doc) as unknown as { paths: Record<string, unknown> };
    broken.paths["/broken"] = { get: { responses: { 200: { content: {} } } } };
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow(/description/);
  });

  it("documents every route, and not the queue board", () => {
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item ?? {})
        .filter((k) => ["get", "put", "post", "delete"].includes(k))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /health",
        "GET /metrics",
        "GET /v1/orgs/{orgId}/engagement",
        "GET /v1/orgs/{orgId}/engagement/summary",
        "GET /v1/orgs/{orgId}/members/{userId}/engagement",
        "PUT /v1/orgs/{orgId}/attendance",
        "PUT /v1/orgs/{orgId}/attendance/bulk",
        "PUT /v1/orgs/{orgId}/events",
        "PUT /v1/orgs/{orgId}/events/bulk",
        "PUT /v1/orgs/{orgId}/members",
        "PUT /v1/orgs/{orgId}/members/bulk",
        "PUT /v1/orgs/{orgId}/members/{userId}/engagement/override",
        "DELETE /v1/orgs/{orgId}/api-keys/{keyId}",
        "DELETE /v1/orgs/{orgId}/members/{userId}/engagement/override",
        "GET /v1/orgs/{orgId}/members/{userId}/engagement/overrides",
        "GET /v1/me/engagement",
        "GET /v1/orgs",
        "GET /v1/orgs/{orgId}/api-keys",
        "POST /v1/orgs",
        "POST /v1/orgs/{orgId}/api-keys",
        "POST /v1/orgs/{orgId}/engagement/runs",
        "GET /v1/orgs/{orgId}/engagement/runs/{runId}",
        "POST /v1/orgs/{orgId}/members/{userId}/erasure",
        "POST /v1/erasures",
        "GET /v1/erasures",
        "POST /v1/erasures/{erasureId}/lift",
      ].sort(),
    );
  });

  it("describes bodies and responses from the zod schemas, with bearer auth on /v1 routes", () => {
    const put = doc.paths["/v1/orgs/{orgId}/members/{userId}/engagement/override"]?.put;
    const requestBody = put?.requestBody as OpenAPIV3.RequestBodyObject;
    const body = requestBody.content["application/json"]?.schema as OpenAPIV3.SchemaObject;
    expect(body.required).toEqual(["level", "note"]);
    expect(body.properties?.note).toMatchObject({ type: "string", minLength: 1, maxLength: 1000 });
    expect(put?.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(put?.responses ?? {}).sort()).toEqual(["200", "400", "401", "403", "404", "429"]);
    const del = doc.paths["/v1/orgs/{orgId}/members/{userId}/engagement/override"]?.delete;
    expect((del?.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.required).toBe(false);
    expect(doc.components?.securitySchemes?.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("documents the rate limit's 429 with retry-after on every /v1 operation, and not on /health or /metrics", () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const op of [item?.get, item?.put, item?.post, item?.delete]) {
        if (!op) continue;
        const tooMany = op.responses["429"] as OpenAPIV3.ResponseObject | undefined;
        if (!path.startsWith("/v1/")) {
          expect([path, tooMany]).toEqual([path, undefined]);
          continue;
        }
        expect([path, Object.keys(tooMany?.headers ?? {})]).toEqual([path, expect.arrayContaining(["retry-after"])]);
        expect(tooMany?.content?.["application/json"]?.schema).toEqual(
          (op.responses["401"] as OpenAPIV3.ResponseObject).content?.["application/json"]?.schema,
        );
      }
    }
  });

  it("the member view's documented response has no admin field", () => {
    const ok = doc.paths["/v1/me/engagement"]?.get?.responses["200"] as OpenAPIV3.ResponseObject;
    const schema = ok.content?.["application/json"]?.schema as OpenAPIV3.SchemaObject;
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(["computedAt", "label", "memberExplanation", "orgId"]);
  });

  it("serves the interactive documentation at /docs", async () => {
    const res = await api.app.inject({ url: "/docs/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
  });
});
