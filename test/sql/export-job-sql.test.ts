/**
 * The export job on DuckDB against the reference export (JS merge and Parquet writer), on twin copies of a sandbox
 * after the same segment jobs: the same job metrics, the same batch records (rows, files, rows per file) and the
 * same rows read back with an independent reader — for every export request the sandbox ships; a request with
 * runSegmentation runs its segment job on DuckDB too; a cancel leaves no batch.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobProgress } from "../../src/engine/job-progress.js";
import { runExportJob, type ExportResult } from "../../src/engine/run-export-job.js";
import { runSegmentJob } from "../../src/engine/run-segment-job.js";
import { openSandbox } from "../../src/engine/sandbox.js";
import type { ExportJob } from "../../src/export/export-job.js";
import { generateSandbox } from "../../src/generate/index.js";
import type { SegmentJob } from "../../src/segment/segment-job.js";
import type { BatchRecord } from "../../src/store/catalog-types.js";
import { JobControl } from "../../src/store/job-control.js";
import { SandboxState } from "../../src/store/sandbox-state.js";
import { snapshotText } from "./job-twins.js";
import { cliInProcess, REPO, SAMPLE_AS_OF } from "../helpers/cli.js";
import { query } from "../helpers/parquet.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-export-sql-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const asOf = Date.parse(SAMPLE_AS_OF);
const DAY = 24 * 3600 * 1000;

interface Twins {
  readonly reference: string;
  readonly sql: string;
}

/** Twin copies after the same two segment jobs (each on its own engine). */
async function twins(dir: string, name: string): Promise<Twins> {
  const t = { reference: join(scratch, `${name}-reference`), sql: join(scratch, `${name}-sql`) };
  for (const to of [t.reference, t.sql]) cpSync(dir, to, { recursive: true, filter: (p) => !p.includes(".profile-lab") });
  for (const at of [asOf - 10 * DAY, asOf]) {
    await runSegmentJob(openSandbox(t.reference), { asOf: at, statusModel: "current", engine: "reference", workers: 1 });
    await runSegmentJob(openSandbox(t.sql), { asOf: at, statusModel: "current", engine: "duckdb" });
  }
  return t;
}

/** The rows of a batch's files, read back by DuckDB, as JSON text in file and row order. */
async function rowsOf(dir: string, batch: BatchRecord): Promise<string[]> {
  const out: string[] = [];
  for (const f of batch.files ?? []) {
    const rows = await query(`SELECT * FROM read_parquet('${join(dir, f.path).replace(/'/g, "''")}')`);
    out.push(...rows.map((r) => JSON.stringify(r)));
  }
  return out;
}


function metricsOf(job: ExportJob): string {
  const { totalTime: _t, profileExportTime: _p, aCPDatasetWriteTime: _w, ...metrics } = job.metrics as Record<string, unknown>;
  return JSON.stringify(metrics);
}

/**
 * One export on both twins (DuckDB's as data far larger than memory is exported when `runs` is given: in `runs` runs of
 * profiles, its tables in a database file): the same metrics, batches and rows. Returns the rows exported.
 */
async function exportBoth(t: Twins, body: unknown, name: string, runs?: number): Promise<number> {
  const reference: ExportResult = await runExportJob(openSandbox(t.reference), body, { asOf, statusModel: "current", engine: "reference", workers: 1 });
  const sql: ExportResult = await runExportJob(openSandbox(t.sql), body, { asOf, statusModel: "current", engine: "duckdb", ...(runs === undefined ? {} : { runs, onDisk: true }) });
  expect({ name, status: sql.job.status, metrics: metricsOf(sql.job), warnings: sql.warnings }).toEqual({
    name,
    status: reference.job.status,
    metrics: metricsOf(reference.job),
    warnings: reference.warnings,
  });
  let rows = 0;
  expect(sql.batches.length).toBe(reference.batches.length);
  for (const [i, want] of reference.batches.entries()) {
    const got = sql.batches[i]!;
    expect({ name, batch: i, recordCount: got.recordCount, files: got.files!.map((f) => [f.name, f.rows]) }).toEqual({
      name,
      batch: i,
      recordCount: want.recordCount,
      files: want.files!.map((f) => [f.name, f.rows]),
    });
    const [a, b] = [await rowsOf(t.reference, want), await rowsOf(t.sql, got)];
    const at = a.findIndex((r, j) => r !== b[j]);
    expect({ name, batch: i, count: b.length, at, row: b[at] }).toEqual({ name, batch: i, count: a.length, at: -1, row: a[at] });
    rows += a.length;
  }
  return rows;
}

/** sample-data after one DuckDB segment job, made once for the tests that copy it (state included) rather than each run its job. */
let segmented: string;
beforeAll(async () => {
  segmented = join(scratch, "segmented");
  cpSync(join(REPO, "sample-data"), segmented, { recursive: true, filter: (p) => !p.includes(".profile-lab") });
  await runSegmentJob(openSandbox(segmented), { asOf, statusModel: "current", engine: "duckdb" });
});

