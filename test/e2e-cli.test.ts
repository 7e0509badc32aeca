/**
 * End to end: the built CLI runs a segment job and export jobs on a copy of the sample sandbox, and every
 * exported Parquet file is read back with DuckDB (the segment job and the first export through the binary, the
 * other commands through its main function in this process). Audience sizes are checked against counts
 * computed here, independently of the engine: the default policy's merge in DuckDB SQL, the stitched profiles
 * with a union-find written for this test.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baselineSql } from "../bench/baseline.js";
import type { ExportJob } from "../src/export/export-job.js";
import type { SegmentJob } from "../src/segment/segment-job.js";
import { cliInProcess, cliJson, cliJsonInProcess, copySample, SAMPLE_AS_OF } from "./helpers/cli.js";

const US_RESIDENTS = "cdfbffd4-cdc0-49c3-8fd2-ad8adecb846a";
const STITCHED_POLICY = "a260de12-14ca-43ce-a221-a98ad2ac290c";

let sandbox: string;
let db: DuckDBConnection;
let segmentJob: SegmentJob;

async function rows(sql: string): Promise<Record<string, unknown>[]> {
  return (await db.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

function readSegment(id: string): { expression: { value: string }; mergePolicyId: string } {
  const file = readdirSync(join(sandbox, "segments")).find((f) => readFileSync(join(sandbox, "segments", f), "utf8").includes(`"id": "${id}"`))!;
  return JSON.parse(readFileSync(join(sandbox, "segments", file), "utf8"));
}

function exportDir(job: ExportJob, batchId: string): string {
  return join(sandbox, ".profile-lab/lake/datasets", job.destination.datasetId, "batches", batchId);
}

function parquetGlob(job: ExportJob, batchId: string): string {
  return `${exportDir(job, batchId)}/*.parquet`;
}

/**
 * The default policy's merge (no stitching, latest effective time wins per field) in SQL: the DuckDB
 * baseline of the benchmark, which also writes its own Parquet per audience (into a scratch folder).
 */
async function defaultPolicyProfiles(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), "baseline-"));
  const files = { crm: "crm-profiles", loyalty: "loyalty-members", web: "web-signups", events: "web-commerce-events" };
  await db.run(baselineSql((key) => `read_json('${join(sandbox, "datasets", files[key])}.jsonl', format = 'newline_delimited')`, out));
}

/** Stitched (pdg) profiles: components over every record's identities and events with two or more. */
function stitchedProfiles(): { withRecords: number; componentOf: (key: string) => string; eventsByComponent: Map<string, { ingest: number }[]> } {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let p = parent.get(x) ?? x;
    if (p !== x) parent.set(x, (p = find(p)));
    return p;
  };
  const union = (keys: string[]): void => {
    for (const k of keys) if (!parent.has(k)) parent.set(k, k);
    for (const k of keys.slice(1)) parent.set(find(k), find(keys[0]!));
  };
  const lines = (file: string) =>
    readFileSync(join(sandbox, "datasets", file), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { identityMap: Record<string, { id: string; primary?: boolean }[]>; _acp_system_metadata: { ingestTime: string } });
  const keysOf = (idm: Record<string, { id: string }[]>) => Object.entries(idm).flatMap(([ns, items]) => items.map((i) => `${ns.toLowerCase()}:${i.id}`));
  const records = ["crm-profiles.jsonl", "loyalty-members.jsonl", "web-signups.jsonl"].flatMap(lines);
  const events = lines("web-commerce-events.jsonl");
  for (const r of records) union(keysOf(r.identityMap));
  for (const e of events) union(keysOf(e.identityMap));
  const primaryOf = (idm: Record<string, { id: string; primary?: boolean }[]>) => {
    for (const [ns, items] of Object.entries(idm)) for (const i of items) if (i.primary) return `${ns.toLowerCase()}:${i.id}`;
    throw new Error("no primary");
  };
  const eventsByComponent = new Map<string, { ingest: number }[]>();
  for (const e of events) {
    const c = find(primaryOf(e.identityMap));
    eventsByComponent.set(c, [...(eventsByComponent.get(c) ?? []), { ingest: Date.parse(e._acp_system_metadata.ingestTime) }]);
  }
  return { withRecords: new Set(records.map((r) => find(primaryOf(r.identityMap)))).size, componentOf: find, eventsByComponent };
}

