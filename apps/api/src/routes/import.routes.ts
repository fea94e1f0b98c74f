// Imports from the organisation's own systems, for its admins and its import keys. Each row is validated on its
// own, so the answer lists every bad row with its index and field; the data package then checks the rows against
// what is stored and writes them in one transaction: all or nothing, unless ?partial=true applies the good rows.
import { importMembers, type MemberImportRow } from "@engagement/db";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AccessHooks } from "../auth/auth.plugin.ts";
import type { ApiDeps } from "../deps.ts";
import { errorResponses } from "../errors.ts";
import { bearer, OrgParams, Timestamp } from "../schemas/common.schemas.ts";

/** Rows per JSON request; larger loads are for the streamed import. */
export const MAX_IMPORT_ROWS = 10_000;
/** A full JSON request of members is about 2 MB; the API's default body limit (64 KB) is for everything else. */
const IMPORT_BODY_LIMIT = 8 * 1024 * 1024;

const Text = (max: number) => z.string().trim().min(1, "must not be empty").max(max);

export const MemberRow = z
  .object({
    externalId: Text(200).describe("the organisation's own id for the member"),
    name: Text(200),
    email: z.string().trim().max(320).pipe(z.email()),
    joinedAt: Timestamp.describe("ISO 8601 with an offset"),
    status: z.enum(["active", "left"]).default("active"),
    leftAt: Timestamp.nullish().describe("when the member left; required with status left"),
    role: z.enum(["member", "admin"]).default("member"),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (row.status === "left" && !row.leftAt) ctx.addIssue({ code: "custom", path: ["leftAt"], message: "required when status is left" });
    if (row.status === "active" && row.leftAt) ctx.addIssue({ code: "custom", path: ["leftAt"], message: "only with status left" });
    if (row.leftAt && Date.parse(row.leftAt) < Date.parse(row.joinedAt)) {
      ctx.addIssue({ code: "custom", path: ["leftAt"], message: "must not be before joinedAt" });
    }
  });

const RowError = z.object({ index: z.number().int(), field: z.string(), message: z.string() });

const ImportReport = z.object({
  applied: z.boolean().describe("false: a bad row stopped the request and nothing was written"),
  inserted: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  errors: z.array(RowError).describe("every refused row, with its index in the request and the field"),
});

export function importRoutes(deps: ApiDeps, access: AccessHooks): FastifyPluginAsyncZod {
  return async (app) => {
    app.put(
      "/v1/orgs/:orgId/members",
      {
        onRequest: access.orgImporter,
        bodyLimit: IMPORT_BODY_LIMIT,
        schema: {
          tags: ["imports"],
          summary: `Create or update members by external id (a JSON array of up to ${MAX_IMPORT_ROWS} rows); idempotent`,
          security: bearer,
          params: OrgParams,
          querystring: z.object({
            partial: z.enum(["true", "false"]).default("false").describe("true: apply the good rows, report the bad"),
          }),
          // Rows are validated one by one below, so that every bad row is reported with its index.
          body: z.array(z.unknown()).min(1).max(MAX_IMPORT_ROWS),
          response: { 200: ImportReport, 422: ImportReport, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (req, reply) => {
        const rows: MemberImportRow[] = [];
        // Each valid row's position in the request: the data package numbers only the rows it is given.
        const indexOf: number[] = [];
        const errors: z.infer<typeof RowError>[] = [];
        req.body.forEach((raw, index) => {
          const parsed = MemberRow.safeParse(raw);
          if (!parsed.success) {
            for (const issue of parsed.error.issues) errors.push({ index, field: issue.path.join(".") || "row", message: issue.message });
            return;
          }
          const r = parsed.data;
          rows.push({
            externalId: r.externalId,
            name: r.name,
            email: r.email,
            joinedAt: new Date(r.joinedAt),
            status: r.status,
            leftAt: r.leftAt ? new Date(r.leftAt) : null,
            role: r.role,
          });
          indexOf.push(index);
        });
        const partial = req.query.partial === "true";
        if (errors.length > 0 && !partial) {
          return reply.code(422).send({ applied: false, inserted: 0, updated: 0, unchanged: 0, errors });
        }
        const result = await importMembers(deps.db, req.params.orgId, rows, { partial });
        const all = [...errors, ...result.errors.map((e) => ({ ...e, index: indexOf[e.index] as number }))].sort(
          (a, b) => a.index - b.index,
        );
        req.log.info(
          { orgId: req.params.orgId, keyId: req.apiKey?.id, inserted: result.inserted, updated: result.updated, refused: all.length },
          "members imported",
        );
        return reply.code(result.applied ? 200 : 422).send({ ...result, errors: all });
      },
    );
  };
}
