// The OpenAPI 3 document, generated from the routes' zod schemas: GET /docs (UI) and GET /docs/json.
// Routes marked hide (Bull Board, the docs themselves) are left out.
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import type { OpenAPIV3 } from "openapi-types";

export const DOCS_PATH = "/docs";

export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "Member engagement API",
        version: "1.0.0",
        description:
          "Engagement levels of members, admin overrides with audit, the member's own view and classification runs. " +
          "Authenticate with `Authorization: Bearer <JWT>` (HS256; claims sub, org, role admin|member|operator, exp). " +
          "Each token or API key may make API_RATE_LIMIT_MAX requests per API_RATE_LIMIT_WINDOW_MS (1,200 a minute by default), " +
          "shared by every API process; past it, 429 with `retry-after` in seconds.",
      },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT" } } },
      tags: [
        { name: "engagement", description: "Admin dashboard reads" },
        { name: "overrides", description: "Admin overrides and their audit trail" },
        { name: "member", description: "A member's own view" },
        { name: "runs", description: "Classification runs" },
        { name: "erasures", description: "Erasure of a person (GDPR), its tombstones, and lifting them" },
        { name: "operations", description: "Health and metrics" },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: (doc) =>
      "openapiObject" in doc
        ? documentRateLimit(documentStreamedBodies(markOptionalBodies(doc.openapiObject as OpenAPIV3.Document)))
        : doc.swaggerObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PATH });
}

/**
 * @fastify/swagger marks every request body required. A route whose body schema is nullish (DELETE override,
 * POST runs) accepts no body at all, so say so: the body schema is `nullable` exactly for those routes.
 */
function markOptionalBodies(doc: OpenAPIV3.Document): OpenAPIV3.Document {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ["post", "put", "patch", "delete"] as const) {
      const body = item?.[method]?.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      const schema = body?.content["application/json"]?.schema as OpenAPIV3.SchemaObject | undefined;
      if (body && schema?.nullable) body.required = false;
    }
  }
  return doc;
}

/** The streamed import routes read their body themselves (no body schema), so their content types are added here. */
function documentStreamedBodies(doc: OpenAPIV3.Document): OpenAPIV3.Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const put = item?.put;
    if (!put || !path.endsWith("/bulk")) continue;
    const text = (description: string): OpenAPIV3.MediaTypeObject => ({ schema: { type: "string", description } });
    put.requestBody = {
      required: true,
      content: {
        "application/x-ndjson": text("one JSON object per line, with the fields of the JSON route's rows"),
        "text/csv": text("a header line with the kind's snake_case columns, then one row per line"),
      },
    };
  }
  return doc;
}

/**
 * The rate limit (rate-limit.ts) answers every authenticated route with 429 past the limit; /health and /metrics,
 * which it leaves out, document none. The body is the API's error shape, as in the route's own 401.
 */
function documentRateLimit(doc: OpenAPIV3.Document): OpenAPIV3.Document {
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    if (!path.startsWith("/v1/")) continue;
    for (const method of ["get", "put", "post", "delete"] as const) {
      const op = item?.[method];
      const unauthorized = op?.responses["401"] as OpenAPIV3.ResponseObject | undefined;
      if (!op || !unauthorized?.content) continue;
      op.responses["429"] = {
        description: "Too many requests for this token or API key in the window: retry after `retry-after` seconds",
        headers: {
          "retry-after": { description: "seconds until the window resets", schema: { type: "integer" } },
          "x-ratelimit-limit": { description: "requests allowed per window", schema: { type: "integer" } },
          "x-ratelimit-remaining": { description: "requests left in the window", schema: { type: "integer" } },
          "x-ratelimit-reset": { description: "seconds until the window resets", schema: { type: "integer" } },
        },
        content: unauthorized.content,
      };
    }
  }
  return doc;
}
