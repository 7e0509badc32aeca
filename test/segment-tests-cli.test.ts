/**
 * `profile-lab test` end to end: the sample's tests pass; a one-line change to a segment makes the tests that
 * depend on it fail with explain's trace and exit 1; JUnit XML for CI; broken files and bad options.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import { cli, copySample, REPO, SAMPLE } from "./helpers/cli.js";

const JUNIT_XSD = readFileSync(join(REPO, "test/vendor/junit/jenkins-junit.xsd"), "utf8");

/**
 * A JUnit XML report validated by libxml2 (xmllint-wasm) against the JUnit schema Jenkins reads
 * (test/vendor/junit/), its counts consistent with its testcases; returns the counts.
 */
async function checkJunit(xml: string): Promise<{ tests: number; failures: number; errors: number }> {
  const result = await validateXML({ xml: [{ fileName: "report.xml", contents: xml }], schema: [{ fileName: "jenkins-junit.xsd", contents: JUNIT_XSD }] });
  expect(result.errors.map((e) => e.message)).toEqual([]);
  expect(result.valid).toBe(true);
  const count = (tag: string): number => xml.match(new RegExp(`<${tag}[ >/]`, "g"))?.length ?? 0;
  const counts = { tests: count("testcase"), failures: count("failure"), errors: count("error") };
  const suite = /<testsuite [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)"/.exec(xml)!;
  expect(suite.slice(1).map(Number)).toEqual([counts.tests, counts.failures, counts.errors]);
  return counts;
}

describe("profile-lab test", () => {
  it("passes the sample's tests", () => {
    const r = cli("test", "--sandbox", SAMPLE);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^14 tests: 14 passed, 0 failed \(/m);
  });

  it("fails the tests a one-line change to a segment breaks, with explain's trace, and writes JUnit XML", async () => {
    const dir = copySample();
    const file = join(dir, "segments/us-residents.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('homeAddress.countryCode = \\"US\\"', 'homeAddress.countryCode = \\"CA\\"'));
    const r = cli("test", "--sandbox", dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^✗ US residents walk realized → existing → exited \(legacy statuses\)/m);
    expect(r.stdout).toContain("why CRMID:T-ALICE (explain):");
    expect(r.stdout).toContain('homeAddress.countryCode = "CA"  → false');
    expect(r.stdout).toMatch(/^14 tests: \d+ passed, [1-9]\d* failed \(/m);
    const junit = cli("test", "--sandbox", dir, "--reporter", "junit");
    expect(junit.status).toBe(1);
    const counts = await checkJunit(junit.stdout);
    expect(counts.tests).toBe(14);
    expect(counts.failures).toBeGreaterThan(0);
    const one = cli("test", "legacy statuses", "--sandbox", dir, "--json");
    expect(JSON.parse(one.stdout)).toMatchObject({ passed: 0, failed: 1, errors: 0, tests: [{ name: expect.stringContaining("legacy statuses") }] });
  });

  it("counts a broken test file as an error, runs the others, and says where the file is wrong", async () => {
    const dir = copySample();
    writeFileSync(join(dir, "tests/broken.yaml"), "runs:\n  - asOf: 2026-11-01T00:00:00Z\n    expect:\n      - segment: US residents\n        sise: 3\n");
    const r = cli("test", "--sandbox", dir);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/TST-F002 .*tests\/broken\.yaml:5:9: unknown field "sise"; did you mean "size"\?/);
    expect(r.stdout).toMatch(/^15 tests: 14 passed, 0 failed, 1 error \(/m);
    expect(await checkJunit(cli("test", "--sandbox", dir, "--reporter", "junit").stdout)).toMatchObject({ tests: 15, errors: 1 });
  });

  it("--watch reruns the tests a change to a segment touches, and prints their result", async () => {
    const dir = copySample();
    for (const name of readdirSync(join(dir, "tests"))) if (!name.startsWith("us-residents-")) rmSync(join(dir, "tests", name));
    const child = spawn(process.execPath, [join(REPO, "bin/profile-lab.js"), "test", "--sandbox", dir, "--watch"], { cwd: REPO });
    let out = "";
    let err = "";
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    const seen = (pattern: RegExp): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out)) resolve();
        };
        child.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          check();
        });
        child.on("exit", () => reject(new Error(`profile-lab test --watch ended before ${pattern}:\n${out}\n${err}`)));
        check();
      });
    try {
      await seen(/^2 tests: 2 passed, 0 failed/m);
      const file = join(dir, "segments/us-residents.json");
      writeFileSync(file, readFileSync(file, "utf8").replace('homeAddress.countryCode = \\"US\\"', 'homeAddress.countryCode = \\"CA\\"'));
      await seen(/— rerun after a change to segments\/us-residents\.json[\s\S]*^2 tests: 0 passed, 2 failed/m);
      expect(out).toContain('homeAddress.countryCode = "CA"  → false');
    } finally {
      child.kill("SIGINT");
    }
    const code = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.on("exit", resolve)));
    expect(code).toBe(1);
  });

  it("refuses an unknown reporter as a usage error", () => {
    const r = cli("test", "--sandbox", SAMPLE, "--reporter", "tap");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--reporter must be pretty, json, junit");
  });
});
