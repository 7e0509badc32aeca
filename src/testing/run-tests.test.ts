import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { openSandbox, type Sandbox } from "../engine/sandbox.js";
import { jsonReport, junitReport, prettyReport, xmlText } from "./reporters.js";
import { runSegmentTests, type TestSummary } from "./run-tests.js";

const SAMPLE = resolve(import.meta.dirname, "../../sample-data");
const alice = (country: string) => `{ identityMap: { CRMID: [{ id: T-ALICE, primary: true }] }, homeAddress: { countryCode: ${country} } }`;
const FILES: Record<string, string> = {
  "a-passes.yaml": `name: passes
rows:
  CRM Profiles:
    - ${alice("US")}
runs:
  - asOf: 2026-11-01T00:00:00Z
    expect:
      - { segment: US residents, members: [CRMID:T-ALICE], size: 1 }
`,
  "b-fails.yaml": `name: fails
rows:
  CRM Profiles:
    - ${alice("FR")}
runs:
  - asOf: 2026-11-01T00:00:00Z
    expect:
      - segment: US residents
        members: [CRMID:T-ALICE]
      - { identity: CRMID:T-ALICE, segment: US residents, status: none }
      - { identity: CRMID:T-ALICE, field: homeAddress.countryCode, equals: US }
      - { segment: US residents, size: { min: 1 } }
`,
  "c-broken.yaml": "name: [oops\n",
  "d-unknown-identity.json": JSON.stringify(
    { name: "unknown identity", rows: { "CRM Profiles": [{ identityMap: { CRMID: [{ id: "T-ALICE", primary: true }] } }] }, runs: [{ asOf: "2026-11-01T00:00:00Z", expect: [{ segment: "US residents", nonMembers: ["CRMID:T-NOBODY"] }] }] },
    null,
    2,
  ),
  "e-unknown-policy.yaml": `name: unknown policy
mergePolicy: Newest first
runs:
  - asOf: 2026-11-01T00:00:00Z
    expect: [{ segment: US residents, size: 0 }]
`,
};

let sandbox: Sandbox;
let files: string[];
let summary: TestSummary;

beforeAll(async () => {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-tests-")), "sandbox");
  cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !src.includes(".profile-lab") && !src.includes("/tests") });
  mkdirSync(join(dir, "tests"));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, "tests", name), text);
  sandbox = openSandbox(dir);
  files = Object.keys(FILES).map((name) => join(dir, "tests", name));
  summary = await runSegmentTests(sandbox, { clock: () => 0 });
});

describe("segment test runner", () => {
  it("runs every test, counting broken files and tests that name unknown things as errors", () => {
    expect(summary.tests.map((t) => [t.name, t.status])).toEqual([
      ["passes", "passed"],
      ["fails", "failed"],
      ["c-broken.yaml", "error"],
      ["unknown identity", "error"],
      ["unknown policy", "error"],
    ]);
    expect([summary.passed, summary.failed, summary.errors]).toEqual([1, 1, 3]);
  });

  it("never touches the sandbox's state", () => {
    expect(existsSync(join(sandbox.dir, ".profile-lab"))).toBe(false);
  });

  it("reports each failed assertion with expected, actual and where it is written", () => {
    const failed = summary.tests[1]!.assertions.filter((a) => !a.passed);
    expect(failed.map((a) => [a.kind, a.expected, a.actual, a.location.line])).toEqual([
      ["members", { "CRMID:T-ALICE": "member" }, { "CRMID:T-ALICE": "none" }, 9],
      ["field", "US", "FR", 11],
      ["size", "1..∞", 0, 12],
    ]);
  });

  it("explains a failed membership assertion: the trace of the segment's PQL for that profile", () => {
    const members = summary.tests[1]!.assertions.find((a) => a.kind === "members")!;
    expect(members.explanations).toHaveLength(1);
    const why = members.explanations![0]!;
    expect(why.segments[0]).toMatchObject({ name: "US residents", qualifies: false, trace: { text: 'homeAddress.countryCode = "US"', value: false } });
    expect(why.fragments[0]).toMatchObject({ file: expect.stringContaining("b-fails.yaml"), line: 4 });
  });

  it("locates an unknown identity and an unknown merge policy in the file", () => {
    const lines = FILES["d-unknown-identity.json"]!.split("\n");
    const line = lines.findIndex((l) => l.includes('"CRMID:T-NOBODY"'));
    expect(summary.tests[3]!.error).toMatchObject({ code: "TST-T003", location: { line: line + 1, column: lines[line]!.indexOf('"') + 1 } });
    expect(summary.tests[3]!.error!.text).toContain("no profile has the identity CRMID:T-NOBODY");
    expect(summary.tests[4]!.error).toMatchObject({ code: "TST-T001", location: { line: 2, column: 1 } });
  });

  it("locates an unknown export request, and refuses row assertions on rows without identityMap", async () => {
    const dir = join(sandbox.dir, "tests");
    const write = (name: string, exported: string, check: string): string => {
      writeFileSync(join(dir, name), `rows:\n  CRM Profiles:\n    - ${alice("US")}\nruns:\n  - asOf: 2026-11-01T00:00:00Z\n    expect:\n      - export: ${exported}\n        ${check}\n`);
      return join(dir, name);
    };
    const unknown = write("x-export-unknown.yaml", "nope.json", "rowCount: 1");
    const projected = write("x-export-projected.yaml", "{ fields: person.name, destination: { datasetId: e34187414a7a1f2ebb920497 }, schema: { name: _xdm.context.profile } }", "notExported: [CRMID:T-ALICE]");
    const counted = write("x-export-counted.yaml", "recently-updated-incl-empty.json", "rowCount: 1");
    const r = await runSegmentTests(sandbox, { files: [unknown, projected, counted] });
    expect(r.tests.map((t) => [t.status, t.error?.code, t.error?.location.line])).toEqual([
      ["error", "TST-T004", 7],
      ["error", "TST-T005", 8],
      ["passed", undefined, undefined],
    ]);
    expect(r.tests[0]!.error!.text).toContain("known: all-profiles-projection.json, audiences-per-batch.json");
  });

  it("runs only the tests whose name or file matches the filter", async () => {
    const some = await runSegmentTests(sandbox, { filter: "FAIL" });
    expect(some.tests.map((t) => t.name)).toEqual(["fails"]);
    const one = await runSegmentTests(sandbox, { files: [files[0]!] });
    expect(one.tests.map((t) => t.name)).toEqual(["passes"]);
  });

  it("reports as pretty text, JSON and JUnit XML", () => {
    const text = (x: { identity: string }) => `EXPLAINED ${x.identity}`;
    const pretty = prettyReport(summary, text);
    expect(pretty).toContain("✗ fails");
    expect(pretty).toContain("why CRMID:T-ALICE (explain):\n        EXPLAINED CRMID:T-ALICE");
    expect(pretty.trimEnd().split("\n").at(-1)).toBe("5 tests: 1 passed, 1 failed, 3 errors (0.000 s)");
    expect(JSON.parse(jsonReport(summary)).errors).toBe(3);
    const xml = junitReport(summary, "sample", text);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="profile-lab test" tests="5" failures="1" errors="3" time="0.000">/);
    expect(xml.match(/<testcase /g)).toHaveLength(5);
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml.match(/<error /g)).toHaveLength(3);
  });

  it("writes only characters XML can hold", () => {
    expect(xmlText('a<b & "c"\u0001\uD800')).toBe("a&lt;b &amp; &quot;c&quot;\uFFFD\uFFFD");
  });
});
