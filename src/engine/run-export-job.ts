/**
 * Runs an export job: validate the request, plan the batches, then group → merge → filter → project → write
 * Parquet, shard by shard. Files are written to the job's staging folder and moved into the lake only when
 * every batch is complete, so a failed job leaves no partial batch and earlier batches untouched.
 */
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { dirname, relative } from "node:path";
import { BatchWriter, DEFAULT_ROWS_PER_FILE, type WrittenFile } from "../export/batch-writer.js";
import {
  destinationOf,
  matchesSegmentFilter,
  passesProfileFilters,
  planBatches,
  type BatchSpec,
  type ExportJob,
} from "../export/export-job.js";
import { ExportError, parseExportRequest, type ExportPlan } from "../export/export-request.js";
import { projectionOf, projectRow, projectType } from "../export/projection.js";
import type { EventFragment } from "../merge/fragment.js";
import { identityMapOf } from "../identity/identity-key.js";
import { memberStatuses, type StatusModel } from "../segment/membership.js";
import { toJobError } from "../segment/segment-job.js";
import { deterministicHexId, deterministicUuid } from "../store/ids.js";
import type { BatchRecord } from "../store/catalog-types.js";
import { Catalog } from "../store/catalog.js";
import { JobControl } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { unionType } from "../xdm/schema.js";
import { PROFILE_SCHEMA_NAME, PROFILE_UNION_SCHEMA_ID, type JsonObject, type MergePolicy } from "../xdm/types.js";
import { array, IDENTITY_MAP_TYPE, object, SEGMENT_MEMBERSHIP_TYPE, type XdmObject } from "../xdm/xdm-type.js";
import { recoverInterruptedJobs } from "./job-recovery.js";
import { progressCheck, PROGRESS_EVERY, type JobProgress } from "./job-progress.js";
import { mergeGroup, profileGroups } from "./profile-groups.js";
import { membershipsOf, runSegmentJob } from "./run-segment-job.js";
import { priorMemberships } from "./segment-shard.js";
import { runShards } from "./shard-runner.js";
import { findDataset, type Sandbox } from "./sandbox.js";

export interface ExportJobOptions {
  readonly asOf: number;
  readonly statusModel: StatusModel;
  /** Memory budget for the data of one shard; larger data is spilled to disk shard by shard. */
  readonly memoryBytes?: number;
  /** Rows per Parquet part file (default 5,000,000 as on the platform). */
  readonly rowsPerFile?: number;
  /** Where the request came from, for error locations. */
  readonly requestFile?: string;
  readonly clock?: () => number;
  /** Called as profiles go by (at each shard start and every 1,000 profiles), before the cancel check. */
  readonly onProgress?: (event: JobProgress) => void;
}

export interface ExportResult {
  readonly job: ExportJob;
  readonly batches: readonly BatchRecord[];
  /** Paths in `fields`/`eventList.fields` that name nothing in the union schema (ignored). */
  readonly warnings: readonly string[];
}

function resolvePolicy(sandbox: Sandbox, plan: ExportPlan, file: string | undefined): MergePolicy {
  if (plan.mergePolicyId !== undefined) return sandbox.policies.get(plan.mergePolicyId, { file, jsonPath: "$.mergePolicy.id" });
  const first = plan.segments?.find((s) => s.segmentNs.toLowerCase() === "ups");
  const segment = first && sandbox.segments.find((s) => s.definition.id === first.segmentId);
  const id = segment?.definition.mergePolicyId;
  return id === undefined ? sandbox.policies.default : sandbox.policies.get(id);
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
  plan.segments?.forEach((f, i) => {
    if (f.segmentNs.toLowerCase() !== "ups") return;
    if (!sandbox.segments.some((s) => s.definition.id === f.segmentId)) {
      throw new ExportError("EXP-R004", `unknown segment "${f.segmentId}" in namespace ups`, { file, jsonPath: `$.filter.segments[${i}].segmentId` });
    }
  });
}

/** The Parquet row schema: union profile (projected by `fields`), system maps, and timeSeriesEvents if asked. */
function rowTypeOf(sandbox: Sandbox, plan: ExportPlan, warnings: string[], file: string | undefined): XdmObject {
  const base = unionType(
    sandbox.profileType,
    object([
      ["identityMap", IDENTITY_MAP_TYPE],
      ["segmentMembership", SEGMENT_MEMBERSHIP_TYPE],
    ]),
    "$",
  ) as XdmObject;
  let rowType = base;
  if (plan.fields) {
    const projected = projectType(base, projectionOf(plan.fields));
    warnings.push(...projected.unknown.map((p) => `fields: "${p}" is not in the profile union schema; ignored`));
    if (projected.type.fields.size === 0) {
      throw new ExportError("EXP-R005", `fields names no field of the profile union schema (${plan.fields.join(", ")}); nothing would be exported`, { file, jsonPath: "$.fields" });
    }
    rowType = projected.type;
  }
  if (plan.eventList === undefined) return rowType;
  let eventType = sandbox.eventType;
  if (plan.eventList.fields) {
    const projected = projectType(eventType, projectionOf(plan.eventList.fields));
    warnings.push(...projected.unknown.map((p) => `additionalFields.eventList.fields: "${p}" is not in the event union schema; ignored`));
    eventType = projected.type;
  }
  // Events with no field left would be empty structs, which Parquet cannot hold: leave the column out.
  if (eventType.fields.size === 0) {
    warnings.push("additionalFields.eventList.fields names no field of the event union schema; no timeSeriesEvents are exported");
    return rowType;
  }
  return object([...rowType.fields, ["timeSeriesEvents", array(eventType)]]);
}

