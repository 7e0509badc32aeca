/**
 * Runs an export job: validate the request, plan the batches, then group → merge → filter → project → write
 * Parquet. Files are written to the job's staging folder and moved into the lake only when
 * every batch is complete, so a failed job leaves no partial batch and earlier batches untouched.
 */
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, relative } from "node:path";
import type { FinishedBatches } from "../export/batch-writer.js";
import { DEFAULT_ROWS_PER_FILE } from "../export/defaults.js";
import { destinationOf, type BatchSpec, type ExportJob } from "../export/export-job.js";
import { ExportError, type ExportPlan } from "../export/export-request.js";
import type { StatusModel } from "../segment/membership.js";
import { toJobError } from "../segment/segment-job.js";
import { deterministicUuid } from "../store/ids.js";
import type { BatchRecord } from "../store/catalog-types.js";
import { Catalog } from "../store/catalog.js";
import { JobControl } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { formatDateTime } from "../xdm/time.js";
import { PROFILE_SCHEMA_NAME, PROFILE_UNION_SCHEMA_ID } from "../xdm/types.js";
import { batchSpecs, exportContext, exportShard, type ExportContext, type ExportShardResult, type RowSink } from "./export-shard.js";
import { recoverInterruptedJobs } from "./job-recovery.js";
import { checkedWhile, progressCheck, type Checkpoint, type JobProgress, type StageProgress } from "./job-progress.js";
import { exportOnSql } from "./export-sql.js";
import type { JobEngine } from "./job-engine.js";
import type { SqlStatement } from "../sql/jobs/engine-session.js";
import { runSegmentJob } from "./run-segment-job.js";
import { findDataset, type Sandbox } from "./sandbox.js";

export interface ExportJobOptions {
  /** The evaluation clock, epoch ms (of the segmentation it runs, external audiences' validity); recorded as the job's `asOf`. */
  readonly asOf: number;
  readonly statusModel: StatusModel;
  /** DuckDB's memory limit; the reference engine refuses data it could not hold in it (ENG-M002). */
  readonly memoryBytes?: number;
  /** DuckDB's threads (default one per core); the reference engine runs in this thread. */
  readonly workers?: number;
  /** Rows per Parquet part file (default 5,000,000 as on the platform). */
  readonly rowsPerFile?: number;
  /** Where the request came from, for error locations. */
  readonly requestFile?: string;
  readonly clock?: () => number;
  /**
   * Called at every checkpoint (as rows are read and linked, every 1,000 profiles, as the files are finished;
   * as DuckDB's statements run), before the cancel check; also by the segment job a request with
   * `runSegmentation` runs first.
   */
  readonly onProgress?: (event: JobProgress) => void;
  /**
   * Called once with a copy of the job as recorded when it starts (PROCESSING), before any data is read (after
   * the segment job a request with `runSegmentation` runs first): a server answers the POST with it.
   */
  readonly onStart?: (job: ExportJob) => void;
  /**
   * A job `createExportJob` recorded as NEW for this body and these options (a server's queued job): the run
   * adopts it instead of recording a new one.
   */
  readonly job?: ExportJob;
  /**
   * What merges and writes: `duckdb` (the rows merged in SQL and each batch's Parquet written by an embedded DuckDB,
   * `workers` its threads and `memoryBytes` its memory limit) or `reference` (the JS merge and Parquet writer, in
   * memory in this thread). Both write the same rows and metrics (test/sql/export-job-sql.test.ts). Default: DuckDB. A request
   * with `runSegmentation` runs its segment job on the same engine.
   */
  readonly engine?: JobEngine;
  /** The DuckDB engine only: called with every statement the job runs, in order (`export --explain-sql`). */
  readonly onSql?: (statement: SqlStatement) => void;
  /** The DuckDB engine only: the number of runs of profiles its work takes (default: as `memoryBytes` needs). For tests of runs on small data. */
  readonly runs?: number;
  /** The DuckDB engine only: its tables in a database file (default: for data several times `memoryBytes`). For tests on small data. */
  readonly onDisk?: boolean;
}

