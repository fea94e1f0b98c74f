// The formats rows arrive in besides a JSON array: CSV (the CLI's files, the API's text/csv bodies) and NDJSON
// (one JSON object per line). Both are read as streams, row by row, each row named by its line so that errors
// point where the sender will look.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parse } from "csv-parse";
import { IMPORT_KINDS, type ImportKindName, type RawImportRow } from "./import-rows.ts";

/** The input cannot be read as its format says (a missing column, an unclosed quote): nothing is imported. */
export class ImportFormatError extends Error {}

/** The CSV headers a kind takes, comma-separated, for messages and documentation. */
export const csvHeader = (kind: ImportKindName) => Object.keys(IMPORT_KINDS[kind].csv.columns).join(",");

/**
 * CSV rows with a header line (snake_case columns, see IMPORT_KINDS), parsed with csv-parse: a spreadsheet's UTF-8
 * BOM, CRLF or LF, quoted fields holding commas, quotes and newlines. An empty cell is an absent field, as in JSON.
 */
export async function* csvImportRows(kind: ImportKindName, input: Readable, name = "input"): AsyncGenerator<RawImportRow> {
  const { columns, required } = IMPORT_KINDS[kind].csv;
  const parser = input.pipe(parse({ bom: true, columns: true, skip_empty_lines: true, info: true }));
  // A failed read of the input (a closed connection) ends the parse with that error.
  input.once("error", (err) => parser.destroy(err));
  let headerChecked = false;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!headerChecked) {
        headerChecked = true;
        const present = Object.keys(record);
        const missing = required.filter((c) => !present.includes(c));
        const unknown = present.filter((c) => !(c in columns));
        if (missing.length || unknown.length) {
          const parts = [
            missing.length ? `missing column(s) ${missing.join(", ")}` : "",
            unknown.length ? `unknown column(s) ${unknown.join(", ")}` : "",
          ];
          throw new ImportFormatError(`${name}: ${parts.filter(Boolean).join("; ")} (expected ${csvHeader(kind)})`);
        }
      }
      const value = Object.fromEntries(
        Object.entries(record)
          .filter(([, v]) => v !== "")
          .map(([c, v]) => [columns[c] as string, v]),
      );
      yield { position: info.lines, value };
    }
  } catch (err) {
    // A malformed CSV (an unclosed quote, a row with too many fields): csv-parse's message names the line.
    const e = err as { code?: string; message: string };
    if (e.code?.startsWith("CSV_")) throw new ImportFormatError(`${name}: ${e.message}`);
    throw err;
  }
}

/** NDJSON rows: one JSON object per line, blank lines skipped; a line that is not JSON is a refused row. */
export async function* ndjsonImportRows(input: Readable): AsyncGenerator<RawImportRow> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    try {
      yield { position: line, value: JSON.parse(text) };
    } catch {
      yield { position: line, value: undefined, refusal: "not a JSON value" };
    }
  }
}
