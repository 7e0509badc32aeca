import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { openSandbox } from "../engine/sandbox.js";
import type { TestSummary } from "./run-tests.js";
import { touchedTests, watchSegmentTests } from "./watch.js";

const SAMPLE = resolve(import.meta.dirname, "../../sample-data");
const TESTS: Record<string, string> = {
  "us.yaml": `rows:\n  CRM Profiles:\n    - { identityMap: { CRMID: [{ id: T1, primary: true }] }, homeAddress: { countryCode: US } }\nruns:\n  - asOf: 2026-11-01T00:00:00Z\n    expect: [{ segment: US residents, members: [CRMID:T1] }]\n`,
  "bob.yaml": `rows:\n  CRM Profiles:\n    - { identityMap: { CRMID: [{ id: T2, primary: true }] }, person: { name: { firstName: Bob } } }\nruns:\n  - asOf: 2026-11-01T00:00:00Z\n    expect: [{ segment: 8850c667-d175-4a69-ba83-407aefac485b, members: [CRMID:T2] }]\n`,
  "data.yaml": `sandboxData: true\nruns:\n  - asOf: 2026-11-01T00:00:00Z\n    expect: [{ segment: Gmail users, size: { min: 1 } }]\n`,
};

function sandboxWithTests(): string {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-watch-")), "sandbox");
  cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !src.includes(".profile-lab") && !src.includes("/tests") });
  mkdirSync(join(dir, "tests"));
  for (const [name, text] of Object.entries(TESTS)) writeFileSync(join(dir, "tests", name), text);
  return dir;
}

describe("watch", () => {
  it.each([
    ["a segment file: the tests naming it by name or id", ["segments/us-residents.json"], ["us.yaml"]],
    ["a test file: that test", ["tests/bob.yaml"], ["bob.yaml"]],
    ["a data file: the tests reading the sandbox's rows", ["datasets/crm-profiles.jsonl"], ["data.yaml"]],
    ["a merge policy: every test", ["merge-policies/loyalty-first.json"], ["bob.yaml", "data.yaml", "us.yaml"]],
    ["two segment files: the tests naming either, by name or id", ["segments/gmail-users.json", "segments/robert-or-bob.json"], ["bob.yaml", "data.yaml"]],
  ])("a change to %s", (_, changed, expected) => {
    const dir = sandboxWithTests();
    const sandbox = openSandbox(dir);
    expect(touchedTests(dir, changed, sandbox, sandbox).map((f) => f.slice(join(dir, "tests").length + 1))).toEqual(expected);
  });

  it("reruns the tests a segment's change touches and reports their new result", async () => {
    const dir = sandboxWithTests();
    const runs: { summary: TestSummary; cause: readonly string[] }[] = [];
    const stop = new AbortController();
    let rerun: () => void = () => {};
    const rerunSeen = new Promise<void>((r) => (rerun = r));
    const watching = watchSegmentTests(dir, {
      settleMs: 50,
      signal: stop.signal,
      onRun: (summary, cause) => {
        runs.push({ summary, cause });
        if (runs.length === 2) rerun();
      },
      onError: (e) => {
        throw e;
      },
    });
    await new Promise((r) => setTimeout(r, 50));
    while (runs.length === 0) await new Promise((r) => setTimeout(r, 50));
    const file = join(dir, "segments/us-residents.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('= \\"US\\"', '= \\"CA\\"'));
    await rerunSeen;
    stop.abort();
    await watching;
    expect(runs[0]!.summary.passed).toBe(3);
    expect(runs[1]!.cause).toEqual(["segments/us-residents.json"]);
    expect(runs[1]!.summary.tests.map((t) => [t.name, t.status])).toEqual([["us", "failed"]]);
  });
});
