// Imports from the organisation's own systems, for its admins and its import keys. Each row is validated on its
// own, so the answer lists every bad row with its index (or line) and field; the data package then checks the rows
// against what is stored and writes them in one transaction: all or nothing, unless ?partial=true applies the good
// rows. JSON arrays of up to 10,000 rows go to /v1/orgs/:orgId/<kind>; larger loads stream NDJSON or CSV bodies to
// /v1/orgs/:orgId/<kind>/bulk, read row by row into the staging table, never held in memory.
import { Readable } from "node:stream";
import {
  csvHeader,
  csvImportRows,
  type ImportReport as DbImportReport,
  ImportFormatError,
  type ImportKindName,
  MAX_LISTED_REFUSALS,
  ndjsonImportRows,
  validateAndImport,
} from "@engagement/db";
import { enqueueOrgRun } from "@engagement/use-cases";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AccessHooks } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { ApiError, badRequest, errorResponses } from "../errors.ts";
import { bearer, OrgParams } from "../schemas/common.schemas.ts";

/** Rows per JSON request; larger loads are for the streamed import. */
export const MAX_IMPORT_ROWS = 10_000;
/** A full JSON request of members is about 2 MB; the API's default body limit (64 KB) is for everything else. */
const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

/** A streamed body is refused beyond this size (1,000,000 attendance rows as CSV are about 90 MB). */
export const MAX_STREAM_BYTES = 512 * 1024 * 1024;
const STREAM_TYPES = { ndjson: "application/x-ndjson", csv: "text/csv" } as const;

const RowError = z.object({ index: z.number().int(), field: z.string(), message: z.string() });

const ImportReport = z.object({
  applied: z.boolean().describe("false: a bad row stopped the request and nothing was written"),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  errors: z.array(RowError).describe("every refused row, with its index in the request and the field"),
  run: z
    .object({ runId: z.uuid(), alreadyActive: z.boolean() })
    .optional()
    .describe("with ?recompute=true and rows applied: the manual run that scores the organisation again"),
});

const StreamReport = z.object({
  applied: z.boolean().describe("false: a bad row stopped the request and nothing was written"),
  rows: z.number().int().describe("rows read (the CSV header and blank lines are not rows)"),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  refused: z.number().int().describe("rows refused"),
  errors: z
    .array(z.object({ line: z.number().int().describe("the body's line (1 = the CSV header)"), field: z.string(), message: z.string() }))
    .describe(`the refused rows' errors, for the first ${MAX_LISTED_REFUSALS.toLocaleString("en")} refused rows`),
  errorsTruncated: z.boolean().describe("more rows were refused than `errors` lists"),
  run: ImportReport.shape.run,
});

/** What one streamed body may cost: its size, its longest line, how long it may go silent. */
export const STREAM_LIMITS = {
  maxBytes: MAX_STREAM_BYTES,
  /** A row is a line (CSV quoted newlines aside): one line of hundreds of MB would be held whole by the parser. */
  maxLineBytes: 1024 * 1024,
  /** A body that sends nothing for this long is abandoned: it holds a database connection while it waits. */
  idleMs: 30_000,
  /** Streamed imports at once per API process; each holds two database connections while it runs. */
  concurrent: 2,
};

const tooLarge = (message: string) => new ApiError(413, "payload_too_large", message, [{ field: "body", message }]);

/**
 * The body as a stream that counts as it is read: past the size or line limit, or silent too long, it fails with a
 * 4xx the import reports, so a streamed body is bounded however the sender behaves. Nothing is read until the
 * import reads (a Transform piped at once would fail before anyone listens, and an unheard 'error' ends the process).
 */
function bounded(body: Readable, limits: typeof STREAM_LIMITS): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    let bytes = 0;
    let sinceNewline = 0;
    // Stopped early by a limit, the rest of the body is left unread, and Node closes the connection once the
    // answer is sent (destroying the request here would close it before the answer).
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const silent = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ApiError(408, "request_timeout", `the body sent nothing for ${limits.idleMs / 1000} s`)),
          limits.idleMs,
        );
      });
      const next = await Promise.race([source.next(), silent]).finally(() => clearTimeout(timer));
      if (next.done) return;
      const chunk = next.value;
      bytes += chunk.length;
      if (bytes > limits.maxBytes) throw tooLarge(`the body is larger than ${limits.maxBytes / 1024 / 1024} MB`);
      // The longest line so far: the run carried over from the last chunk, then each line of this one.
      let longest = 0;
      let start = 0;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) {
        longest = Math.max(longest, sinceNewline + at - start);
        sinceNewline = 0;
        start = at + 1;
      }
      sinceNewline += chunk.length - start;
      if (Math.max(longest, sinceNewline) > limits.maxLineBytes) {
        throw tooLarge(`a line is longer than ${limits.maxLineBytes / 1024 / 1024} MB`);
      }
      yield chunk;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** The routes, one per kind: the path is the kind's name. */
const KINDS: { kind: ImportKindName; what: string }[] = [
  { kind: "members", what: "members by external id (a person in two organisations is one user, by email)" },
  { kind: "events", what: "events by external id" },
  { kind: "attendance", what: "attendance by (event external id, member external id); an unknown event or member is a row error" },
];

