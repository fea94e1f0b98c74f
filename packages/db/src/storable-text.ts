// The one check for text on its way into PostgreSQL. A text column refuses U+0000 (SQLSTATE 22021, which
// reached clients as a 500), and an unpaired UTF-16 surrogate cannot be encoded as UTF-8 at all: the driver
// silently writes U+FFFD instead, so the stored text would differ from what was sent. Both are refused where
// input arrives (the API checks every string of every request with this), never repaired.

// An unpaired high surrogate (not followed by a low one), or an unpaired low surrogate (not preceded by a high one).
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `text` cannot be stored as it is, as a phrase fit for an error message; null when it can. */
export function unstorableTextReason(text: string): string | null {
  const nul = text.indexOf("\u0000");
  if (nul !== -1) return `must not contain a NUL character (U+0000, at position ${nul})`;
  const surrogate = UNPAIRED_SURROGATE.exec(text);
  if (surrogate) return `must not contain an unpaired UTF-16 surrogate (at position ${surrogate.index})`;
  return null;
}

export function isStorableText(text: string): boolean {
  return unstorableTextReason(text) === null;
}

/**
 * Every string inside a parsed request part (JSON body, query, params) that cannot be stored, with its path
 * as `part.a.0.b`. Keys are checked too: a key can become a column value (a JSON object stored as jsonb).
 */
export function findUnstorableText(value: unknown, path: string): { field: string; message: string }[] {
  const issues: { field: string; message: string }[] = [];
  const visit = (v: unknown, at: string, depth: number) => {
    if (typeof v === "string") {
      const reason = unstorableTextReason(v);
      if (reason) issues.push({ field: at, message: reason });
      return;
    }
    if (v === null || typeof v !== "object") return;
    // Refused rather than skipped: "every string is checked" must stay true however deep a body nests.
    if (depth >= MAX_DEPTH) {
      issues.push({ field: at, message: `nested more than ${MAX_DEPTH} levels deep` });
      return;
    }
    if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) visit(item, `${at}.${i}`, depth + 1);
      return;
    }
    for (const [key, item] of Object.entries(v)) {
      // A field name that holds such a character is shown escaped, so the answer itself stays storable.
      const keyReason = unstorableTextReason(key);
      const name = keyReason ? JSON.stringify(key).slice(1, -1) : key;
      if (keyReason) issues.push({ field: `${at}.${name}`, message: `key ${keyReason}` });
      visit(item, `${at}.${name}`, depth + 1);
    }
  };
  visit(value, path, 0);
  return issues;
}

// Request bodies are bounded in size; the depth bound keeps a pathological nesting from costing a deep stack.
const MAX_DEPTH = 64;
