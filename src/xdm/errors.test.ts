import { describe, expect, it } from "vitest";
import { ProfileLabError } from "./errors.js";

describe("error locations", () => {
  it.each([
    [{ file: "req.json", line: 4, column: 3 }, "req.json:4:3"],
    [{ file: "req.json", jsonPath: "$.destination.datasetId" }, "req.json at $.destination.datasetId"],
    [{ file: "d.jsonl", line: 12, jsonPath: "$.person.age" }, "d.jsonl:12 at $.person.age"],
    [{ jsonPath: "$.filter" }, "$.filter"],
    [{ line: 1, column: 5 }, "line 1:5"],
    [{}, ""],
  ])("renders %j as %j", (location, expected) => {
    expect(new ProfileLabError("X-1", "m", location).where()).toBe(expected);
  });

  it("points into an embedded JSON value's text", () => {
    const e = new ProfileLabError("PQL-S003", "expected )", { file: "seg.json", line: 1, column: 30 }).inJsonValue("$.expression.value");
    expect(e.format()).toBe("PQL-S003 seg.json at $.expression.value:1:30: expected )");
  });
});
