/**
 * The segment job on DuckDB against the reference job (JS merge and closure compiler, shard by shard): run after run
 * on twin copies of a sandbox, the same membership snapshot byte for byte (statuses, lastQualificationTime, versions,
 * line order) and the same job metrics — on sample-data, on generated sandboxes whose data grows between runs (so
 * profiles stitch and S7's prior memberships under other identities come into play), and on a hand-made sandbox of
 * segments of segments, exits, re-entries and the membership conventions.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runSegmentJob, type SegmentJobOptions } from "../../src/engine/run-segment-job.js";
import { openSandbox } from "../../src/engine/sandbox.js";
import { generateSandbox } from "../../src/generate/index.js";
import type { StatusModel } from "../../src/segment/membership.js";
import type { SegmentJob } from "../../src/segment/segment-job.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { appendLines, ids, writeSandbox } from "../helpers/sandbox.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-segment-sql-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse("2026-11-01T00:00:00Z");

/** A sandbox and its twin: the first runs the reference job, the second the DuckDB job. */
interface Twins {
  readonly reference: string;
  readonly sql: string;
}

function twins(dir: string, name: string): Twins {
  const reference = join(scratch, `${name}-reference`);
  const sql = join(scratch, `${name}-sql`);
  for (const to of [reference, sql]) cpSync(dir, to, { recursive: true, filter: (p) => !p.includes(".profile-lab") });
  return { reference, sql };
}

function snapshotText(dir: string): string {
  return new SandboxState(dir).membership
    .parts()
    .map((p) => readFileSync(p, "utf8"))
    .join("");
}

/** The metrics a run must agree on (times and ids differ by nature). */
function comparable(job: SegmentJob): object {
  const { totalTime: _t, profileSegmentationTime: _p, ...metrics } = job.metrics;
  return { status: job.status, errors: job.errors, metrics: JSON.stringify(metrics) };
}

/** One run on both twins: the same job metrics and the same snapshot, byte for byte. Returns the number of stored lines. */
async function runBoth(t: Twins, options: Omit<SegmentJobOptions, "engine">): Promise<number> {
  const reference = await runSegmentJob(openSandbox(t.reference), { ...options, engine: "reference", workers: 1 });
  const sql = await runSegmentJob(openSandbox(t.sql), { ...options, engine: "duckdb", workers: 2 });
  expect(comparable(sql)).toEqual(comparable(reference));
  const want = snapshotText(t.reference);
  const got = snapshotText(t.sql);
  if (got !== want) {
    const [a, b] = [want.split("\n"), got.split("\n")];
    const i = a.findIndex((line, j) => line !== b[j]);
    expect({ line: i + 1, got: b[i] }).toEqual({ line: i + 1, got: a[i] });
  }
  return want === "" ? 0 : want.split("\n").length - 1;
}