function segmentedCopy(name: string): string {
  const dir = join(scratch, name);
  cpSync(segmented, dir, { recursive: true });
  return dir;
}

function requestsOf(dir: string): [string, unknown][] {
  const folder = join(dir, "export-jobs");
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(folder, f), "utf8")) as unknown]);
}

/** Twins of a generated Parquet sandbox (150 persons, `seed`) after the same segment jobs, and its export requests. */
async function generatedTwins(seed: number): Promise<{ t: Twins; requests: [string, unknown][] }> {
  const dir = join(scratch, `generated-${seed}`);
  await generateSandbox(dir, { profiles: 150, eventsPerProfile: 4, seed, referenceTime: SAMPLE_AS_OF, name: `g${seed}`, format: "parquet", rowsPerFile: 200 });
  const t = await twins(dir, `generated-${seed}`);
  const requests = requestsOf(t.reference);
  expect(requests.length).toBeGreaterThan(0);
  return { t, requests };
}

describe("the export job on DuckDB writes the reference's batches", () => {
  it("on sample-data, for each of its export requests", async () => {
    const t = await twins(join(REPO, "sample-data"), "sample");
    let rows = 0;
    for (const [name, body] of requestsOf(t.reference)) rows += await exportBoth(t, body, name);
    expect(rows).toBeGreaterThan(1000);
  }, 600_000);

  it("on a generated Parquet sandbox, for each of its export requests and one that runs its segmentation first", async () => {
    const { t, requests } = await generatedTwins(11);
    for (const [name, body] of requests) await exportBoth(t, body, name);
    // evaluationInfo.segmentation: the export's segment job runs first, on the export's engine.
    const [name, body] = requests.find(([, b]) => JSON.stringify(b).includes('"segmentId"')) ?? requests[0]!;
    const jobs = (dir: string): string[] => new SandboxState(dir).records<SegmentJob>("segment-jobs").all().map((j) => j.status);
    await exportBoth(t, { ...(body as object), evaluationInfo: { segmentation: true } }, `${name} with evaluationInfo.segmentation`);
    expect(jobs(t.sql)).toEqual(["SUCCEEDED", "SUCCEEDED", "SUCCEEDED"]);
    expect(await snapshotText(t.sql)).toBe(await snapshotText(t.reference));
  }, 600_000);

  it("in runs of profiles (the merge and the segmentMembership maps a run at a time: three runs pick their entries out of all, nine read them sorted by profile), its tables on disk, for each request of a generated sandbox", async () => {
    const { t, requests } = await generatedTwins(12);
    let rows = 0;
    for (const runs of [3, 9]) for (const [name, body] of requests) rows += await exportBoth(t, body, `${name} in ${runs} runs`, runs);
    expect(rows).toBeGreaterThan(100);
  }, 600_000);

  it("export --explain-sql prints the statements the export ran, its COPY … TO Parquet among them", async () => {
    const dir = segmentedCopy("explain");
    const [name] = requestsOf(dir)[0]!;
    const r = await cliInProcess("export", "--sandbox", dir, "--engine", "duckdb", "--explain-sql", "--request", join(dir, "export-jobs", name), "--as-of", SAMPLE_AS_OF);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/export job \d+: SUCCEEDED/);
    expect(r.stdout).toMatch(/^-- merging the profiles of merge policy \S+ \([\d.,]+ ms\)\nCREATE OR REPLACE TABLE pl_export_profiles AS SELECT/m);
    expect(r.stdout).toMatch(/^COPY \(.*\) TO '[^']*part-00000\.parquet'/m);
  }, 120_000);

  it("cancelled while writing: FAILED with CANCELLED, no batch committed, no DuckDB spill left", async () => {
    const dir = segmentedCopy("cancel");
    const control = new JobControl(new SandboxState(dir).root);
    const onProgress = (e: JobProgress): void => {
      if (e.stage === "writing") control.requestCancel("export-jobs", e.jobId);
    };
    const [name, body] = requestsOf(dir)[0]!;
    const error = await runExportJob(openSandbox(dir), body, { asOf, statusModel: "current", engine: "duckdb", onProgress, requestFile: name }).then(
      () => expect.unreachable("the export should have been cancelled"),
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "CANCELLED" });
    const state = new SandboxState(dir);
    expect(state.records<ExportJob>("export-jobs").all()).toMatchObject([{ status: "FAILED", errors: [{ code: "CANCELLED" }] }]);
    const batches = state.records<BatchRecord>("batches").all();
    expect(batches.length).toBeGreaterThan(0);
    expect(batches.every((b) => b.status === "failed")).toBe(true);
    const lake = join(state.root, "lake");
    expect(existsSync(lake) ? readdirSync(lake, { recursive: true }).filter((f) => String(f).endsWith(".parquet")) : []).toEqual([]);
    expect(existsSync(state.tmpDir) ? readdirSync(state.tmpDir) : []).toEqual([]);
  }, 120_000);
});