export interface ExportResult {
  readonly job: ExportJob;
  readonly batches: readonly BatchRecord[];
  /** What the request asked for that was read leniently, and paths in `fields`/`eventList.fields` that name nothing in the union schema (ignored). */
  readonly warnings: readonly string[];
}

/** The export target must be a union-schema dataset: one of the manifest's, or one created through the Catalog. */
function checkTarget(sandbox: Sandbox, plan: ExportPlan, file: string | undefined): void {
  const catalog = new Catalog(new SandboxState(sandbox.dir), sandbox.manifest, { clock: Date.now });
  const target = findDataset(sandbox, plan.datasetId);
  if (target === undefined && catalog.hasDataset(plan.datasetId)) {
    const created = catalog.getDataset(plan.datasetId)[plan.datasetId];
    if (created?.schemaRef?.id === PROFILE_UNION_SCHEMA_ID) return;
  }
  if (target === undefined) {
    const unions = sandbox.datasets.filter((d) => d.kind === "union").map((d) => `"${d.entry.id}" (${d.entry.name})`);
    throw new ExportError("EXP-R002", `unknown dataset "${plan.datasetId}"; union-schema datasets in this sandbox: ${unions.join(", ") || "none"}`, {
      file,
      jsonPath: "$.destination.datasetId",
    });
  }
  if (target.kind !== "union") {
    throw new ExportError("EXP-R003", `dataset "${target.entry.name}" is not based on the XDM Individual Profile union schema; export targets must be`, {
      file,
      jsonPath: "$.destination.datasetId",
    });
  }
  const known = new Set(sandbox.segments.map((s) => s.definition.id));
  plan.segments?.forEach((f, i) => {
    if (f.segmentNs.toLowerCase() !== "ups") return;
    if (!known.has(f.segmentId)) {
      throw new ExportError("EXP-R004", `unknown segment "${f.segmentId}" in namespace ups`, { file, jsonPath: `$.filter.segments[${i}].segmentId` });
    }
  });
}

function nextJobId(state: SandboxState): number {
  return Math.max(0, ...state.records<ExportJob>("export-jobs").ids().map(Number).filter(Number.isFinite)) + 1;
}

type NewJobOptions = Pick<ExportJobOptions, "asOf" | "statusModel" | "requestFile" | "clock">;

/** The request read and checked (fields, filter, merge policy, target dataset, segments); a coded error otherwise. */
function checkedContext(sandbox: Sandbox, body: unknown, options: NewJobOptions): ExportContext {
  const file = options.requestFile;
  return exportContext(sandbox, body, options.statusModel, file, (plan) => checkTarget(sandbox, plan, file));
}

/** Records the job as NEW and claims it for this process (so a restart's job recovery finds it if the process dies first). */
function recordNewJob(sandbox: Sandbox, context: ExportContext, options: NewJobOptions): ExportJob {
  const clock = options.clock ?? Date.now;
  recoverInterruptedJobs(sandbox.dir, clock);
  const state = new SandboxState(sandbox.dir);
  const { plan, policy } = context;
  const id = nextJobId(state);
  const created = clock();
  const request = plan.request;
  const job: ExportJob = {
    id,
    jobType: "BATCH",
    profileInstanceId: "ups",
    status: "NEW",
    ...(request.fields !== undefined ? { fields: request.fields } : {}),
    schema: { name: PROFILE_SCHEMA_NAME },
    mergePolicy: { id: policy.id, version: policy.version },
    ...(request.filter !== undefined ? { filter: request.filter } : {}),
    ...(request.additionalFields !== undefined ? { additionalFields: request.additionalFields } : {}),
    destination: destinationOf(plan, batchSpecs(sandbox, plan, id)),
    metrics: { totalTime: { startTimeInMs: created } },
    computeGatewayJobId: {},
    imsOrgId: sandbox.manifest.imsOrgId,
    requestId: deterministicUuid(sandbox.manifest.name, "export-job-request", id),
    creationTime: created,
    updateTime: created,
    asOf: formatDateTime(options.asOf),
  };
  state.records<ExportJob>("export-jobs").put(id, job);
  new JobControl(state.root).claim("export-jobs", id);
  return job;
}

