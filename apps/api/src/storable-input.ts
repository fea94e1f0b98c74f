// Every string of every request (path parameters, query, JSON body, keys included) is checked once, here, for
// text PostgreSQL cannot store, before any route's own validation runs: a NUL or an unpaired surrogate is a
// 400 naming the field, whichever route it was sent to and whatever column it was bound for (routes added
// later, such as imports, are covered without doing anything).
import { findUnstorableText } from "@engagement/db";
import type { FastifyInstance } from "fastify";
import { badRequest } from "./errors.ts";

const isStream = (body: unknown) => typeof (body as { pipe?: unknown } | null)?.pipe === "function";

export function refuseUnstorableText(app: FastifyInstance): void {
  app.addHook("preValidation", async (req) => {
    const issues = [
      ...findUnstorableText(req.params, "params"),
      ...findUnstorableText(req.query, "query"),
      // A streamed import body is not parsed here: its rows are checked one by one as they are read.
      ...(isStream(req.body) ? [] : findUnstorableText(req.body, "body")),
    ];
    if (issues.length > 0) throw badRequest(issues);
  });
}
