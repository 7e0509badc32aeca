/**
 * Export scenarios E1–E14 and E16 of scenarios.md on the shared fixture: P1 realized, P2 exited, P3 realized
 * later, P4 an event-only profile. Rows are read back from the Parquet files with DuckDB.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExportJob } from "../src/engine/run-export-job.js";
import { openSandbox } from "../src/engine/sandbox.js";
import type { ExportJob } from "../src/export/export-job.js";
import { listExportJobs } from "../src/export/export-job-list.js";
import type { StatusModel } from "../src/segment/membership.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { replaceMemberships } from "../src/store/membership-part.js";
import type { BatchRecord } from "../src/store/catalog-types.js";
import { batchGlob, columns, query } from "./helpers/parquet.js";
import { ids, writeSandbox } from "./helpers/sandbox.js";

const MP_PDG = { id: "mp_ts_pdg", name: "pdg", schema: { name: "_xdm.context.profile" }, version: 3, identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, default: false };
const DEFAULT = { ...MP_PDG, id: "timestampOrdered-none-mp", name: "default", version: 1, identityGraph: { type: "none" }, default: true };

function fixture(legacy = false): string {
  const dir = writeSandbox({
    profiles: {
      ds_crm: [
        { ...ids("CRMID", "c1"), person: { name: { firstName: "Jane" } }, homeAddress: { countryCode: "US" }, _acp_system_metadata: { ingestTime: "2024-05-01T09:00:00Z" } },
        { ...ids("CRMID", "c2"), person: { name: { firstName: "Bob" } }, homeAddress: { countryCode: "CA" }, _acp_system_metadata: { ingestTime: "2024-05-02T09:00:00Z" } },
        { ...ids("CRMID", "c3"), person: { name: { firstName: "Ann" } }, homeAddress: { countryCode: "US" }, _acp_system_metadata: { ingestTime: "2024-05-04T09:00:00Z" } },
      ],
    },
    events: [
      { _id: "ev1", timestamp: "2024-04-30T09:00:00Z", eventType: "web", ...ids("CRMID", "c1"), _acp_system_metadata: { ingestTime: "2024-04-30T10:00:00Z" } },
      { _id: "ev2", timestamp: "2024-04-01T00:00:00Z", eventType: "web", ...ids("CRMID", "c1"), _acp_system_metadata: { ingestTime: "2024-05-02T10:00:00Z" } },
      { _id: "ev4", timestamp: "2024-05-04T11:00:00Z", eventType: "web", ...ids("ECID", "e4"), _acp_system_metadata: { ingestTime: "2024-05-04T12:00:00Z" } },
    ],
    policies: [DEFAULT, MP_PDG],
    segments: [
      { id: "seg-1", pql: 'homeAddress.countryCode = "US"' },
      { id: "seg-2", pql: 'person.name.firstName = "Ann"', mergePolicyId: "mp_ts_pdg" },
    ],
  });
  const entry = (status: string, lqt: string) => ({ status, lastQualificationTime: lqt, version: "1" });
  const lines = [
    { key: "crmid:c1", ups: { "seg-1": entry(legacy ? "existing" : "realized", "2024-05-01T01:00:00.000Z") } },
    { key: "crmid:c2", ups: { "seg-1": entry("exited", "2024-05-03T01:00:00.000Z") } },
    { key: "crmid:c3", ups: { "seg-1": entry("realized", "2024-05-05T01:00:00.000Z"), "seg-2": entry("realized", "2024-05-05T01:00:00.000Z") } },
  ];
  replaceMemberships(new SandboxState(dir).membership, new Map(lines.map((l) => [l.key, new Map(Object.entries(l.ups))])));
  return dir;
}

const BASE = { destination: { datasetId: "ds_export" }, schema: { name: "_xdm.context.profile" } };
const asOf = Date.parse("2024-05-06T00:00:00Z");

async function exportRows(dir: string, body: object, statusModel: StatusModel = "current") {
  const result = await runExportJob(openSandbox(dir), body, { asOf, statusModel });
  const batch = result.job.destination.batchId!;
  const rows = await query(`SELECT coalesce(identityMap['CRMID'][1].id, identityMap['ECID'][1].id) AS id FROM read_parquet('${batchGlob(dir, result.job, batch)}') ORDER BY id`);
  return { ...result, ids: rows.map((r) => r["id"]) };
}

describe("export scenarios (scenarios.md §C)", () => {
  it("E1: a segment filter with the default status exports the realized members", async () => {
    expect((await exportRows(fixture(), { ...BASE, filter: { segments: [{ segmentId: "seg-1" }] } })).ids).toEqual(["c1", "c3"]);
  });

  it("E2: status exited exports the exits", async () => {
    expect((await exportRows(fixture(), { ...BASE, filter: { segments: [{ segmentId: "seg-1", segmentNs: "ups", status: ["exited"] }] } })).ids).toEqual(["c2"]);
  });

  it("E3: the qualification-time window keeps memberships qualified inside it", async () => {
    const window = { startTime: "2024-05-02T00:00:00Z", endTime: "2024-05-06T00:00:00Z" };
    expect((await exportRows(fixture(), { ...BASE, filter: { segments: [{ segmentId: "seg-1" }], segmentQualificationTime: window } })).ids).toEqual(["c3"]);
  });

  it("E4: fromIngestTimestamp is strictly after the merged profile's last ingestion", async () => {
    expect((await exportRows(fixture(), { ...BASE, filter: { fromIngestTimestamp: "2024-05-02T09:00:00Z" } })).ids).toEqual(["c3"]);
  });

  it("E5: no filter exports every profile with records; emptyProfiles adds event-only profiles", async () => {
    expect((await exportRows(fixture(), BASE)).ids).toEqual(["c1", "c2", "c3"]);
    expect((await exportRows(fixture(), { ...BASE, filter: { emptyProfiles: true } })).ids).toEqual(["c1", "c2", "c3", "e4"]);
  });

  it("E6: fields keep only the listed columns", async () => {
    const dir = fixture();
    const { job } = await exportRows(dir, { ...BASE, fields: "identityMap,person.name.firstName", filter: { segments: [{ segmentId: "seg-1" }] } });
    const glob = batchGlob(dir, job, job.destination.batchId!);
    expect(await columns(glob)).toEqual(["identityMap", "person"]);
    expect(await query(`SELECT person.name.firstName AS n FROM read_parquet('${glob}') ORDER BY n`)).toEqual([{ n: "Ann" }, { n: "Jane" }]);
  });

  it("E7: eventList filters on ingestion time, not event time; E8: toIngestTimestamp bounds it", async () => {
    const dir = fixture();
    const eventList = { fields: "_id,timestamp,eventType", filter: { fromIngestTimestamp: "2024-05-01T00:00:00Z" } };
    const { job } = await exportRows(dir, { ...BASE, filter: { segments: [{ segmentId: "seg-1" }] }, additionalFields: { eventList } });
    const glob = batchGlob(dir, job, job.destination.batchId!);
    const rows = await query(`SELECT identityMap['CRMID'][1].id AS id, [e._id FOR e IN timeSeriesEvents] AS events, epoch_ms(timeSeriesEvents[1].timestamp) AS t FROM read_parquet('${glob}') ORDER BY id`);
    expect(rows).toEqual([
      { id: "c1", events: ["ev2"], t: String(Date.parse("2024-04-01T00:00:00Z")) },
      { id: "c3", events: [], t: null },
    ]);
    const bounded = { ...eventList, filter: { ...eventList.filter, toIngestTimestamp: "2024-05-02T00:00:00Z" } };
    const e8 = await exportRows(dir, { ...BASE, filter: { segments: [{ segmentId: "seg-1" }] }, additionalFields: { eventList: bounded } });
    expect(await query(`SELECT len(timeSeriesEvents) AS n FROM read_parquet('${batchGlob(dir, e8.job, e8.job.destination.batchId!)}')`)).toEqual([{ n: "0" }, { n: "0" }]);
  });

  it("E9: without additionalFields there is no timeSeriesEvents column", async () => {
    const dir = fixture();
    const { job } = await exportRows(dir, { ...BASE, filter: { segments: [{ segmentId: "seg-1" }] } });
    expect(await columns(batchGlob(dir, job, job.destination.batchId!))).not.toContain("timeSeriesEvents");
  });

  it("E10: one batch holds each profile once; segmentPerBatch writes one batch per segment", async () => {
    const dir = fixture();
    const segments = [{ segmentId: "seg-1" }, { segmentId: "seg-2" }];
    const one = await exportRows(dir, { ...BASE, mergePolicy: { id: "mp_ts_pdg" }, filter: { segments } });
    expect(one.ids).toEqual(["c1", "c3"]);
    expect(one.job.destination).toEqual({ datasetId: "ds_export", segmentPerBatch: false, batchId: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const per = await runExportJob(openSandbox(dir), { ...BASE, mergePolicy: { id: "mp_ts_pdg" }, filter: { segments }, destination: { datasetId: "ds_export", segmentPerBatch: true } }, { asOf, statusModel: "current" });
    expect(per.job.destination.batches).toEqual([
      { segmentId: "seg-1", segmentNs: "ups", status: ["realized"], batchId: expect.any(String) },
      { segmentId: "seg-2", segmentNs: "ups", status: ["realized"], batchId: expect.any(String) },
    ]);
    const counts = [];
    for (const b of per.job.destination.batches!) counts.push((await query(`SELECT count(*) AS n FROM read_parquet('${batchGlob(dir, per.job, b.batchId)}')`))[0]!["n"]);
    expect(counts).toEqual(["2", "1"]);
  });

  it("E11: without mergePolicy the segment's policy is used, at its latest version", async () => {
    const { job } = await exportRows(fixture(), { ...BASE, filter: { segments: [{ segmentId: "seg-2" }] } });
    expect(job.mergePolicy).toEqual({ id: "mp_ts_pdg", version: 3 });
  });

  it("E12: a finished job has its counters, timings and a successful catalog batch", async () => {
    const dir = fixture();
    const { job, batches } = await exportRows(dir, { ...BASE, filter: { segments: [{ segmentId: "seg-1" }] } });
    expect(job).toMatchObject({ id: 1, status: "SUCCEEDED", jobType: "BATCH", profileInstanceId: "ups" });
    expect(job.metrics).toMatchObject({ totalExportedProfileCounter: 2, exportedProfileByNamespaceCounter: { CRMID: 2 } });
    for (const t of [job.metrics.totalTime, job.metrics.profileExportTime!, job.metrics.aCPDatasetWriteTime!]) expect(t.totalTimeInMs).toBe(t.endTimeInMs! - t.startTimeInMs);
    const stored = new SandboxState(dir).records<BatchRecord>("batches").get(job.destination.batchId!)!;
    expect(stored).toMatchObject({ status: "success", recordCount: 2, relatedObjects: [{ type: "dataSet", id: "ds_export" }] });
    expect(batches[0]).toEqual(stored);
  });

  it("E13: jobs list newest first, paged by an offset cursor, filtered by status", async () => {
    const dir = fixture();
    let clock = 1714550000000;
    for (let i = 0; i < 2; i++) await runExportJob(openSandbox(dir), BASE, { asOf, statusModel: "current", clock: () => (clock += 10_000_000 * i) });
    const jobs = new SandboxState(dir).records<ExportJob>("export-jobs").all();
    const first = listExportJobs(jobs, { limit: 1 });
    expect(first.records.map((j) => j.id)).toEqual([2]);
    const cursor = `${first.records[0]!.creationTime}_2`;
    expect(first.page).toEqual({ sortField: "createdTime", sort: "desc", pageOffset: cursor, pageSize: 1 });
    expect(first.link.next).toBe(`/export/jobs/?limit=1&offset=${cursor}`);
    const second = listExportJobs(jobs, { limit: 1, offset: cursor });
    expect(second.records.map((j) => j.id)).toEqual([1]);
    expect(second.link.next).toBe("");
    expect(listExportJobs(jobs, { status: "FAILED" }).records).toEqual([]);
    expect(() => listExportJobs(jobs, { offset: "yesterday" })).toThrow(/cursor/);
  });

  it("E16: in the legacy model the default status includes existing", async () => {
    const dir = fixture(true);
    expect((await exportRows(dir, { ...BASE, filter: { segments: [{ segmentId: "seg-1", status: ["realized"] }] } }, "legacy")).ids).toEqual(["c3"]);
    expect((await exportRows(dir, { ...BASE, filter: { segments: [{ segmentId: "seg-1" }] } }, "legacy")).ids).toEqual(["c1", "c3"]);
  });

  it("splits a batch into several part files at rowsPerFile", async () => {
    const dir = fixture();
    const { job, batches } = await runExportJob(openSandbox(dir), BASE, { asOf, statusModel: "current", rowsPerFile: 2 });
    expect(batches[0]!.files!.map((f) => [f.name, f.rows])).toEqual([["part-00000.parquet", 2], ["part-00001.parquet", 1]]);
    expect(await query(`SELECT count(*) AS n FROM read_parquet('${batchGlob(dir, job, job.destination.batchId!)}')`)).toEqual([{ n: "3" }]);
    expect(readFileSync(join(dir, batches[0]!.files![1]!.path)).subarray(0, 4).toString()).toBe("PAR1");
  });
});

describe("export-job lists, the Profile API's parameters", () => {
  const job = (id: number, creationTime: number, updateTime: number) => ({ id, creationTime, updateTime, status: "SUCCEEDED" }) as ExportJob;
  const jobs = [job(1, 10, 40), job(2, 20, 30), job(3, 30, 20), job(4, 40, 10)];
  it.each([
    [{ sort: "updateTime:asc" }, [4, 3, 2, 1], "updateTime", "asc"],
    [{ sort: "creationTime:asc" }, [1, 2, 3, 4], "createdTime", "asc"],
    [{ start: 1 }, [3, 2, 1], "createdTime", "desc"],
    [{ limit: 2, page: 2 }, [2, 1], "createdTime", "desc"],
  ] as const)("%j lists %j", (query, ids, sortField, sort) => {
    const list = listExportJobs(jobs, query);
    expect(list.records.map((j) => j.id)).toEqual(ids);
    expect(list.page).toMatchObject({ sortField, sort });
  });

  it("rejects a sort on another field and a page below 1", () => {
    expect(() => listExportJobs(jobs, { sort: "status:asc" })).toThrow(/sort must be/);
    expect(() => listExportJobs(jobs, { page: 0 })).toThrow(/page must be a whole number from 1/);
  });
});

describe("S8: external audiences", () => {
  function withAudience(members: object[]): string {
    const dir = fixture();
    mkdirSync(join(dir, "audiences"));
    writeFileSync(join(dir, "audiences/aam.json"), JSON.stringify({ id: "aam-1", name: "AAM high value", namespace: "AAM", members }));
    return dir;
  }
  const filter = { segments: [{ segmentId: "aam-1", segmentNs: "AAM" }] };
  const at = (iso: string) => Date.parse(iso);

  it("keeps a membership without validUntil for 30 days after its qualification, then drops it", async () => {
    const dir = withAudience([{ identity: "CRMID:c2", lastQualificationTime: "2024-05-01T00:00:00Z" }]);
    const run = async (when: string) => {
      const { job } = await runExportJob(openSandbox(dir), { ...BASE, filter }, { asOf: at(when), statusModel: "current" });
      return query(`SELECT identityMap['CRMID'][1].id AS id, segmentMembership['AAM']['aam-1'].status AS status FROM read_parquet('${batchGlob(dir, job, job.destination.batchId!)}')`);
    };
    expect(await run("2024-05-30T00:00:00Z")).toEqual([{ id: "c2", status: "realized" }]);
    expect(await run("2024-06-01T00:00:00Z")).toEqual([]);
  });

  it("honours validUntil and shows the membership beside ups in the row", async () => {
    const dir = withAudience([{ identity: "crmid:c1", lastQualificationTime: "2024-05-01T00:00:00Z", validUntil: "2024-05-02T00:00:00Z" }]);
    const inside = await runExportJob(openSandbox(dir), { ...BASE, filter }, { asOf: at("2024-05-01T12:00:00Z"), statusModel: "current" });
    const rows = await query(`SELECT [k FOR k IN map_keys(segmentMembership)] AS ns, epoch_ms(segmentMembership['AAM']['aam-1'].validUntil) AS until FROM read_parquet('${batchGlob(dir, inside.job, inside.job.destination.batchId!)}')`);
    expect(rows).toEqual([{ ns: ["AAM", "ups"], until: String(at("2024-05-02T00:00:00Z")) }]);
    const after = await runExportJob(openSandbox(dir), { ...BASE, filter }, { asOf: at("2024-05-03T00:00:00Z"), statusModel: "current" });
    expect(after.job.metrics.totalExportedProfileCounter).toBe(0);
  });

  it("rejects a malformed audience with its file and JSON path", () => {
    const dir = withAudience([{ identity: "c1", lastQualificationTime: "2024-05-01T00:00:00Z" }]);
    expect(() => openSandbox(dir)).toThrow(expect.objectContaining({ code: "SEG-A001", location: expect.objectContaining({ jsonPath: "$.members[0].identity" }) }));
  });
});
