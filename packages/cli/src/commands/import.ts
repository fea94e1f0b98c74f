// `pnpm engagement import --org ID [--members F] [--events F] [--attendance F] [--dry-run] [--partial] [--json]`:
// the organisation's CSV files in, members first (attendance names them), through the same row schemas and
// data-package imports as the API. Each file is one transaction: all or nothing unless --partial. Errors name the
// file and line; exit 0 success, 1 rows were refused, 2 a usage error.
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { parseArgs } from "node:util";
import { isUuid } from "@engagement/auth";
import {
  createDb,
  type Db,
  type DbTx,
  findOrganization,
  type ImportKindName,
  importTransaction,
  type RawImportRow,
  validateAndImport,
} from "@engagement/db";
import { parse } from "csv-parse";
import type { CliEnv } from "../env.ts";
import { table } from "../format.ts";

export const IMPORT_USAGE =
  "usage: engagement import --org ID [--members FILE] [--events FILE] [--attendance FILE] [--dry-run] [--partial] [--json]";

/** One kind of file: its CSV headers (snake_case) mapped onto the import row's fields. */
interface FileKind {
  option: ImportKindName;
  columns: Record<string, string>;
  required: string[];
}

// In the order they must be loaded: attendance names members and events by their external ids.
const KINDS: FileKind[] = [
  {
    option: "members",
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
  {
    option: "events",
    columns: { external_id: "externalId", title: "title", starts_at: "startsAt", ends_at: "endsAt", cancelled_at: "cancelledAt" },
    required: ["external_id", "title", "starts_at", "ends_at"],
  },
  {
    option: "attendance",
    columns: {
      event_external_id: "eventExternalId",
      member_external_id: "memberExternalId",
      status: "status",
      registered_at: "registeredAt",
      checked_in_at: "checkedInAt",
    },
    required: ["event_external_id", "member_external_id", "status", "registered_at"],
  },
];

interface FileReport {
  file: string;
  kind: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  refused: number;
  applied: boolean;
  errors: { line: number; field: string; message: string }[];
}

class FileError extends Error {}

/** Reads one CSV file into rows named by their line (validation is the shared import's); checks the header. */
async function readFile(path: string, k: FileKind, progress: (n: number) => void): Promise<RawImportRow[]> {
  const rows: RawImportRow[] = [];
  // bom: a spreadsheet's UTF-8 BOM; quoted fields may hold commas, quotes and newlines; CRLF or LF.
  const parser = createReadStream(path).pipe(parse({ bom: true, columns: true, skip_empty_lines: true, info: true }));
  let headerChecked = false;
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    if (!headerChecked) {
      headerChecked = true;
      const present = Object.keys(record);
      const missing = k.required.filter((c) => !present.includes(c));
      const unknown = present.filter((c) => !(c in k.columns));
      if (missing.length || unknown.length) {
        const parts = [
          missing.length ? `missing column(s) ${missing.join(", ")}` : "",
          unknown.length ? `unknown column(s) ${unknown.join(", ")}` : "",
        ];
        throw new FileError(`${path}: ${parts.filter(Boolean).join("; ")} (expected ${Object.keys(k.columns).join(",")})`);
      }
    }
    // An empty optional cell is an absent field, as it would be in JSON.
    const fields = Object.fromEntries(
      Object.entries(record)
        .filter(([, v]) => v !== "")
        .map(([c, v]) => [k.columns[c] as string, v]),
    );
    rows.push({ position: info.lines, value: fields });
    if (rows.length % 1000 === 0) progress(rows.length);
  }
  return rows;
}

export async function importCommand(env: CliEnv, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      org: { type: "string" },
      members: { type: "string" },
      events: { type: "string" },
      attendance: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      partial: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const usage = (message: string) => {
    console.error(`import: ${message}\n${IMPORT_USAGE}`);
    return 2;
  };
  if (!values.org || !isUuid(values.org)) return usage("--org must be an organisation id (a UUID)");
  const files = KINDS.filter((k) => values[k.option]);
  if (files.length === 0) return usage("give at least one of --members, --events, --attendance");
  for (const k of files) {
    const path = values[k.option] as string;
    if (
      !(await access(path).then(
        () => true,
        () => false,
      ))
    )
      return usage(`cannot read --${k.option} ${path}`);
  }

  const db = createDb(env.DATABASE_URL, { maxConnections: 2 });
  const tty = process.stderr.isTTY && !values.json;
  try {
    const orgId = values.org.toLowerCase();
    if (!(await findOrganization(db, orgId))) return usage(`no organisation with id ${values.org}`);
    // Read and check every file first: a malformed file stops the command before anything is written.
    const read: { k: FileKind; path: string; data: RawImportRow[] }[] = [];
    for (const k of files) {
      const path = values[k.option] as string;
      try {
        const data = await readFile(path, k, (n) => tty && process.stderr.write(`\r${k.option}: ${n} rows read`));
        if (tty) process.stderr.write(`\r${k.option}: ${data.length} rows read\n`);
        read.push({ k, path, data });
      } catch (err) {
        if (err instanceof FileError) return usage(err.message);
        // A malformed CSV (an unclosed quote, a row with too many fields) names its line.
        const e = err as { code?: string; message: string };
        if (e.code?.startsWith("CSV_")) return usage(`${path}: ${e.message}`);
        throw err;
      }
    }
    const partial = values.partial;
    const dryRun = values["dry-run"];
    const importFile = async (target: Db | DbTx, { k, path, data }: (typeof read)[number]): Promise<FileReport> => {
      const report = await validateAndImport(target, k.option, orgId, data, { partial });
      const errors = report.errors.map(({ position, field, message }) => ({ line: position, field, message }));
      return {
        file: path,
        kind: k.option,
        rows: data.length,
        inserted: report.inserted,
        updated: report.updated,
        unchanged: report.unchanged,
        refused: new Set(errors.map((e) => e.line)).size,
        applied: report.applied && !dryRun,
        errors,
      };
    };
    // A dry run is every file in one transaction, rolled back: attendance sees the members and events it names.
    const reports: FileReport[] = dryRun
      ? await importTransaction(db, true, async (tx) => {
          const out: FileReport[] = [];
          for (const f of read) out.push(await importFile(tx, f));
          return out;
        })
      : [];
    if (!dryRun) for (const f of read) reports.push(await importFile(db, f));
    if (values.json) console.log(JSON.stringify({ dryRun: values["dry-run"], files: reports }, null, 2));
    else {
      for (const r of reports) for (const e of r.errors) console.error(`${r.file}:${e.line}: ${e.field}: ${e.message}`);
      console.log(
        table(
          ["file", "rows", "inserted", "updated", "unchanged", "refused", "written"],
          reports.map((r) => [r.file, r.rows, r.inserted, r.updated, r.unchanged, r.refused, r.applied ? "yes" : "no"]),
        ),
      );
      if (values["dry-run"]) console.error("dry run: nothing was written");
    }
    return reports.some((r) => r.refused > 0) ? 1 : 0;
  } finally {
    await db.$disconnect();
  }
}