beforeAll(async () => {
  sandbox = copySample();
  db = await (await DuckDBInstance.create(":memory:")).connect();
  segmentJob = cliJson<SegmentJob>("segment-job", "--sandbox", sandbox, "--as-of", SAMPLE_AS_OF);
  await defaultPolicyProfiles();
});

afterAll(() => {
  db?.closeSync();
});

describe("profile-lab end to end on the sample sandbox", () => {
  it("runs the segment job over every segment with the platform's metrics", () => {
    expect(segmentJob.status).toBe("SUCCEEDED");
    const counters = segmentJob.metrics.segmentedProfileCounter!;
    expect(Object.keys(counters)).toHaveLength(readdirSync(join(sandbox, "segments")).length);
    for (const [id, n] of Object.entries(counters)) {
      // First run: every member is newly realized.
      expect(segmentJob.metrics.segmentedProfileByStatusCounter![id]).toEqual(n > 0 ? { realized: n } : {});
    }
    expect(Object.keys(segmentJob.metrics.totalProfilesByMergePolicy!)).toHaveLength(3);
  });

  it("exports one batch per segment whose row counts match an independent merge in SQL", async () => {
    const job = cliJson<ExportJob>("export", "--sandbox", sandbox, "--request", join(sandbox, "export-jobs/audiences-per-batch.json"), "--as-of", SAMPLE_AS_OF);
    expect(job.status).toBe("SUCCEEDED");
    expect(job.destination.batches).toHaveLength(3);
    const expected = await rows(`SELECT
        count(*) FILTER (WHERE country = 'US') AS us,
        count(*) FILTER (WHERE tier IN ('gold', 'platinum')) AS gold,
        count(*) FILTER (WHERE optin = 'y') AS optin FROM prof`);
    const bySegment: Record<string, string> = {};
    for (const [key, value] of Object.entries({ us: "homeAddress.countryCode", gold: "loyalty.tier", optin: "consents.marketing" })) {
      const batch = job.destination.batches!.find((b) => readSegment(b.segmentId).expression.value.includes(value))!;
      bySegment[key] = batch.batchId;
      const [{ n }] = (await rows(`SELECT count(*) AS n FROM read_parquet('${parquetGlob(job, batch.batchId)}')`)) as [{ n: string }];
      expect(Number(n), `${key} rows`).toBe(Number(expected[0]![key]));
      expect(Number(n)).toBe(segmentJob.metrics.segmentedProfileCounter![batch.segmentId]);
    }
    // Each row is a member of its batch's segment with a realized status as of the job.
    const us = parquetGlob(job, bySegment["us"]!);
    const [statuses] = await rows(`SELECT count(*) FILTER (WHERE segmentMembership['ups']['${US_RESIDENTS}'].status = 'realized') AS realized,
        count(DISTINCT epoch_ms(segmentMembership['ups']['${US_RESIDENTS}'].lastQualificationTime)) AS lqts,
        min(epoch_ms(segmentMembership['ups']['${US_RESIDENTS}'].lastQualificationTime)) AS lqt,
        count(*) FILTER (WHERE homeAddress.countryCode <> 'US') AS not_us, count(*) AS n FROM read_parquet('${us}')`);
    expect(statuses).toMatchObject({ realized: statuses!["n"], lqts: "1", lqt: String(Date.parse(SAMPLE_AS_OF)), not_us: "0" });
    expect(job.metrics.totalExportedProfileCounter).toBeGreaterThan(0);
  });

  it("writes nested columns as MAP, LIST and STRUCT with the merged values", async () => {
    const job = await cliJsonInProcess<ExportJob>("export", "--sandbox", sandbox, "--request", join(sandbox, "export-jobs/audiences-per-batch.json"), "--as-of", SAMPLE_AS_OF);
    const batch = job.destination.batches!.find((b) => b.segmentId === US_RESIDENTS)!;
    const file = parquetGlob(job, batch.batchId);
    const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [r["column_name"], r["column_type"]]));
    expect(types["identityMap"]).toBe('MAP(VARCHAR, STRUCT(id VARCHAR, authenticatedState VARCHAR, "primary" BOOLEAN)[])');
    expect(types["segmentMembership"]).toBe("MAP(VARCHAR, MAP(VARCHAR, STRUCT(status VARCHAR, lastQualificationTime TIMESTAMP WITH TIME ZONE, \"version\" VARCHAR, validUntil TIMESTAMP WITH TIME ZONE)))");
    expect(types["person"]).toMatch(/^STRUCT\(/);
    expect(types["homeAddress"]).toMatch(/countryCode VARCHAR/);
    // Three profiles compared value by value with the SQL merge.
    const sample = await rows(`SELECT identityMap['CRMID'][1].id AS crmid, identityMap['CRMID'][1]."primary" AS prim, homeAddress.countryCode AS country, loyalty.tier AS tier
      FROM read_parquet('${file}') ORDER BY crmid LIMIT 3`);
    expect(sample).toHaveLength(3);
    for (const s of sample) {
      const [expected] = await rows(`SELECT country, tier FROM prof WHERE pid = 'crmid:${s["crmid"]}'`);
      expect(s).toMatchObject({ prim: true, country: expected!["country"], tier: expected!["tier"] });
    }
  });

  it("projects fields away from the Parquet schema and exports every stitched profile that has records", async () => {
    const job = await cliJsonInProcess<ExportJob>("export", "--sandbox", sandbox, "--request", join(sandbox, "export-jobs/all-profiles-projection.json"), "--as-of", SAMPLE_AS_OF);
    expect(job.mergePolicy.id).toBe(STITCHED_POLICY);
    const file = parquetGlob(job, job.destination.batchId!);
    const columns = (await rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => r["column_name"]);
    expect(columns).toEqual(["identityMap", "person", "homeAddress", "loyalty"]);
    const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).map((r) => [r["column_name"], r["column_type"]]));
    expect(types["homeAddress"]).toBe("STRUCT(countryCode VARCHAR)");
    expect(types["loyalty"]).toBe("STRUCT(tier VARCHAR)");
    const [{ n }] = (await rows(`SELECT count(*) AS n FROM read_parquet('${file}')`)) as [{ n: string }];
    expect(Number(n)).toBe(stitchedProfiles().withRecords);
  });

  it("attaches the events ingested after the eventList bound in timeSeriesEvents", async () => {
    const request = JSON.parse(readFileSync(join(sandbox, "export-jobs/big-spenders-with-events.json"), "utf8"));
    const from = Date.parse(request.additionalFields.eventList.filter.fromIngestTimestamp);
    const job = await cliJsonInProcess<ExportJob>("export", "--sandbox", sandbox, "--request", join(sandbox, "export-jobs/big-spenders-with-events.json"), "--as-of", SAMPLE_AS_OF);
    const file = parquetGlob(job, job.destination.batchId!);
    const exported = await rows(`SELECT [e.key || ':' || e.value[1].id FOR e IN map_entries(identityMap)] AS ids, len(timeSeriesEvents) AS n FROM read_parquet('${file}')`);
    expect(exported.length).toBeGreaterThan(0);
    const { componentOf, eventsByComponent } = stitchedProfiles();
    for (const row of exported) {
      const first = (row["ids"] as string[])[0]!.replace(/^([^:]+)/, (ns) => ns.toLowerCase());
      const expected = (eventsByComponent.get(componentOf(first)) ?? []).filter((e) => e.ingest > from).length;
      expect(Number(row["n"])).toBe(expected);
    }
  });

  it("explains a profile through the CLI, as text and as JSON", async () => {
    const text = await cliInProcess("explain", "--sandbox", sandbox, "--identity", "CRMID:CRM141421356", "--as-of", SAMPLE_AS_OF);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('homeAddress.city = "Seattle"  ← CRM Profiles (datasets/crm-profiles.jsonl:2');
    expect(text.stdout).toContain('lost: "Austin" from CRM Profiles (datasets/crm-profiles.jsonl:1');
    const json = await cliJsonInProcess<{ profileKey: string; segments: { qualifies: boolean }[] }>("explain", "--sandbox", sandbox, "--identity", "crmid:CRM141421356", "--as-of", SAMPLE_AS_OF);
    expect(json.profileKey).toBe("crmid:CRM141421356");
    expect(json.segments.length).toBeGreaterThan(0);
  });

  it("lists and shows merge policies through the CLI", async () => {
    const page = JSON.parse((await cliInProcess("merge-policies", "list", "--sandbox", sandbox)).stdout) as { children: { id: string }[]; _page: { totalCount: number } };
    expect(page._page.totalCount).toBe(3);
    expect(JSON.parse((await cliInProcess("merge-policies", "get", STITCHED_POLICY, "--sandbox", sandbox)).stdout)).toMatchObject({ id: STITCHED_POLICY, identityGraph: { type: "pdg" } });
    const missing = await cliInProcess("merge-policies", "get", "nope", "--sandbox", sandbox);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: MRG-P404 merge policy "nope" not found/);
  });
});
