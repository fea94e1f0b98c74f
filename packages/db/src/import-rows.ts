// The rows an organisation sends in (API JSON bodies and the CLI's CSV files alike), validated one by one so that
// every bad row is reported with its field. Field names are the API's; the CLI maps its CSV headers onto them.
import { z } from "zod";
import type { Db, DbTx } from "./client.ts";
import { type AttendanceImportRow, type EventImportRow, importAttendance, importEvents } from "./repositories/event-import.ts";
import {
  type ImportCounts,
  type ImportOptions,
  type ImportResult,
  importMembers,
  type MemberImportRow,
} from "./repositories/member-import.ts";

const IsoTimestamp = z.iso.datetime({ offset: true });

const Text = (max: number) => z.string().trim().min(1, "must not be empty").max(max);
/** ISO 8601 with an offset, in years PostgreSQL and people mean (0000 parses as ISO but cannot be stored). */
const When = IsoTimestamp.refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 1900 && year <= 2200;
}, "must be a date between the years 1900 and 2200");

export const MemberRow = z
  .object({
    externalId: Text(200).describe("the organisation's own id for the member"),
    name: Text(200),
    email: z.string().trim().max(320).pipe(z.email()),
    joinedAt: When.describe("ISO 8601 with an offset"),
    status: z.enum(["active", "left"]).default("active"),
    leftAt: When.nullish().describe("when the member left; required with status left"),
    role: z.enum(["member", "admin"]).optional().describe("omitted: member for a new member; an existing member keeps theirs"),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (row.status === "left" && !row.leftAt) ctx.addIssue({ code: "custom", path: ["leftAt"], message: "required when status is left" });
    if (row.status === "active" && row.leftAt) ctx.addIssue({ code: "custom", path: ["leftAt"], message: "only with status left" });
    if (row.leftAt && Date.parse(row.leftAt) < Date.parse(row.joinedAt)) {
      ctx.addIssue({ code: "custom", path: ["leftAt"], message: "must not be before joinedAt" });
    }
  });

export const EventRow = z
  .object({
    externalId: Text(200).describe("the organisation's own id for the event"),
    title: Text(300),
    startsAt: When,
    endsAt: When,
    cancelledAt: When.nullish(),
  })
  .strict()
  .superRefine((row, ctx) => {
    if (Date.parse(row.endsAt) < Date.parse(row.startsAt))
      ctx.addIssue({ code: "custom", path: ["endsAt"], message: "must not be before startsAt" });
  });

export const AttendanceRow = z
  .object({
    eventExternalId: Text(200),
    memberExternalId: Text(200),
    status: z.enum(["registered", "attended", "no_show", "cancelled"]),
    registeredAt: When,
    checkedInAt: When.nullish(),
  })
  .strict();

/** An optional date field as the import functions take it. */
export function parseImportDate(value: string | null | undefined): Date | null {
  return value ? new Date(value) : null;
}

/** The validated rows as the import functions take them (dates as Dates). */
export const toMemberImportRow = (r: z.output<typeof MemberRow>): MemberImportRow => ({
  ...r,
  joinedAt: new Date(r.joinedAt),
  leftAt: parseImportDate(r.leftAt),
});
export const toEventImportRow = (r: z.output<typeof EventRow>): EventImportRow => ({
  ...r,
  startsAt: new Date(r.startsAt),
  endsAt: new Date(r.endsAt),
  cancelledAt: parseImportDate(r.cancelledAt),
});
export const toAttendanceImportRow = (r: z.output<typeof AttendanceRow>): AttendanceImportRow => ({
  ...r,
  registeredAt: new Date(r.registeredAt),
  checkedInAt: parseImportDate(r.checkedInAt),
});

/** One kind of import: its row schema, the row the import function takes, and the import function. */
interface ImportKind<S extends z.ZodType, R> {
  row: S;
  toRow: (parsed: z.output<S>) => R;
  run: (db: Db | DbTx, orgId: string, rows: R[], options: ImportOptions & { byKey?: boolean }) => Promise<ImportResult>;
}

const importKind = <S extends z.ZodType, R>(k: ImportKind<S, R>) => k as unknown as ImportKind<z.ZodType, unknown>;

/** The three kinds, in the order a full load must run: attendance names the members and events by their ids. */
export const IMPORT_KINDS = {
  members: importKind({ row: MemberRow, toRow: toMemberImportRow, run: importMembers }),
  events: importKind({ row: EventRow, toRow: toEventImportRow, run: (db, orgId, rows, o) => importEvents(db, orgId, rows, o) }),
  attendance: importKind({
    row: AttendanceRow,
    toRow: toAttendanceImportRow,
    run: (db, orgId, rows, o) => importAttendance(db, orgId, rows, o),
  }),
};
export type ImportKindName = keyof typeof IMPORT_KINDS;

/** A row as sent, with where the sender will look for it: its index in a JSON array, its line in a file. */
export interface RawImportRow {
  position: number;
  value: unknown;
}

export interface ImportReport extends ImportCounts {
  /** False when a bad row stopped the whole import (all or nothing) and nothing was written. */
  applied: boolean;
  /** Every refused row, by position, in order: format errors first found, then what the database refused. */
  errors: { position: number; field: string; message: string }[];
}

/**
 * Validates every row, then imports the valid ones: with a bad row and `partial` off nothing is written (the
 * database is not even asked); with it on, the good rows are applied and the bad reported. The API and the CLI
 * both import through this, so they validate, refuse and count alike.
 */
export async function validateAndImport(
  db: Db | DbTx,
  kind: ImportKindName,
  orgId: string,
  raws: RawImportRow[],
  options: ImportOptions & { byKey?: boolean },
): Promise<ImportReport> {
  const k = IMPORT_KINDS[kind];
  const rows: unknown[] = [];
  // The position of each valid row: the import function numbers only the rows it is given.
  const positions: number[] = [];
  const errors: ImportReport["errors"] = [];
  for (const { position, value } of raws) {
    const parsed = k.row.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) errors.push({ position, field: issue.path.join(".") || "row", message: issue.message });
      continue;
    }
    rows.push(k.toRow(parsed.data));
    positions.push(position);
  }
  if (errors.length > 0 && !options.partial) return { applied: false, inserted: 0, updated: 0, unchanged: 0, errors };
  const result = await k.run(db, orgId, rows, options);
  const refused = result.errors.map((e) => ({ position: positions[e.index] as number, field: e.field, message: e.message }));
  return { ...result, errors: [...errors, ...refused].sort((a, b) => a.position - b.position) };
}
