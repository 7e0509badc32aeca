import { describe, expect, it } from "vitest";
import { IoError } from "./io-error.js";
import { lineColumnAt, locateJsonError, parseJson } from "./json-file.js";

describe("JSON with positions", () => {
  it("reports a syntax error at its line and column", () => {
    try {
      parseJson('{\n  "a": 1,\n  "b": }\n', "req.json");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(IoError);
      expect((e as IoError).location).toMatchObject({ file: "req.json", line: 3, column: 8 });
      expect((e as IoError).format()).toMatch(/^IO-J001 req\.json:3:8: malformed JSON/);
    }
  });

  it("offsets lines for JSON Lines", () => {
    expect(() => parseJson("{oops}", "d.jsonl", 41)).toThrow(IoError);
    try {
      parseJson("{oops}", "d.jsonl", 41);
    } catch (e) {
      expect((e as IoError).location.line).toBe(42);
    }
  });

  it("maps offsets to 1-based lines and columns", () => {
    expect(lineColumnAt("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  });
});

describe("locating JSON syntax errors", () => {
  it.each([
    ['{"a":', 5, "a value"],
    ["[1,2", 4, "',' or ']'"],
    ['{"a" 1}', 5, "':' after the property name"],
    ['"abc', 4, "a closing quote"],
    ["{} x", 3, "the end of the document"],
    ["{'a': 1}", 1, "a property name in double quotes"],
    ['{"a": tru}', 6, "a value"],
    ['{"a": "x\\q"}', 9, "a valid escape"],
  ])("finds the fault in %j", (text, offset, expected) => {
    expect(() => JSON.parse(text)).toThrow();
    const found = locateJsonError(text);
    expect(found.offset).toBe(offset);
    expect(found.expected).toContain(expected);
  });
});
