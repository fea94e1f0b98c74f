// One spelling of an id everywhere past the boundary. PostgreSQL compares uuids case-blind, but JavaScript,
// advisory-lock keys and Redis job ids compare strings: "/v1/orgs/<ID IN UPPER CASE>/..." once took another
// lock than the lower-case path (two runs of one organisation at once) and missed its own run on GET.
// Path parameters, query parameters and token claims are therefore lower-cased as they are parsed.
import { z } from "zod";

/** Whether `value` is a UUID (any case): the one check the API and the CLI make of an id. */
export const isUuid = (value: unknown): value is string => z.uuid().safeParse(value).success;

/** The canonical (lower-case) form of a UUID; other values are returned unchanged for validation to refuse. */
export function canonicalId<T>(value: T): T {
  return (isUuid(value) ? value.toLowerCase() : value) as T;
}

/** A UUID in any case on input, its canonical form on output. */
export const Id = () => z.uuid().overwrite((value) => value.toLowerCase());
