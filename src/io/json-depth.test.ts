import { describe, expect, it } from "vitest";
import { MAX_DATA_DEPTH } from "../xdm/limits.js";
import { checkJsonDepth } from "./json-depth.js";

const nested = (levels: number, open = "[", close = "]"): string => `${open.repeat(levels)}${close.repeat(levels)}`;

describe("JSON text nested deeper than MAX_DATA_DEPTH", () => {
  it("passes text at the limit, brackets inside strings and escaped quotes not counted", () => {
    expect(() => checkJsonDepth(nested(MAX_DATA_DEPTH))).not.toThrow();
    expect(() => checkJsonDepth(`{"a":"${"[".repeat(5000)}\\"${"{".repeat(5000)}"}`)).not.toThrow();
  });

  it.each([
    ["arrays", nested(100_000), 1, MAX_DATA_DEPTH + 1],
    ["objects, malformed", `{"x":1,\n  "y": ${'{"a":'.repeat(200_000)}`, 2, 3 + 5 * MAX_DATA_DEPTH],
    ["after a string holding a newline", `["a\nb",\n${nested(2000)}]`, 3, MAX_DATA_DEPTH],
  ])("is IO-J002 at the line and column of the bracket past it (%s)", (_, text, line, column) => {
    try {
      checkJsonDepth(text, "f.jsonl", 10);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "IO-J002", location: { file: "f.jsonl", line: line + 10, column } });
      expect((e as Error).message).toBe("JSON nested deeper than 1,000 levels of objects and arrays (the limit on data)");
    }
  });
});
