// Generators of hostile input for the API fuzz test: path segments, query values, header values, JSON bodies
// and streamed bodies, each mixing what a route accepts with what it must refuse. Strings include what has broken
// servers before: NUL and unpaired surrogates (PostgreSQL refuses them), broken percent-escapes, RTL and
// combining marks, emoji, SQL and path traversal, numbers that overflow, very long values.
import fc from "fast-check";

export const HOSTILE_STRINGS = [
  "",
  " ",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "9007199254740993",
  "NaN",
  "true",
  "[]",
  "{}",
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff",
  "😀👩‍👩‍👧",
  "\u202eevil\u202c",
  "שלום",
  "e\u0301\u0301\u0301",
  "\uFEFF",
  "x".repeat(5000),
  "00000000-0000-0000-0000-000000000000",
  "FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF",
  "__proto__",
  "constructor",
] as const;

const hostile = fc.constantFrom(...HOSTILE_STRINGS);

/** Any string, unicode and unpaired surrogates included, or a known hostile one. */
export const anyString = fc.oneof(hostile, fc.string({ unit: "binary", maxLength: 40 }), fc.string({ unit: "grapheme", maxLength: 20 }));

/** Percent-encodes the UTF-8 of `text`; an unpaired surrogate becomes U+FFFD, as a real client would send it. */
export function encode(text: string): string {
  return [...Buffer.from(text, "utf8")]
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

/** Raw URL pieces no encoder produces: broken escapes, overlong and surrogate UTF-8, encoded NUL and slashes. */
const RAW_PIECES = ["%", "%zz", "%E0%A4%A", "%ED%A0%80", "%C0%AF", "%FF%FE", "%00", "%2F", "..", "%2e%2e", "a%20b", "%u0041"];

/** A path segment or query value as it appears in the URL: valid (in any case) or hostile, `hostile` of the time. */
export function urlPiece(valid: readonly string[], hostile = 0.35): fc.Arbitrary<string> {
  const bad = Math.round(hostile * 100);
  return fc.oneof(
    { weight: Math.round((100 - bad) * 0.85), arbitrary: fc.constantFrom(...valid).map(encode) },
    { weight: Math.round((100 - bad) * 0.15), arbitrary: fc.constantFrom(...valid).map((v) => encode(v.toUpperCase())) },
    { weight: Math.round(bad * 0.75), arbitrary: anyString.map(encode) },
    { weight: Math.round(bad * 0.25), arbitrary: fc.constantFrom(...RAW_PIECES) },
  );
}

/** A JSON value of any shape, hostile strings among its leaves. */
export const anyJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    anyString,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(anyString, tie("value"), { maxKeys: 4 }),
  ),
})).value;

/**
 * An object with the route's fields, each valid, invalid or missing, and sometimes an unknown field: mostly near
 * misses, which reach deeper than random JSON (a valid level with a note of NULs, a valid id with a date of emoji).
 */
export function nearMiss(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(fields).map(
    ([name, valid]) =>
      [name, fc.option(fc.oneof({ weight: 3, arbitrary: valid }, { weight: 1, arbitrary: anyJson }), { nil: undefined })] as const,
  );
  return fc
    .tuple(fc.record(Object.fromEntries(entries)), fc.option(fc.tuple(anyString, anyJson), { nil: undefined }))
    .map(([record, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(record)) if (v !== undefined) out[k] = v;
      if (extra) out[extra[0]] = extra[1];
      return out;
    });
}

export interface Body {
  contentType?: string;
  payload: string;
}

/** A JSON body: mostly JSON (near misses or anything), sometimes text that is not JSON, or nothing. */
export function jsonBody(shape: fc.Arbitrary<unknown>): fc.Arbitrary<Body | undefined> {
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant("application/json") },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "garbage",
        "application/json; charset=latin1",
      ),
    },
  );
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ contentType, payload: shape.map((v) => JSON.stringify(v) ?? "null") }) },
    { weight: 2, arbitrary: fc.record({ contentType, payload: anyJson.map((v) => JSON.stringify(v) ?? "null") }) },
    {
      weight: 1,
      arbitrary: fc.record({
        contentType,
        payload: fc.oneof(anyString, fc.constantFrom("{", '{"a":', "[1,]", "\u0000", '{"note":"\\ud800"}')),
      }),
    },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** A streamed import body: NDJSON or CSV lines, valid-looking or not. */
export function streamBody(csvHeader: string, ndjsonRow: fc.Arbitrary<unknown>): fc.Arbitrary<Body | undefined> {
  const csvLine = fc
    .array(
      anyString.map((s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)),
      { maxLength: 6 },
    )
    .map((f) => f.join(","));
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.record({
        contentType: fc.constantFrom("application/x-ndjson", "application/x-ndjson; charset=utf-8"),
        payload: fc
          .array(
            fc.oneof(
              ndjsonRow.map((r) => JSON.stringify(r)),
              anyString,
            ),
            { maxLength: 5 },
          )
          .map((l) => l.join("\n")),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        contentType: fc.constant("text/csv"),
        payload: fc
          .tuple(fc.oneof(fc.constant(csvHeader), csvLine), fc.array(csvLine, { maxLength: 5 }), fc.constantFrom("\n", "\r\n"))
          .map(([h, rows, nl]) => [h, ...rows].join(nl)),
      }),
    },
    { weight: 1, arbitrary: jsonBody(anyJson) },
  );
}
