// For erasure tests: every place in the database a piece of text is found, whatever table or column holds it.
// The columns come from information_schema (every text, varchar, json/jsonb and array column of every table in
// the public schema), so a table added later is scanned without anyone remembering to add it here.
import type { Db } from "../client.ts";

export interface TextHit {
  table: string;
  column: string;
  needle: string;
}

/** Every (table, column) of the public schema holding one of `needles`, case-insensitively. */
export async function findTextInDatabase(db: Db, needles: string[]): Promise<TextHit[]> {
  const columns = await db.$queryRaw<{ table_name: string; column_name: string }[]>`
    SELECT c.table_name, c.column_name
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
      AND (c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED', 'uuid'))
    ORDER BY 1, 2`;
  const hits: TextHit[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    for (const needle of needles) {
      // Identifiers come from the catalog, quoted; the needle is a bound parameter. ::text covers every type above.
      const rows = await db.$queryRawUnsafe<{ n: number }[]>(
        `SELECT count(*)::int AS n FROM "${table.replace(/"/g, '""')}" WHERE strpos(lower("${column.replace(/"/g, '""')}"::text), lower($1)) > 0`,
        needle,
      );
      if ((rows[0]?.n ?? 0) > 0) hits.push({ table, column, needle });
    }
  }
  return hits;
}