/**
 * Records an export job as NEW (queued) without running it; `runExportJob` with the same body, options and
 * `job` runs it. A request the job would refuse (invalid body, unknown dataset or segment) is refused here,
 * before anything is recorded.
 */
export function createExportJob(sandbox: Sandbox, body: unknown, options: NewJobOptions): ExportJob {
  return recordNewJob(sandbox, checkedContext(sandbox, body, options), options);
}

/**
 * The reference: rows built from the whole sandbox in memory by the JS merge and written by the JS Parquet writer,
 * in this thread. On failure the writers are aborted. Its reading and writing of Parquet (Arrow and parquet-wasm,
 * ~250 ms to load) are imported only here, where a job on DuckDB never goes.
 */
async function exportInMemory(
  sandbox: Sandbox,
  context: ExportContext,
  specs: readonly BatchSpec[],
  batchDirs: readonly string[],
  options: ExportJobOptions & { readonly rowsPerFile: number; readonly checkpoint: Checkpoint<StageProgress> },
): Promise<FinishedBatches & ExportShardResult> {
  const { rowsPerFile, checkpoint } = options;
  const [{ BatchWriter, finishBatches }, { runInMemory }] = await Promise.all([import("../export/batch-writer.js"), import("./in-memory-job.js")]);
  const writers = batchDirs.map((dir) => new BatchWriter(dir, context.rowType, rowsPerFile));
  try {
    const toWriters: RowSink = async (targets, row) => {
      for (const i of targets) await writers[i]!.write(row);
    };
    const result = await runInMemory(sandbox, { memoryBytes: options.memoryBytes, policies: 1, checkpoint }, (shard, progress) =>
      exportShard(sandbox, context, specs, shard, options.asOf, toWriters, progress),
    );
    // The last rows are encoded and the files closed; a cancel meanwhile stops it.
    const writing: StageProgress = { stage: "writing", rows: 0, profiles: 0, exported: result.exported };
    const { files, writeMs } = await checkedWhile(finishBatches(writers), () => checkpoint(writing));
    await checkpoint(writing);
    return { files, writeMs, ...result };
  } catch (e) {
    await Promise.all(writers.map((w) => w.abort()));
    throw e;
  }
}

