// One error shape for every failure, so clients branch on `error` and show `message`:
//   { error: "bad_request" | "unauthorized" | "forbidden" | "not_found" | ..., message, issues? }
// A 400 lists every offending field of the failing request part as { field: "body.note", message }.
// Fastify validates params, then body, then querystring and stops at the first part that fails, so one 400
// lists the fields of one part; fixing them and resending reveals the next part's, if any.

import { redactUrlCredentials } from "@engagement/runtime";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from "fastify-type-provider-zod";
import { z } from "zod";

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** A 400 in the same shape as a schema validation failure: every offending field, named. */
export const badRequest = (issues: FieldIssue[]) =>
  new ApiError(400, "bad_request", `invalid ${issues.map((i) => i.field).join(", ")}`, issues);

export const unauthorized = (message: string) => new ApiError(401, "unauthorized", message);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);
export const notFound = (message: string, code = "not_found") => new ApiError(404, code, message);
export const conflict = (message: string, code = "conflict") => new ApiError(409, code, message);

export const ErrorBody = z
  .object({
    error: z.string().describe("machine-readable error code"),
    message: z.string(),
    issues: z.array(z.object({ field: z.string().describe('e.g. "body.note" or "query.limit"'), message: z.string() })).optional(),
  })
  .describe("Error");
export type ErrorBody = z.infer<typeof ErrorBody>;

/** The error responses a route documents, by status code. */
export function errorResponses<const C extends readonly (400 | 401 | 403 | 404 | 409 | 503)[]>(...codes: C) {
  return Object.fromEntries(codes.map((c) => [c, ErrorBody])) as { [K in C[number]]: typeof ErrorBody };
}

const CLIENT_ERROR_CODES: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  414: "uri_too_long",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/**
 * Fastify's own refusals of a body, by code, with the field they are about and a message that says what to do
 * (Fastify's say "Unsupported Media Type" and nothing else). Found by the fuzz test: they answered without
 * `issues`, unlike every other 400.
 */
function fastifyBodyIssue(err: FastifyError, req: FastifyRequest | undefined): { message: string; issue: FieldIssue } | null {
  const code = err.code ?? "";
  if (!code.startsWith("FST_ERR_CTP_")) return null;
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    const limit = req?.routeOptions.bodyLimit;
    const message = `the body is larger than ${limit === undefined ? "this route accepts" : `${limit.toLocaleString("en")} bytes, the limit of this route`}`;
    return { message, issue: { field: "body", message } };
  }
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || code === "FST_ERR_CTP_INVALID_TYPE" || code === "FST_ERR_CTP_EMPTY_TYPE") {
    const message = `content-type ${JSON.stringify((req?.headers["content-type"] ?? "").slice(0, 100))} is not accepted by this route`;
    return { message, issue: { field: "headers.content-type", message } };
  }
  if (code === "FST_ERR_CTP_INVALID_CONTENT_LENGTH") {
    return { message: err.message, issue: { field: "headers.content-length", message: err.message } };
  }
  return { message: err.message, issue: { field: "body", message: err.message } };
}

const PARTS: Record<string, string> = { body: "body", querystring: "query", params: "params", headers: "headers" };

function fieldName(part: string, instancePath: string): string {
  const path = instancePath.replace(/^\//, "").split("/").filter(Boolean).join(".");
  return path ? `${part}.${path}` : part;
}

export function toErrorBody(err: FastifyError | ApiError | Error, req?: FastifyRequest): { status: number; body: ErrorBody } {
  if (err instanceof ApiError) {
    return { status: err.statusCode, body: { error: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const part = PARTS[err.validationContext ?? "body"] ?? "body";
    const issues = err.validation.map((v) => ({ field: fieldName(part, v.instancePath), message: v.message ?? "invalid" }));
    return { status: 400, body: { error: "bad_request", message: `invalid ${part}: ${issues.map((i) => i.field).join(", ")}`, issues } };
  }
  const status = (err as FastifyError).statusCode;
  // Fastify's own client errors (malformed JSON, unsupported media type, body too large) keep their status.
  if (status && status >= 400 && status < 500) {
    const named = fastifyBodyIssue(err as FastifyError, req);
    const error = CLIENT_ERROR_CODES[status] ?? `http_${status}`;
    return { status, body: named ? { error, message: named.message, issues: [named.issue] } : { error, message: err.message } };
  }
  return { status: 500, body: { error: "internal", message: "internal server error" } };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, body } = toErrorBody(err, req);
    if (status >= 500) {
      // A response that does not match its schema is our bug; log the zod issues, never send them.
      const detail = isResponseSerializationError(err) ? { issues: (err.cause as { issues?: unknown } | undefined)?.issues } : {};
      req.log.error({ err, ...detail, url: redactUrlCredentials(req.url) }, "request failed");
    }
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: "not_found", message: `no route ${req.method} ${redactUrlCredentials(req.url)}` } satisfies ErrorBody),
  );
}

/**
 * Refusals Fastify makes while routing, before any hook or error handler: a path with a broken percent-escape
 * (`/v1/orgs/%C0%AF`) and a path parameter over the router's length limit. Without this they answered in
 * Fastify's shape, echoing the whole URL (query string and any token in it included); found by the fuzz test.
 */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply) {
  const tooLong = err.code === "FST_ERR_MAX_PARAM_LENGTH";
  const message = tooLong
    ? "a path parameter is longer than the router accepts"
    : err.code === "FST_ERR_BAD_URL"
      ? "the path has a malformed percent-escape (not UTF-8)"
      : "the request could not be routed";
  const body: ErrorBody = { error: tooLong ? "uri_too_long" : "bad_request", message, issues: [{ field: "params", message }] };
  return reply.code(tooLong ? 414 : 400).send(body);
}