function eventsOf(events: readonly EventFragment[], plan: ExportPlan): JsonObject[] {
  const el = plan.eventList!;
  const projection = el.fields && projectionOf(el.fields);
  const out: JsonObject[] = [];
  for (const e of events) {
    if (el.from !== undefined && !(e.ingestTime > el.from)) continue;
    if (el.to !== undefined && !(e.ingestTime < el.to)) continue;
    out.push(projection ? projectRow(e.data, projection) : e.data);
  }
  return out;
}

function nextJobId(state: SandboxState): number {
  return Math.max(0, ...state.records<ExportJob>("export-jobs").ids().map(Number).filter(Number.isFinite)) + 1;
}

/** Runs an export job to completion; the job and its batches are recorded under `.profile-lab/`. */
export async function runExportJob(sandbox: Sandbox, body: unknown, options: ExportJobOptions): Promise<ExportResult> {
  const clock = options.clock ?? Date.now;
  const file = options.requestFile;
  const plan = parseExportRequest(body, memberStatuses(options.statusModel), file);
  checkTarget(sandbox, plan, file);
  const policy = resolvePolicy(sandbox, plan, file);
  const warnings: string[] = [];
  const rowType = rowTypeOf(sandbox, plan, warnings, file);
  if (plan.runSegmentation) {
    const ids = plan.segments?.filter((s) => s.segmentNs.toLowerCase() === "ups").map((s) => s.segmentId);
    await runSegmentJob(sandbox, { segmentIds: ids, asOf: options.asOf, statusModel: options.statusModel, clock, ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}) });
  }

  recoverInterruptedJobs(sandbox.dir, clock);
  const state = new SandboxState(sandbox.dir);
  const control = new JobControl(state.root);
  const jobs = state.records<ExportJob>("export-jobs");
  const batchStore = state.records<BatchRecord>("batches");
  const id = nextJobId(state);
  const name = sandbox.manifest.name;
  const specs = planBatches(plan, (i) => deterministicHexId(name, "export-batch", id, i));
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
    destination: destinationOf(plan, specs),
    metrics: { totalTime: { startTimeInMs: created } },
    computeGatewayJobId: {},
    imsOrgId: sandbox.manifest.imsOrgId,
    requestId: deterministicUuid(name, "export-job-request", id),
    creationTime: created,
    updateTime: created,
  };
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
  jobs.put(id, job);
  control.claim("export-jobs", id);
  for (const b of batches) batchStore.put(b.id, b);
  update({ status: "PROCESSING", computeGatewayJobId: { exportJob: deterministicUuid(name, "export-compute", id) } });

  const staging = state.stagingDir(id);
  const writers = specs.map((s) => new BatchWriter(`${staging}/${s.batchId}`, rowType, options.rowsPerFile ?? DEFAULT_ROWS_PER_FILE));
  try {
    const projection = plan.fields && projectionOf(plan.fields);
    const exportStart = clock();
    let exported = 0;
    let excludedOverIdentityLimit = 0;
    const byNamespace: Record<string, number> = {};
    const checkpoint = progressCheck("export-jobs", id, control, options.onProgress);
    let processed = 0;
    await runShards(sandbox, { ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}), workers: 1, onSpill: () => checkpoint(0, 0) }, {
      here: async (shard) => {
        const grouped = profileGroups(shard.data, policy);
        excludedOverIdentityLimit += grouped.excludedOverIdentityLimit;
        checkpoint(shard.index, processed);
        for (const group of grouped.groups) {
          if (++processed % PROGRESS_EVERY === 0) checkpoint(shard.index, processed);
          const merged = mergeGroup(group, policy, sandbox.conventions);
          const hasRecords = merged.recordCount > 0;
          const lastUpdate = hasRecords ? merged.lastIngestTime : Math.max(...group.events.map((e) => e.ingestTime));
          if (!passesProfileFilters(plan, hasRecords, lastUpdate)) continue;
          const memberships = membershipsOf(sandbox, priorMemberships(shard.prior, group), group, options.asOf);
          const targets = writers.filter((_, i) => {
            const filters = specs[i]!.filters;
            return filters === undefined || filters.some((f) => matchesSegmentFilter(memberships, f, plan));
          });
          if (targets.length === 0) continue;
          const full: JsonObject = { ...merged.entity };
          if (Object.keys(memberships).length > 0) full["segmentMembership"] = memberships as unknown as JsonObject;
          const row = projection ? projectRow(full, projection) : full;
          if (rowType.fields.has("timeSeriesEvents")) row["timeSeriesEvents"] = eventsOf(group.events, plan);
          for (const w of targets) await w.write(row);
          exported++;
          for (const ns of Object.keys(identityMapOf(merged.entity) ?? {})) byNamespace[ns] = (byNamespace[ns] ?? 0) + 1;
        }
      },
    });
    const files: WrittenFile[][] = [];
    for (const w of writers) files.push(await w.finish());
    const exportEnd = clock();
    const writeMs = Math.round(Math.max(0, ...writers.map((w) => w.writeTimeMs)));
    commitBatches(state, plan, specs, staging);
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
    await Promise.all(writers.map((w) => w.abort()));
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
function commitBatches(state: SandboxState, plan: ExportPlan, specs: readonly BatchSpec[], staging: string): void {
  for (const spec of specs) {
    const target = state.batchDir(plan.datasetId, spec.batchId);
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { recursive: true, force: true });
    renameSync(`${staging}/${spec.batchId}`, target);
  }
  rmSync(staging, { recursive: true, force: true });
}
