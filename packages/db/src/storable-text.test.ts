import { describe, expect, it } from "@jest/globals";
import { findUnstorableText, isStorableText, unstorableTextReason } from "./storable-text.ts";

describe("storable text", () => {
  it("accepts ordinary text, other scripts and well-formed surrogate pairs (emoji)", () => {
    for (const text of ["", "Choir lead", "Ünïcødé – «ok»", "日本語", "🎶 music", "tab\tand\nnewline"])
      expect(isStorableText(text)).toBe(true);
  });

  it("refuses NUL and says where", () => {
    expect(unstorableTextReason("ab\u0000c")).toBe("must not contain a NUL character (U+0000, at position 2)");
  });

  it("refuses unpaired high and low surrogates, and a pair in the wrong order", () => {
    expect(unstorableTextReason("a\ud800")).toMatch(/unpaired UTF-16 surrogate \(at position 1\)/);
    expect(unstorableTextReason("\udc00a")).toMatch(/unpaired UTF-16 surrogate \(at position 0\)/);
    expect(unstorableTextReason("\udfb6\ud83c")).not.toBeNull();
    expect(unstorableTextReason("\ud83c\udfb6")).toBeNull();
  });

  it("finds every offending string and key in a nested request part, with its path", () => {
    const body = { note: "x\u0000", rows: [{ name: "ok" }, { name: "bad\ud800" }], "k\u0000": 1 };
    expect(findUnstorableText(body, "body")).toEqual([
      { field: "body.note", message: expect.stringContaining("NUL") },
      { field: "body.rows.1.name", message: expect.stringContaining("surrogate") },
      { field: "body.k\\u0000", message: expect.stringContaining("key must not contain a NUL") },
    ]);
    expect(findUnstorableText({ a: [1, true, null, "fine"] }, "query")).toEqual([]);
  });

  it("refuses nesting deeper than it checks, instead of skipping what lies below", () => {
    let deep: unknown = "x\u0000";
    for (let i = 0; i < 70; i++) deep = { a: deep };
    expect(findUnstorableText(deep, "body")).toEqual([
      { field: expect.stringMatching(/^body(\.a){64}$/), message: "nested more than 64 levels deep" },
    ]);
    expect(findUnstorableText({ "k\u0000": { note: "x\u0000" } }, "body")).toEqual([
      { field: "body.k\\u0000", message: expect.stringContaining("key") },
      { field: "body.k\\u0000.note", message: expect.stringContaining("NUL") },
    ]);
  });
});
