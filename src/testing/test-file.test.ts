import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { TestFileError, parseTestFile, pathSteps } from "./test-file.js";
import { TEST_FILE_SCHEMA } from "./test-file-schema.js";

function problem(text: string): TestFileError {
  try {
    parseTestFile(text, "t.yaml");
  } catch (e) {
    expect(e).toBeInstanceOf(TestFileError);
    return e as TestFileError;
  }
  throw new Error("expected a TestFileError");
}

const RUN = "runs:\n  - asOf: 2026-11-01T00:00:00Z\n    expect:\n";

describe("test files", () => {
  it("the published schema is the one the runner validates with", () => {
    const published = readFileSync(new URL("../../schemas/profile-lab-test.schema.json", import.meta.url), "utf8");
    expect(published).toBe(`${JSON.stringify(TEST_FILE_SCHEMA, null, 2)}\n`);
  });

  it("reads YAML and JSON alike", () => {
    const yaml = parseTestFile(`name: t\n${RUN}      - segment: s\n        size: 1\n`, "t.yaml");
    const json = parseTestFile(JSON.stringify({ name: "t", runs: [{ asOf: "2026-11-01T00:00:00Z", expect: [{ segment: "s", size: 1 }] }] }), "t.json");
    expect(yaml.test).toEqual(json.test);
    expect(yaml.locate(["runs", 0, "expect", 0, "size"])).toEqual({ file: "t.yaml", line: 6, column: 9 });
  });

  it.each([
    ["a YAML syntax error", "name: [oops\nruns: 1\n", "TST-F001", 2, 1, /not valid YAML/],
    ["a list instead of a test", "- a\n- b\n", "TST-F002", 1, 1, /a test file holds one test/],
    ["no runs", "name: t\n", "TST-F002", 1, 1, /runs is required/],
    ["a misspelt field", `${RUN}      - segment: s\n        sise: 3\n`, "TST-F002", 5, 9, /unknown field "sise"; did you mean "size"\?/],
    ["an unknown status", `${RUN}      - identity: CRMID:a\n        segment: s\n        status: realised\n`, "TST-F002", 6, 9, /did you mean "realized"\?/],
    ["an identity without a namespace", `${RUN}      - segment: s\n        members: [alice]\n`, "TST-F002", 5, 19, /members\[0\] must match/],
    ["a field assertion without a value", `${RUN}      - identity: CRMID:a\n        field: x\n`, "TST-F002", 4, 9, /equals is required/],
    ["a bad asOf", "runs:\n  - asOf: yesterday\n    expect: [{ segment: s, size: 1 }]\n", "TST-F002", 2, 5, /RFC 3339/],
  ])("%s is one located error", (_, text, code, line, column, message) => {
    const e = problem(text);
    expect([e.code, e.location.line, e.location.column]).toEqual([code, line, column]);
    expect(e.message).toMatch(message);
    expect(e.detail).toContain(`> ${line} |`);
  });

  it("lists the problems after the first, each with its line and column", () => {
    const e = problem(`${RUN}      - segment: s\n        sise: 3\n      - identity: CRMID:a\n        field: x\n`);
    expect(e.detail).toContain("also t.yaml:6:9: runs[0].expect[1].equals is required");
  });

  it("reads our JSON paths back as steps", () => {
    expect(pathSteps('$.runs[0].rows["CRM Profiles"][2].a')).toEqual(["runs", 0, "rows", "CRM Profiles", 2, "a"]);
  });
});
