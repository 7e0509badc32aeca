/**
 * The segment job on DuckDB against the reference job (JS merge and closure compiler, shard by shard): run after run
 * on twin copies of a sandbox, the same membership snapshot (its rows, in order) (statuses, lastQualificationTime, versions,
 * line order) and the same job metrics — on sample-data, on generated sandboxes whose data grows between runs (so
 * profiles stitch and S7's prior memberships under other identities come into play), and on a hand-made sandbox of
 * segments of segments, exits, re-entries and the membership conventions.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSandbox } from "../../src/engine/sandbox.js";
import { generateSandbox } from "../../src/generate/index.js";
import type { StatusModel } from "../../src/segment/membership.js";
import { JOB_DATABASE } from "../../src/sql/jobs/engine-session.js";
import { appendLines, ids, writeSandbox } from "../helpers/sandbox.js";
import { firstPartOnly, runBoth, twins } from "./job-twins.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-segment-sql-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const DAY = 24 * 3600 * 1000;
const T0 = Date.parse("2026-11-01T00:00:00Z");

describe("the segment job on DuckDB gives the reference's memberships and metrics", () => {
  it("on sample-data, run after run (entries, stays, exits, retention), in both status models", async () => {
    const t = twins("sample-data", scratch, "sample");
    for (const [asOf, statusModel] of [
      [T0, "current"],
      [T0 + 20 * DAY, "current"],
      [T0 + 21 * DAY, "legacy"],
      [T0 + 90 * DAY, "current"],
    ] as [number, StatusModel][]) {
      expect((await runBoth(t, { asOf, statusModel })).lines).toBeGreaterThan(100);
    }
  }, 600_000);

  // One sandbox per format: segment-job-differential.test.ts runs twenty more generated ones that grow as these do.
  // The third as data far larger than memory is run: in 9 runs of profiles (SegmentJobOptions.runs: the merge, the
  // segment pass and the snapshot's lines a run at a time, its entries sorted by key as for many runs), the job's
  // tables in a database file (SegmentJobOptions.onDisk).
  it.each([
    [1, "jsonl", undefined],
    [2, "parquet", undefined],
    [3, "parquet", 9],
  ] as const)("on a generated sandbox whose data grows between runs (seed %i, %s, runs on disk: %s)", async (seed, format, runs) => {
    const dir = join(scratch, `generated-${seed}`);
    await generateSandbox(dir, { profiles: 160, eventsPerProfile: 4, seed, referenceTime: "2026-11-01T00:00:00Z", name: `g${seed}`, format, rowsPerFile: 200 });
    const t = twins(dir, scratch, `generated-${seed}`);
    // First run on part of the data; then on all of it: identities link, profiles stitch.
    const growData = firstPartOnly(t);
    const databases = new Set<string>();
    const onSql = (): void => {
      const tmp = join(t.sql, ".profile-lab", "tmp");
      for (const job of existsSync(tmp) ? readdirSync(tmp) : []) if (existsSync(join(tmp, job, JOB_DATABASE))) databases.add(job);
    };
    const large = { onSql, ...(runs === undefined ? {} : { runs, onDisk: true }) };
    await runBoth(t, { asOf: T0, statusModel: "current", ...large });
    growData();
    expect((await runBoth(t, { asOf: T0 + 2 * DAY, statusModel: "current", ...large })).lines).toBeGreaterThan(50);
    // Some segments only: the others' entries are carried as they are.
    const some = openSandbox(dir).segments.slice(0, 2).map((c) => c.definition.id);
    await runBoth(t, { asOf: T0 + 40 * DAY, statusModel: "legacy", segmentIds: some, ...large });
    // Each job's database file was there while it ran (none for small data in memory), and is gone with its folder.
    expect(databases.size).toBe(runs === undefined ? 0 : 3);
    expect(existsSync(join(t.sql, ".profile-lab", "tmp")) ? readdirSync(join(t.sql, ".profile-lab", "tmp")) : []).toEqual([]);
  }, 600_000);

  // Data taken away: the keys of persons no data has any more are only in the snapshot (no id among the data's
  // keys), placed by their own hash and text among the others, their entries carried; then back, in 3 runs (each
  // picking its keys' entries out of them all).
  it("on a generated sandbox whose data shrinks, then grows again", async () => {
    const dir = join(scratch, "shrinking");
    await generateSandbox(dir, { profiles: 160, eventsPerProfile: 4, seed: 4, referenceTime: "2026-11-01T00:00:00Z", name: "g4", format: "jsonl", rowsPerFile: 200 });
    const t = twins(dir, scratch, "shrinking");
    await runBoth(t, { asOf: T0, statusModel: "current" });
    const growData = firstPartOnly(t);
    expect((await runBoth(t, { asOf: T0 + 2 * DAY, statusModel: "current" })).lines).toBeGreaterThan(50);
    growData();
    await runBoth(t, { asOf: T0 + 4 * DAY, statusModel: "current", runs: 3 });
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
    const t = twins(dir, scratch, `handmade-${conventions.indexOf(convention)}`);
    await runBoth(t, { asOf: T0, statusModel: "current" });
    // New data: c2 turns gold; a new event stitches ECID e2 to c2; c1 stops buying (time passes).
    for (const to of [t.reference, t.sql]) {
      appendLines(to, "crm", [{ _id: "r4", ...ids("CRMID", "c2"), loyalty: { tier: "gold" }, _acp_system_metadata: { ingestTime: "2026-11-02T00:00:00Z" } }]);
      appendLines(to, "ds_events", [{ _id: "e3", timestamp: "2026-11-02T10:00:00Z", eventType: "commerce.purchases", ...ids("ECID", "e2", { CRMID: [{ id: "c2" }] }) }]);
    }
    await runBoth(t, { asOf: T0 + 3 * DAY, statusModel: "current" });
    await runBoth(t, { asOf: T0 + 10 * DAY, statusModel: "current" });
    expect((await runBoth(t, { asOf: T0 + 50 * DAY, statusModel: "legacy" })).lines).toBeGreaterThan(2);
  }, 300_000);
});
