// The rows an organisation sends in (API JSON or NDJSON bodies, CSV files and bodies alike), validated one by one
// so that every bad row is reported with its field. Field names are the API's; CSV headers are mapped onto them.
// An import is two steps: the valid rows are streamed into a staging table (memory stays flat in the input's
// size), then checked against what is stored and applied set-based in one transaction.
import { z } from "zod";
import type { Db, DbTx } from "./client.ts";
import { ATTENDANCE_STAGE_COLUMNS, applyAttendance, applyEvents, EVENT_STAGE_COLUMNS } from "./repositories/event-import.ts";
import {
  type ApplyOptions,
  type ImportCounts,
  importTransaction,
  type KindApplyOptions,
  lockOrgImports,
  openStage,
  Refusals,
  type RowRefusal,
  type Stage,
  type StageColumn,
  type StageValue,
} from "./repositories/import-stage.ts";
import { applyMembers, MEMBER_STAGE_COLUMNS } from "./repositories/member-import.ts";
import { normaliseEmail } from "./repositories/organizations.ts";
import { unstorableTextReason } from "./storable-text.ts";

const IsoTimestamp = z.iso.datetime({ offset: true });

/** Text PostgreSQL can store (no NUL, no lone surrogate): a CSV file is not checked by the API's input hook. */
const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(max)
    .superRefine((v, ctx) => {
      const reason = unstorableTextReason(v);
      if (reason) ctx.addIssue({ code: "custom", message: reason });
    });
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

/** One kind of import: its row schema, its CSV columns, its staging columns and values, and its apply step. */
interface ImportKind<S extends z.ZodType> {
  row: S;
  /** CSV header (snake_case) → field; `required` are the headers a file must have. */
  csv: { columns: Record<string, string>; required: string[] };
  stage: StageColumn[];
  values: (parsed: z.output<S>) => StageValue[];
  apply: (tx: DbTx, orgId: string, table: string, refusals: Refusals, options: KindApplyOptions) => Promise<ImportCounts>;
}

const importKind = <S extends z.ZodType>(k: ImportKind<S>) => k as unknown as ImportKind<z.ZodType>;
/** Timestamps PostgreSQL would store differently from what was checked: finer than milliseconds, or an offset it refuses. */
const NOT_AS_CHECKED = /\.\d{4}|[+-](?:1[6-9]|[2-9]\d):?\d\d$/;

/**
 * A timestamp as staged. Through Date when PostgreSQL would store it differently from the milliseconds checked
 * (endsAt not before startsAt) or refuse its offset (+16:00, which ISO allows); otherwise as sent, which
 * PostgreSQL reads as the same instant, sparing a million rows two Date objects each.
 */
const when = (v: string | null | undefined) => (v ? (NOT_AS_CHECKED.test(v) ? new Date(v).toISOString() : v) : null);

/** The three kinds, in the order a full load must run: attendance names the members and events by their ids. */
export const IMPORT_KINDS = {
  members: importKind({
    row: MemberRow,
    csv: {
      columns: {
        external_id: "externalId",
        name: "name",
        email: "email",
        joined_at: "joinedAt",
        status: "status",
        role: "role",
        left_at: "leftAt",
      },
      required: ["external_id", "name", "email", "joined_at"],
    },
    stage: MEMBER_STAGE_COLUMNS,
    values: (r) => [r.externalId, r.name, normaliseEmail(r.email), when(r.joinedAt), r.status, when(r.leftAt), r.role],
    apply: applyMembers,
  }),
  events: importKind({
    row: EventRow,
    csv: {
      columns: { external_id: "externalId", title: "title", starts_at: "startsAt", ends_at: "endsAt", cancelled_at: "cancelledAt" },
      required: ["external_id", "title", "starts_at", "ends_at"],
    },
    stage: EVENT_STAGE_COLUMNS,
    values: (r) => [r.externalId, r.title, when(r.startsAt), when(r.endsAt), when(r.cancelledAt)],
    apply: applyEvents,
  }),
  attendance: importKind({
    row: AttendanceRow,
    csv: {
      columns: {
        event_external_id: "eventExternalId",
        member_external_id: "memberExternalId",
        status: "status",
        registered_at: "registeredAt",
        checked_in_at: "checkedInAt",
      },
      required: ["event_external_id", "member_external_id", "status", "registered_at"],
    },
    stage: ATTENDANCE_STAGE_COLUMNS,
    values: (r) => [r.eventExternalId, r.memberExternalId, r.status, when(r.registeredAt), when(r.checkedInAt)],
    apply: applyAttendance,
  }),
};
export type ImportKindName = keyof typeof IMPORT_KINDS;

/** A row as sent, with where the sender will look for it: its index in a JSON array, its line in a file. */
export interface RawImportRow {
  position: number;
  value: unknown;
  /** Set when the row could not even be read (an NDJSON line that is not JSON): it is refused with this reason. */
  refusal?: string;
}

/** Refused rows listed in a report; beyond this only their number is told (a JSON request has at most 10,000). */
export const MAX_LISTED_REFUSALS = 10_000;