export function importRoutes(deps: ApiDeps, access: AccessHooks, limits = STREAM_LIMITS): FastifyPluginAsyncZod {
  let streaming = 0;
  // One run per organisation: when one is already queued or running, the caller is told which it is.
  const recompute = (orgId: string) =>
    enqueueOrgRun(deps.db, deps.queues, { orgId, trigger: "manual" }).then((r) => ({
      runId: r.runId,
      alreadyActive: r.alreadyActive ?? false,
    }));
  return async (app) => {
    for (const k of KINDS) {
      app.put(
        `/v1/orgs/:orgId/${k.kind}`,
        {
          onRequest: access.orgImporter,
          bodyLimit: IMPORT_BODY_LIMIT,
          schema: {
            tags: ["imports"],
            summary: `Create or update ${k.what}: a JSON array of up to ${MAX_IMPORT_ROWS} rows; idempotent`,
            security: bearer,
            params: OrgParams,
            querystring: z.object({
              partial: z.enum(["true", "false"]).default("false").describe("true: apply the good rows, report the bad"),
              recompute: z.enum(["true", "false"]).default("false").describe("true: start a run of the organisation once the rows are in"),
            }),
            // Rows are validated one by one below, so that every bad row is reported with its index.
            body: z.array(z.unknown()).min(1).max(MAX_IMPORT_ROWS),
            response: { 200: ImportReport, 422: ImportReport, ...errorResponses(400, 401, 403, 404) },
          },
        },
        async (req, reply) => {
          const partial = req.query.partial === "true";
          const report = await validateAndImport(
            deps.db,
            k.kind,
            req.params.orgId,
            req.body.map((value, position) => ({ position, value })),
            { partial, byKey: req.apiKey !== null },
          );
          const { errors: refused, rows: _rows, errorsTruncated: _truncated, refused: _refused, ...counts } = report;
          const all = refused.map(({ position, field, message }) => ({ index: position, field, message }));
          req.log.info(
            {
              orgId: req.params.orgId,
              keyId: req.apiKey?.id,
              kind: k.kind,
              inserted: report.inserted,
              updated: report.updated,
              refused: report.refused,
            },
            "rows imported",
          );
          if (!report.applied) return reply.code(422).send({ ...counts, errors: all });
          const run = req.query.recompute === "true" ? await recompute(req.params.orgId) : undefined;
          return reply.code(200).send({ ...counts, errors: all, ...(run ? { run } : {}) });
        },
      );
    }

    // A streamed body reaches the route unread: the import reads it row by row.
    app.addContentTypeParser([STREAM_TYPES.ndjson, STREAM_TYPES.csv], (_req, payload, done) => done(null, payload));
    for (const k of KINDS) {
      app.put(
        `/v1/orgs/:orgId/${k.kind}/bulk`,
        {
          onRequest: access.orgImporter,
          schema: {
            tags: ["imports"],
            summary: `Create or update ${k.what}, streamed: NDJSON or CSV, any number of rows; idempotent`,
            description:
              `Content-Type \`${STREAM_TYPES.ndjson}\` (one JSON object per line, the fields of the JSON route) or ` +
              `\`${STREAM_TYPES.csv}\` with the header \`${csvHeader(k.kind)}\` (a UTF-8 BOM, CRLF and quoted fields are fine). ` +
              `The body is read as it arrives; errors name its line. At most ${MAX_STREAM_BYTES / 1024 / 1024} MB.`,
            security: bearer,
            params: OrgParams,
            querystring: z.object({
              partial: z.enum(["true", "false"]).default("false").describe("true: apply the good rows, report the bad"),
              recompute: z.enum(["true", "false"]).default("false").describe("true: start a run of the organisation once the rows are in"),
            }),
            response: { 200: StreamReport, 422: StreamReport, ...errorResponses(400, 401, 403, 404, 503) },
          },
        },
        async (req, reply) => {
          const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
          if (type !== STREAM_TYPES.ndjson && type !== STREAM_TYPES.csv) {
            const message = `send ${STREAM_TYPES.ndjson} or ${STREAM_TYPES.csv} to this route`;
            throw new ApiError(415, "unsupported_media_type", message, [{ field: "headers.content-type", message }]);
          }
          // Each streamed import holds two database connections while it runs: past the cap, come back later
          // rather than wait for (or starve) the pool every other request needs.
          if (streaming >= limits.concurrent) {
            reply.header("retry-after", "30");
            throw new ApiError(503, "busy", `${limits.concurrent} streamed imports are running; retry in 30 s`);
          }
          streaming++;
          const body = bounded(req.body as Readable, limits);
          const rows = type === STREAM_TYPES.csv ? csvImportRows(k.kind, body, "body") : ndjsonImportRows(body);
          let report: DbImportReport;
          try {
            report = await validateAndImport(deps.db, k.kind, req.params.orgId, rows, {
              partial: req.query.partial === "true",
              byKey: req.apiKey !== null,
            });
          } catch (err) {
            // A body that is not the CSV it says (a missing column, an unclosed quote): nothing was written.
            if (err instanceof ImportFormatError) throw badRequest([{ field: "body", message: err.message }]);
            throw err;
          } finally {
            streaming--;
          }
          req.log.info(
            {
              orgId: req.params.orgId,
              keyId: req.apiKey?.id,
              kind: k.kind,
              rows: report.rows,
              inserted: report.inserted,
              updated: report.updated,
              refused: report.refused,
            },
            "rows imported (streamed)",
          );
          const { errors, ...rest } = report;
          const out = { ...rest, errors: errors.map(({ position, field, message }) => ({ line: position, field, message })) };
          if (!report.applied) return reply.code(422).send(out);
          const run = req.query.recompute === "true" ? await recompute(req.params.orgId) : undefined;
          return reply.code(200).send({ ...out, ...(run ? { run } : {}) });
        },
      );
    }
  };
}
