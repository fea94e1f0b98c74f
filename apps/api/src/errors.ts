// One error shape for every failure, so clients branch on `error` and show `message`:
//   { error: "bad_request" | "unauthorized" | "forbidden" | "not_found" | ..., message, issues? }
// A 400 lists every offending field of the failing request part as { field: "body.note", message }.
// Fastify validates params, then body, then querystring and stops at the first part that fails, so one 400
// lists the fields of one part; fixing them and resending reveals the next part's, if any.

import { redactUrlCredentials } from "@engagement/runtime";
import type { FastifyError, FastifyInstance } from "fastify";
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
  415: "unsupported_media_type",
};

const PARTS: Record<string, string> = { body: "body", querystring: "query", params: "params", headers: "headers" };

function fieldName(part: string, instancePath: string): string {
  const path = instancePath.replace(/^\//, "").split("/").filter(Boolean).join(".");
  return path ? `${part}.${path}` : part;
}

export function toErrorBody(err: FastifyError | ApiError | Error): { status: number; body: ErrorBody } {
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
    return { status, body: { error: CLIENT_ERROR_CODES[status] ?? `http_${status}`, message: err.message } };
  }
  return { status: 500, body: { error: "internal", message: "internal server error" } };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, body } = toErrorBody(err);
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
