/**
 * Segment tests' speed (issue 14): the sample's own tests, and N generated inline-data tests (each: two
 * profiles, a purchase event, three asOf runs with a row added at the third, six assertions) on the sample's
 * definitions. Prints wall times; the runner's own figures are in-process (no CLI start-up).
 *
 *     node --import tsx bench/segment-tests.ts [N=1000]
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openSandbox } from "../src/engine/sandbox.js";
import { runSegmentTests } from "../src/testing/run-tests.js";

const SAMPLE = resolve(import.meta.dirname, "../sample-data");
const n = Number(process.argv[2] ?? 1000);

function inlineTest(i: number): string {
  const crm = (id: string, country: string, indent = "    ") => `${indent}- { identityMap: { CRMID: [{ id: ${id}, primary: true }] }, homeAddress: { countryCode: ${country} } }`;
  return `name: generated ${i}
rows:
  CRM Profiles:
${crm(`B${i}-A`, "US")}
${crm(`B${i}-B`, "FR")}
  Web and Commerce Events:
    - { _id: b${i}-e, timestamp: 2026-10-20T09:00:00Z, eventType: commerce.purchases, identityMap: { ECID: [{ id: B${i}-E, primary: true }] }, commerce: { order: { priceTotal: 900 } } }
runs:
  - asOf: 2026-11-01T00:00:00Z
    expect:
      - { segment: US residents, members: [CRMID:B${i}-A], nonMembers: [CRMID:B${i}-B], size: 1 }
      - { segment: Big spenders, members: [ECID:B${i}-E] }
  - asOf: 2026-11-08T00:00:00Z
    expect:
      - { identity: CRMID:B${i}-A, segment: US residents, status: existing }
  - asOf: 2026-11-15T00:00:00Z
    rows:
      CRM Profiles:
${crm(`B${i}-A`, "CA", "        ")}
    expect:
      - { identity: CRMID:B${i}-A, segment: US residents, status: exited, lastQualificationTime: 2026-11-15T00:00:00Z }
`;
}

async function timed(label: string, dir: string): Promise<void> {
  const start = performance.now();
  const summary = await runSegmentTests(openSandbox(dir));
  const ms = performance.now() - start;
  const ok = summary.failed === 0 && summary.errors === 0;
  console.log(`${label}: ${summary.tests.length} tests, ${summary.passed} passed, ${summary.failed} failed, ${summary.errors} errors in ${(ms / 1000).toFixed(2)} s`);
  const bad = summary.tests.find((t) => t.status !== "passed");
  if (!ok) throw new Error(`not all passed; the first: ${bad!.error?.text ?? JSON.stringify(bad!.assertions.find((a) => !a.passed))}`);
}

await timed("sample-data/tests", SAMPLE);
const scratch = mkdtempSync(join(tmpdir(), "profile-lab-bench-tests-"));
try {
  const dir = join(scratch, "sandbox");
  cpSync(SAMPLE, dir, { recursive: true, filter: (src) => !src.includes(".profile-lab") && !src.includes("/tests") });
  mkdirSync(join(dir, "tests"));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, "tests", `t${String(i).padStart(5, "0")}.yaml`), inlineTest(i));
  await timed(`${n} inline-data tests`, dir);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