/** Runs an export job to completion; the job and its batches are recorded under `.profile-lab/`. */
export async function runExportJob(sandbox: Sandbox, body: unknown, options: ExportJobOptions): Promise<ExportResult> {
  const clock = options.clock ?? Date.now;
  const context = checkedContext(sandbox, body, options);
  const { plan, warnings } = context;
  const engine = options.engine ?? "duckdb";
  const memory = options.memoryBytes ? { memoryBytes: options.memoryBytes } : {};
  if (plan.runSegmentation) {
    const ids = plan.segments?.filter((s) => s.segmentNs.toLowerCase() === "ups").map((s) => s.segmentId);
    await runSegmentJob(sandbox, {
      segmentIds: ids,
      asOf: options.asOf,
      statusModel: options.statusModel,
      clock,
      ...(options.workers === undefined ? {} : { workers: options.workers }),
      ...memory,
      ...(options.engine === undefined ? {} : { engine }),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
  }

  const job = options.job ?? recordNewJob(sandbox, context, options);
  const state = new SandboxState(sandbox.dir);
  const control = new JobControl(state.root);
  const jobs = state.records<ExportJob>("export-jobs");
  const batchStore = state.records<BatchRecord>("batches");
  const { id, creationTime: created } = job;
  const name = sandbox.manifest.name;
  const specs = batchSpecs(sandbox, plan, id);
  const batches: BatchRecord[] = specs.map((spec) => ({
    id: spec.batchId,
    imsOrg: sandbox.manifest.imsOrgId,
    status: "loading",
    created,
    updated: created,
    relatedObjects: [{ type: "dataSet", id: plan.datasetId }],
    version: "1.0.0",
    inputFormat: { format: "parquet" },
    tags: { exportJobId: [String(id)], ...(spec.filters ? { segmentId: spec.filters.map((f) => f.segmentId) } : {}) },
  }));
  const update = (patch: Partial<ExportJob>): void => {
    Object.assign(job, patch, { updateTime: clock() });
    jobs.put(id, job);
  };
  for (const b of batches) batchStore.put(b.id, b);
  update({ status: "PROCESSING", computeGatewayJobId: { exportJob: deterministicUuid(name, "export-compute", id) } });
  options.onStart?.(structuredClone(job));

  const staging = state.stagingDir(id);
  mkdirSync(staging, { recursive: true });
  const batchDirs = specs.map((s) => state.stagedBatchDir(id, s.batchId));
  const rowsPerFile = options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE;
  try {
    const exportStart = clock();
    const checkpoint = progressCheck("export-jobs", id, control, options.onProgress);
    const { files, writeMs, exported, byNamespace, excludedOverIdentityLimit } =
      engine === "duckdb"
        ? await exportOnSql(sandbox, context, specs, batchDirs, {
            jobId: id,
            asOf: options.asOf,
            rowsPerFile,
            checkpoint,
            ...(options.workers === undefined ? {} : { workers: options.workers }),
            ...(options.onSql === undefined ? {} : { onSql: options.onSql }),
            ...(options.runs === undefined ? {} : { runs: options.runs }),
            ...(options.onDisk === undefined ? {} : { onDisk: options.onDisk }),
            ...memory,
          })
        : await exportInMemory(sandbox, context, specs, batchDirs, { ...options, rowsPerFile, checkpoint });
    const exportEnd = clock();
    commitBatches(state, plan, specs, id);
    const end = clock();
    // The batches and the job become successful together, in one transaction.
    state.transaction(() => {
      specs.forEach((spec, i) => {
        const written = files[i]!;
        Object.assign(batches[i]!, {
          status: "success",
          updated: end,
          completed: end,
          recordCount: written.reduce((n, f) => n + f.rows, 0),
          size: written.reduce((n, f) => n + f.bytes, 0),
          files: written.map((f) => ({
            name: f.name,
            path: relative(sandbox.dir, `${state.batchDir(plan.datasetId, spec.batchId)}/${f.name}`),
            rows: f.rows,
            length: f.bytes,
          })),
        });
        batchStore.put(spec.batchId, batches[i]!);
      });
      update({
        status: "SUCCEEDED",
        computeGatewayJobId: { ...job.computeGatewayJobId, pushJob: deterministicUuid(name, "export-push", id) },
        metrics: {
          totalTime: { startTimeInMs: created, endTimeInMs: end, totalTimeInMs: end - created },
          profileExportTime: { startTimeInMs: exportStart, endTimeInMs: exportEnd, totalTimeInMs: exportEnd - exportStart },
          aCPDatasetWriteTime: { startTimeInMs: exportEnd - writeMs, endTimeInMs: end, totalTimeInMs: end - (exportEnd - writeMs) },
          totalExportedProfileCounter: exported,
          exportedProfileByNamespaceCounter: byNamespace,
          ...(excludedOverIdentityLimit > 0 ? { excludedProfileCounter: { identityGraphOverLimit: excludedOverIdentityLimit } } : {}),
        },
      });
    });
    return { job, batches, warnings };
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    const end = clock();
    for (const b of batches) batchStore.put(b.id, Object.assign(b, { status: "failed", updated: end }));
    update({
      status: "FAILED",
      errors: [toJobError(e)],
      metrics: { totalTime: { startTimeInMs: created, endTimeInMs: end, totalTimeInMs: end - created } },
    });
    throw e;
  } finally {
    control.release("export-jobs", id);
  }
}

/** Moves every staged batch folder into the lake, then drops the staging folder. */
function commitBatches(state: SandboxState, plan: ExportPlan, specs: readonly BatchSpec[], jobId: number): void {
  for (const spec of specs) {
    const target = state.batchDir(plan.datasetId, spec.batchId);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(state.stagedBatchDir(jobId, spec.batchId), target);
  }
  rmSync(state.stagingDir(jobId), { recursive: true, force: true });
}
