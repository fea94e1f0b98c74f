// The formats rows arrive in besides a JSON array: CSV (the CLI's files, the API's text/csv bodies) and NDJSON
// (one JSON object per line). Both are read as streams, row by row, each row named by its line so that errors
// point where the sender will look.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { CsvError, parse } from "csv-parse";
import { IMPORT_KINDS, type ImportKindName, type RawImportRow } from "./import-rows.ts";

/** The input cannot be read as its format says (a missing column, an unclosed quote): nothing is imported. */
export class ImportFormatError extends Error {}

/** The CSV headers a kind takes, comma-separated, for messages and documentation. */
export const csvHeader = (kind: ImportKindName) => Object.keys(IMPORT_KINDS[kind].csv.columns).join(",");

/**
 * CSV rows with a header line (snake_case columns, see IMPORT_KINDS), parsed with csv-parse: a spreadsheet's UTF-8
 * BOM, CRLF or LF, quoted fields holding commas, quotes and newlines. An empty cell is an absent field, as in JSON;
 * a row with too few or too many fields is a refused row, not the end of the file.
 */
export async function* csvImportRows(kind: ImportKindName, input: Readable, name = "input"): AsyncGenerator<RawImportRow> {
  const { columns, required } = IMPORT_KINDS[kind].csv;
  // Records as arrays, without csv-parse's per-record info object: that object doubles the parse time of a
  // million rows. Line numbers are counted here instead: a record starts on the line after the previous one's
  // end, and a quoted field's own line breaks move the count on.
  const parser = input.pipe(parse({ bom: true, relax_column_count: true }));
  // A failed read of the input (a closed connection) ends the parse with that error.
  input.once("error", (err) => parser.destroy(err));
  let fields: string[] | null = null;
  let line = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const position = line;
      for (const cell of record) {
        for (let at = cell.indexOf("\n"); at !== -1; at = cell.indexOf("\n", at + 1)) line++;
      }
      line++;
      // A blank line: skipped, as csv-parse's skip_empty_lines would.
      if (record.length === 1 && (record[0] as string).trim() === "") continue;
      if (!fields) {
        const present = record.map((c) => c.trim());
        const missing = required.filter((c) => !present.includes(c));
        const unknown = present.filter((c) => !(c in columns));
        const twice = present.filter((c, i) => present.indexOf(c) !== i);
        if (twice.length) throw new ImportFormatError(`${name}: column(s) ${[...new Set(twice)].join(", ")} appear more than once`);
        if (missing.length || unknown.length) {
          const parts = [
            missing.length ? `missing column(s) ${missing.join(", ")}` : "",
            unknown.length ? `unknown column(s) ${unknown.join(", ")}` : "",
          ];
          throw new ImportFormatError(`${name}: ${parts.filter(Boolean).join("; ")} (expected ${csvHeader(kind)})`);
        }
        fields = present.map((c) => columns[c] as string);
        continue;
      }
      if (record.length !== fields.length) {
        yield { position, value: undefined, refusal: `has ${record.length} fields, the header ${fields.length}` };
        continue;
      }
      const value: Record<string, string> = {};
      for (let i = 0; i < fields.length; i++) if (record[i] !== "") value[fields[i] as string] = record[i] as string;
      yield { position, value };
    }
  } catch (err) {
    // A malformed CSV (an unclosed quote): csv-parse's message names the line. Its quote of the offending value
    // is dropped: in a binary or mis-encoded file that is a screenful of noise rather than something to look for.
    if (err instanceof CsvError) throw new ImportFormatError(`${name}: ${err.message.replace(/,? value is [\s\S]*$/, "")}`);
    throw err;
  }
  if (!fields) throw new ImportFormatError(`${name}: the file is empty (expected the header ${csvHeader(kind)})`);
}

/** NDJSON rows: one JSON object per line, blank lines skipped; a line that is not JSON is a refused row. */
export async function* ndjsonImportRows(input: Readable): AsyncGenerator<RawImportRow> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    // A UTF-8 BOM before the first line, as some editors save it (CSV takes one too).
    const json = line === 1 ? text.replace(/^\uFEFF/, "") : text;
    if (json.trim() === "") continue;
    try {
      yield { position: line, value: JSON.parse(json) };
    } catch {
      yield { position: line, value: undefined, refusal: "not a JSON value" };
    }
  }
}
