// Imports from the organisation's own systems, for its admins and its import keys. Each row is validated on its
// own, so the answer lists every bad row with its index and field; the data package then checks the rows against
// what is stored and writes them in one transaction: all or nothing, unless ?partial=true applies the good rows.
import { type ImportKindName, validateAndImport } from "@engagement/db";
import { enqueueOrgRun } from "@engagement/use-cases";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AccessHooks } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { errorResponses } from "../errors.ts";
import { bearer, OrgParams } from "../schemas/common.schemas.ts";

/** Rows per JSON request; larger loads are for the streamed import. */
export const MAX_IMPORT_ROWS = 10_000;
/** A full JSON request of members is about 2 MB; the API's default body limit (64 KB) is for everything else. */
const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

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

/** The routes, one per kind: the path is the kind's name. */
const KINDS: { kind: ImportKindName; what: string }[] = [
  { kind: "members", what: "members by external id (a person in two organisations is one user, by email)" },
  { kind: "events", what: "events by external id" },
  { kind: "attendance", what: "attendance by (event external id, member external id); an unknown event or member is a row error" },
];

export function importRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
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
          // One run per organisation: when one is already queued or running, the caller is told which it is.
          const run =
            req.query.recompute === "true"
              ? await enqueueOrgRun(deps.db, deps.queues, { orgId: req.params.orgId, trigger: "manual" }).then((r) => ({
                  runId: r.runId,
                  alreadyActive: r.alreadyActive ?? false,
                }))
              : undefined;
          return reply.code(200).send({ ...counts, errors: all, ...(run ? { run } : {}) });
        },
      );
    }
  };
}