export interface ImportReport extends ImportCounts {
  /** False when a bad row stopped the whole import (all or nothing) and nothing was written. */
  applied: boolean;
  /** Rows read. */
  rows: number;
  /** Rows refused (a row may have several errors). */
  refused: number;
  /** Every refused row's errors, by position, in order, for the first MAX_LISTED_REFUSALS refused rows. */
  errors: RowRefusal[];
  /** True when more rows were refused than `errors` lists. */
  errorsTruncated: boolean;
}

/** Rows read and checked, waiting in a staging table for their transaction. */
export interface StagedImport {
  kind: ImportKindName;
  stage: Stage;
  rows: number;
  /** Rows whose format was refused (never staged), and the errors of the first MAX_LISTED_REFUSALS of them. */
  formatRefused: number;
  formatErrors: RowRefusal[];
}

export interface StageOptions {
  /** Called with the rows read so far, about every 10,000 rows. */
  onProgress?: (rowsRead: number) => void;
}

/**
 * Reads the rows, validates each, and streams the valid ones into a staging table. Throws what the source throws
 * (a malformed file), leaving nothing behind.
 */
export async function stageImport(
  db: Db,
  kind: ImportKindName,
  rows: Iterable<RawImportRow> | AsyncIterable<RawImportRow>,
  options: StageOptions = {},
): Promise<StagedImport> {
  const k = IMPORT_KINDS[kind];
  const stage = await openStage(db, k.stage);
  const staged: StagedImport = { kind, stage, rows: 0, formatRefused: 0, formatErrors: [] };
  try {
    for await (const { position, value, refusal } of rows) {
      staged.rows++;
      const parsed = refusal ? null : k.row.safeParse(value);
      if (parsed?.success) await stage.write(position, k.values(parsed.data));
      else {
        staged.formatRefused++;
        if (staged.formatRefused <= MAX_LISTED_REFUSALS) {
          const issues = parsed?.error.issues ?? [{ path: [], message: refusal as string }];
          for (const issue of issues) {
            staged.formatErrors.push({ position, field: issue.path.join(".") || "row", message: issue.message });
          }
        }
      }
      if (staged.rows % 10_000 === 0) options.onProgress?.(staged.rows);
    }
    await stage.finish();
    return staged;
  } catch (err) {
    await stage.drop();
    throw err;
  }
}

/** Merges two position-ordered lists of refusals, keeping the errors of the first `limit` rows. */
function firstRows(a: RowRefusal[], b: RowRefusal[], limit: number): RowRefusal[] {
  const all = [...a, ...b].sort((x, y) => x.position - y.position);
  const out: RowRefusal[] = [];
  let rows = 0;
  let last: number | undefined;
  for (const e of all) {
    if (e.position !== last) {
      if (++rows > limit) break;
      last = e.position;
    }
    out.push(e);
  }
  return out;
}

/**
 * Checks the staged rows against what is stored and applies them, inside the caller's transaction (which must
 * roll back when the report says `applied: false`: importTransaction does). With a refused row and `partial` off
 * nothing is applied; the report still lists every refused row, the database's reasons as well as the format's.
 */
export async function applyStaged(tx: DbTx, orgId: string, staged: StagedImport, options: ApplyOptions): Promise<ImportReport> {
  await lockOrgImports(tx, orgId);
  // Memory for the set-based checks' sorts and hashes over a large file, for this transaction only.
  await tx.$executeRawUnsafe("SET LOCAL work_mem = '64MB'");
  const refusals = await Refusals.create(tx, staged.stage.table);
  const counts = await IMPORT_KINDS[staged.kind].apply(tx, orgId, staged.stage.table, refusals, {
    ...options,
    refusedBefore: staged.formatRefused,
  });
  const refused = staged.formatRefused + (await refusals.rows());
  const errors = firstRows(staged.formatErrors, await refusals.list(MAX_LISTED_REFUSALS), MAX_LISTED_REFUSALS);
  const applied = refused === 0 || options.partial;
  return {
    applied,
    rows: staged.rows,
    ...(applied ? counts : { inserted: 0, updated: 0, unchanged: 0 }),
    refused,
    errors,
    errorsTruncated: refused > MAX_LISTED_REFUSALS,
  };
}

export interface ImportOptions extends ApplyOptions, StageOptions {
  /** Do everything, report it, then roll back. */
  dryRun?: boolean;
}

/**
 * One import, start to end: stage, then check and apply in one transaction that rolls back when rows were refused
 * without `partial` (or for a dry run). The API and the CLI both import through this, so they validate, refuse
 * and count alike.
 */
export async function validateAndImport(
  db: Db,
  kind: ImportKindName,
  orgId: string,
  rows: Iterable<RawImportRow> | AsyncIterable<RawImportRow>,
  options: ImportOptions,
): Promise<ImportReport> {
  const staged = await stageImport(db, kind, rows, options);
  try {
    return await importTransaction(
      db,
      (report) => options.dryRun === true || !report.applied,
      (tx) => applyStaged(tx, orgId, staged, options),
    );
  } finally {
    await staged.stage.drop();
  }
}