describe("the segment job on DuckDB gives the reference's memberships and metrics", () => {
  it("on sample-data, run after run (entries, stays, exits, retention), in both status models", async () => {
    const t = twins("sample-data", "sample");
    for (const [asOf, statusModel] of [
      [T0, "current"],
      [T0 + 20 * DAY, "current"],
      [T0 + 21 * DAY, "legacy"],
      [T0 + 90 * DAY, "current"],
    ] as [number, StatusModel][]) {
      expect(await runBoth(t, { asOf, statusModel })).toBeGreaterThan(100);
    }
  }, 600_000);

  it.each([
    [1, "jsonl"],
    [2, "parquet"],
    [3, "parquet"],
    [4, "jsonl"],
  ] as const)("on a generated sandbox whose data grows between runs (seed %i, %s)", async (seed, format) => {
    const dir = join(scratch, `generated-${seed}`);
    await generateSandbox(dir, { profiles: 160, eventsPerProfile: 4, seed, referenceTime: "2026-11-01T00:00:00Z", name: `g${seed}`, format, rowsPerFile: 200 });
    const t = twins(dir, `generated-${seed}`);
    // First run on each dataset's first file only; then on all of them: identities link, profiles stitch.
    const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: { files?: string[] }[] };
    const firstFiles = { ...manifest, datasets: manifest.datasets.map((d) => (d.files && d.files.length > 0 ? { ...d, files: d.files.slice(0, 1) } : d)) };
    for (const to of [t.reference, t.sql]) writeFileSync(join(to, "sandbox.json"), JSON.stringify(firstFiles));
    await runBoth(t, { asOf: T0, statusModel: "current" });
    for (const to of [t.reference, t.sql]) writeFileSync(join(to, "sandbox.json"), JSON.stringify(manifest));
    expect(await runBoth(t, { asOf: T0 + 2 * DAY, statusModel: "current" })).toBeGreaterThan(50);
    // Some segments only: the others' entries are carried as they are.
    const some = openSandbox(dir).segments.slice(0, 2).map((c) => c.definition.id);
    await runBoth(t, { asOf: T0 + 40 * DAY, statusModel: "legacy", segmentIds: some });
  }, 600_000);

  const conventions = [{}, { lastQualificationTime: "everyRun" }, { exitedRetention: "keep" }];
  it.each(conventions)("on segments of segments, stitching, exits and re-entries (conventions %j)", async (convention) => {
    const dir = writeSandbox({
      conventions: convention as Record<string, string>,
      profiles: {
        crm: [
          { _id: "r1", ...ids("CRMID", "c1"), loyalty: { tier: "gold" }, homeAddress: { state: "CA" } },
          { _id: "r2", ...ids("CRMID", "c2"), loyalty: { tier: "silver" }, homeAddress: { state: "NY" } },
          { _id: "r3", ...ids("CRMID", "c3", { Email: [{ id: "c3@x.com" }] }), loyalty: { tier: "gold" } },
        ],
        web: [{ _id: "w1", ...ids("Email", "c3@x.com"), homeAddress: { state: "CA" } }],
      },
      events: [
        { _id: "e1", timestamp: "2026-10-30T10:00:00Z", eventType: "commerce.purchases", ...ids("ECID", "e1", { CRMID: [{ id: "c1" }] }) },
        { _id: "e2", timestamp: "2026-10-31T10:00:00Z", eventType: "web.webpagedetails.pageViews", ...ids("ECID", "e2") },
      ],
      policies: [
        { id: "none", name: "none", identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, default: true },
        { id: "pdg", name: "pdg", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" } },
      ],
      segments: [
        { id: "gold", name: "Gold members", pql: 'loyalty.tier = "gold"' },
        { id: "gold-ca", name: "Gold in CA", pql: 'inSegment("Gold members") and homeAddress.state = "CA"', mergePolicyId: "pdg" },
        { id: "buyers", name: "Buyers", pql: 'select P from xEvent where P.eventType = "commerce.purchases" and P.timestamp occurs <= 3 days before now', mergePolicyId: "pdg" },
        { id: "not-gold", name: "gold", pql: 'not inSegment("gold")', mergePolicyId: "pdg" },
      ],
    });
    const t = twins(dir, `handmade-${conventions.indexOf(convention)}`);
    await runBoth(t, { asOf: T0, statusModel: "current" });
    // New data: c2 turns gold; a new event stitches ECID e2 to c2; c1 stops buying (time passes).
    for (const to of [t.reference, t.sql]) {
      appendLines(to, "crm", [{ _id: "r4", ...ids("CRMID", "c2"), loyalty: { tier: "gold" }, _acp_system_metadata: { ingestTime: "2026-11-02T00:00:00Z" } }]);
      appendLines(to, "ds_events", [{ _id: "e3", timestamp: "2026-11-02T10:00:00Z", eventType: "commerce.purchases", ...ids("ECID", "e2", { CRMID: [{ id: "c2" }] }) }]);
    }
    await runBoth(t, { asOf: T0 + 3 * DAY, statusModel: "current" });
    await runBoth(t, { asOf: T0 + 10 * DAY, statusModel: "current" });
    expect(await runBoth(t, { asOf: T0 + 50 * DAY, statusModel: "legacy" })).toBeGreaterThan(2);
  }, 300_000);
});
