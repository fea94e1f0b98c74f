// `pnpm engagement import --org ID [--members F] [--events F] [--attendance F] [--dry-run] [--partial] [--json]`:
// the organisation's CSV files in, members first (attendance names them), through the same row schemas and
// data-package imports as the API, streamed (a file is never held in memory). Each file is one transaction: all
// or nothing unless --partial. A progress bar on a terminal; errors name the file and line; exit 0 success, 1
// rows were refused, 2 a usage error.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { isUuid } from "@engagement/auth";
import {
  applyStaged,
  createDb,
  csvImportRows,
  findOrganization,
  IMPORT_KINDS,
  ImportFormatError,
  type ImportKindName,
  type ImportReport,
  importTransaction,
  type StagedImport,
  stageImport,
} from "@engagement/db";
import type { CliEnv } from "../env.ts";
import { bar, table } from "../format.ts";

export const IMPORT_USAGE =
  "usage: engagement import --org ID [--members FILE] [--events FILE] [--attendance FILE] [--dry-run] [--partial] [--json]";

// In the order they must be loaded: attendance names members and events by their external ids.
const KINDS = Object.keys(IMPORT_KINDS) as ImportKindName[];

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
  errorsTruncated: boolean;
  /** Reading, validating and staging the file; then checking and writing it in the database. */
  readSeconds: number;
  writeSeconds: number;
  seconds: number;
}

/** A line on a terminal that is rewritten in place; nothing when stderr is not a terminal (or with --json). */
function statusLine(enabled: boolean) {
  let last = 0;
  return {
    show(text: string, force = false) {
      if (!enabled || (!force && Date.now() - last < 100)) return;
      last = Date.now();
      process.stderr.write(`\r\x1b[2K${text}`);
    },
    done(text: string) {
      if (enabled) process.stderr.write(`\r\x1b[2K${text}\n`);
    },
  };
}

const rate = (rows: number, ms: number) => `${Math.round(rows / Math.max(ms / 1000, 0.001)).toLocaleString("en")} rows/s`;

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
  const files = KINDS.filter((k) => values[k]);
  if (files.length === 0) return usage("give at least one of --members, --events, --attendance");
  // Each file's size, for the progress bar; a path that is not a file is a usage error before anything starts.
  const sizes = new Map<ImportKindName, number>();
  for (const kind of files) {
    const path = values[kind] as string;
    const size = await stat(path).then(
      (s) => (s.isFile() ? s.size : null),
      () => null,
    );
    if (size === null) return usage(`cannot read --${kind} ${path}`);
    sizes.set(kind, size);
  }

  // One connection streams a file's rows with COPY while another runs the transaction that applies them.
  const db = createDb(env.DATABASE_URL, { maxConnections: 3 });
  const line = statusLine(process.stderr.isTTY === true && !values.json);
  const staged: { kind: ImportKindName; path: string; staged: StagedImport; ms: number }[] = [];
  try {
    const orgId = values.org.toLowerCase();
    if (!(await findOrganization(db, orgId))) return usage(`no organisation with id ${values.org}`);
    // Read and check every file first, streaming each into its staging table: a malformed file stops the
    // command before anything is written, and memory stays flat however large the files are.
    for (const kind of files) {
      const path = values[kind] as string;
      const size = sizes.get(kind) ?? 0;
      const started = Date.now();
      const input = createReadStream(path, { highWaterMark: 256 * 1024 });
      const progress = (rows: number, force = false) =>
        line.show(
          `${kind.padEnd(10)} ${bar(input.bytesRead, size)}  ${rows.toLocaleString("en")} rows read  ${rate(rows, Date.now() - started)}`,
          force,
        );
      try {
        const result = await stageImport(db, kind, csvImportRows(kind, input, path), { onProgress: progress });
        staged.push({ kind, path, staged: result, ms: Date.now() - started });
        line.done(
          `${kind.padEnd(10)} ${bar(1, 1)}  ${result.rows.toLocaleString("en")} rows read in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
      } catch (err) {
        if (err instanceof ImportFormatError) return usage(err.message);
        throw err;
      } finally {
        input.destroy();
      }
    }
    const options = { partial: values.partial };
    const dryRun = values["dry-run"];
    const report = (f: (typeof staged)[number], r: ImportReport, ms: number): FileReport => ({
      file: f.path,
      kind: f.kind,
      rows: r.rows,
      inserted: r.inserted,
      updated: r.updated,
      unchanged: r.unchanged,
      refused: r.refused,
      applied: r.applied && !dryRun,
      errors: r.errors.map(({ position, field, message }) => ({ line: position, field, message })),
      errorsTruncated: r.errorsTruncated,
      readSeconds: Math.round(f.ms / 100) / 10,
      writeSeconds: Math.round(ms / 100) / 10,
      seconds: Math.round((f.ms + ms) / 100) / 10,
    });
    const apply = async (tx: Parameters<typeof applyStaged>[0], f: (typeof staged)[number]) => {
      const started = Date.now();
      line.show(`${f.kind.padEnd(10)} checking ${f.staged.rows.toLocaleString("en")} rows against the database and writing them`, true);
      const r = await applyStaged(tx, orgId, f.staged, options);
      line.done(
        `${f.kind.padEnd(10)} checked and ${dryRun || !r.applied ? "not written" : "written"} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return report(f, r, Date.now() - started);
    };
    // A dry run is every file in one transaction, rolled back: attendance sees the members and events it names.
    // Otherwise each file is its own transaction, rolled back when it refused rows without --partial.
    const reports: FileReport[] = [];
    if (dryRun) {
      await importTransaction(
        db,
        () => true,
        async (tx) => {
          for (const f of staged) reports.push(await apply(tx, f));
        },
      );
    } else {
      for (const f of staged)
        reports.push(
          await importTransaction(
            db,
            (r) => !r.applied,
            (tx) => apply(tx, f),
          ),
        );
    }
    if (values.json) console.log(JSON.stringify({ dryRun, files: reports }, null, 2));
    else {
      for (const r of reports) {
        for (const e of r.errors) console.error(`${r.file}:${e.line}: ${e.field}: ${e.message}`);
        if (r.errorsTruncated) console.error(`${r.file}: ... and more: ${r.refused.toLocaleString("en")} rows refused in all`);
      }
      console.log(
        table(
          ["file", "rows", "inserted", "updated", "unchanged", "refused", "written", "seconds"],
          reports.map((r) => [
            r.file,
            r.rows,
            r.inserted,
            r.updated,
            r.unchanged,
            r.refused,
            r.applied ? "yes" : "no",
            r.seconds.toFixed(1),
          ]),
        ),
      );
      if (dryRun) console.error("dry run: nothing was written");
    }
    return reports.some((r) => r.refused > 0) ? 1 : 0;
  } finally {
    for (const f of staged) await f.staged.stage.drop();
    await db.$disconnect();
  }
}
