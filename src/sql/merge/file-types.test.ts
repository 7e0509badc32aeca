import { describe, expect, it } from "vitest";
import { fileTypeOfDuckDb, type FileType } from "./file-types.js";

/** A file type as a short text: scalars by class, `{a: …}` structs, `[…]` lists, `map<k, v>` maps. */
function shape(t: FileType): string {
  switch (t.kind) {
    case "struct":
      return `{${[...t.fields].map(([k, f]) => `${k}: ${shape(f)}`).join(", ")}}`;
    case "list":
      return `[${shape(t.items)}]`;
    case "map":
      return `map<${shape(t.keys)}, ${shape(t.values)}>`;
    default:
      return t.kind;
  }
}

describe("DuckDB's type names are read as file types", () => {
  it.each([
    ["VARCHAR", "text"],
    ["UBIGINT", "integer"],
    ["FLOAT", "float"],
    ["TIMESTAMP WITH TIME ZONE", "instant"],
    ["TIMESTAMP_NS", "instant"],
    ["DATE", "date"],
    ["DECIMAL(10,2)", "other"],
    ["ENUM('a', 'b)')", "other"],
    ["BLOB", "other"],
    ["TIMESTAMP[][]", "[[instant]]"],
    ["MAP(VARCHAR, STRUCT(t TIMESTAMP WITH TIME ZONE)[])", "map<text, [{t: instant}]>"],
    ['STRUCT("a b" INTEGER, "select" VARCHAR, "x,y" TIMESTAMP[], "Q""" MAP(INTEGER, DOUBLE), d DECIMAL(10,2), ECID BOOLEAN)', '{a b: integer, select: text, x,y: [instant], Q": map<integer, float>, d: other, ECID: boolean}'],
    ["STRUCT(UTINYINT, INTEGER, VARCHAR)", "{: text}"],
    ["UNION(q INTEGER, r VARCHAR)", "other"],
  ])("%s is %s", (text, expected) => {
    expect(shape(fileTypeOfDuckDb(text))).toBe(expected);
  });

  it("a type name it does not follow is a type no value is read from", () => {
    expect(fileTypeOfDuckDb("STRUCT(a TIME WITH TIME ZONE")).toEqual({ kind: "other", name: "STRUCT(a TIME WITH TIME ZONE" });
  });
});
