/**
 * The reference engine's export over a shard (the whole sandbox in memory, see in-memory-job.ts; a test case's
 * data in `profile-lab test`): group → merge → profile filters → memberships → segment filters → projection,
 * handing each row to the batches it belongs to.
 */
import { matchesSegmentFilter, passesProfileFilters, planBatches, type BatchSpec } from "../export/export-job.js";
import { ExportError, parseExportRequest, type ExportPlan } from "../export/export-request.js";
import { projectionOf, projectRow, projectType, type Projection } from "../export/projection.js";
import { identityMapOf } from "../identity/identity-key.js";
import type { EventFragment } from "../merge/fragment.js";
import { memberStatuses, type StatusModel } from "../segment/membership.js";
import { deterministicHexId } from "../store/ids.js";
import { unionType } from "../xdm/schema.js";
import type { JsonObject, MergePolicy } from "../xdm/types.js";
import { array, IDENTITY_MAP_TYPE, object, SEGMENT_MEMBERSHIP_TYPE, type XdmObject } from "../xdm/xdm-type.js";
import { paced, PROGRESS_EVERY, type Checkpoint, type ShardProgress } from "./job-progress.js";
import type { Shard } from "./in-memory-job.js";
import { mergeGroup, profileGroupSteps } from "./profile-groups.js";
import { membershipsOf } from "./run-segment-job.js";
import type { Sandbox } from "./sandbox.js";
import { priorMemberships } from "./segment-shard.js";

/** Everything an export needs to turn profiles into rows, derived from the request alone (so workers rebuild it). */
export interface ExportContext {
  readonly plan: ExportPlan;
  readonly policy: MergePolicy;
  readonly rowType: XdmObject;
  readonly projection: Projection | undefined;
  /** The request's own warnings (ExportPlan.warnings), then paths in `fields`/`eventList.fields` that name nothing in the union schema (ignored). */
  readonly warnings: readonly string[];
}

function resolvePolicy(sandbox: Sandbox, plan: ExportPlan, file: string | undefined): MergePolicy {
  if (plan.mergePolicyId !== undefined) return sandbox.policies.get(plan.mergePolicyId, { file, jsonPath: "$.mergePolicy.id" });
  const first = plan.segments?.find((s) => s.segmentNs.toLowerCase() === "ups");
  const segment = first && sandbox.segments.find((s) => s.definition.id === first.segmentId);
  const id = segment?.definition.mergePolicyId;
  return id === undefined ? sandbox.policies.default : sandbox.policies.get(id);
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

/** Parses and resolves an export request; `checkPlan` sees the parsed plan before anything is resolved. */
export function exportContext(sandbox: Sandbox, body: unknown, statusModel: StatusModel, file: string | undefined, checkPlan?: (plan: ExportPlan) => void): ExportContext {
  const plan = parseExportRequest(body, memberStatuses(statusModel), file);
  checkPlan?.(plan);
  const policy = resolvePolicy(sandbox, plan, file);
  const warnings: string[] = [...plan.warnings];
  const rowType = rowTypeOf(sandbox, plan, warnings, file);
  return { plan, policy, rowType, projection: plan.fields && projectionOf(plan.fields), warnings };
}

/** The batches of export job `jobId` (their ids derive from it). */
export function batchSpecs(sandbox: Sandbox, plan: ExportPlan, jobId: number): BatchSpec[] {
  return planBatches(plan, (i) => deterministicHexId(sandbox.manifest.name, "export-batch", jobId, i));
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

/** What a shard adds to the export's metrics. */
export interface ExportShardResult {
  readonly exported: number;
  /** Exported profiles by identity namespace, keys in order of first profile. */
  readonly byNamespace: Record<string, number>;
  readonly excludedOverIdentityLimit: number;
}

/** A row for the batches with these indexes (into `ExportContext.specs`). */
export type RowSink = (batches: readonly number[], row: JsonObject) => void | Promise<void>;

/** Turns a shard's profiles into rows for `sink`, in profile order. */
export async function exportShard(
  sandbox: Sandbox,
  context: ExportContext,
  specs: readonly BatchSpec[],
  shard: Shard,
  asOf: number,
  sink: RowSink,
  checkpoint: Checkpoint<ShardProgress>,
): Promise<ExportShardResult> {
  const { plan, policy, rowType, projection } = context;
  const grouped = await paced(profileGroupSteps(shard.data, policy), (step) => checkpoint({ stage: "identities", policy: 0, rows: step.done, totalRows: step.total }));
  const byNamespace: Record<string, number> = {};
  let exported = 0;
  let profiles = 0;
  const totalProfiles = grouped.groups.length;
  await checkpoint({ stage: "merging", policy: 0, profiles, totalProfiles, exported });
  for (const group of grouped.groups) {
    if (++profiles % PROGRESS_EVERY === 0) await checkpoint({ stage: "merging", policy: 0, profiles, totalProfiles, exported });
    const merged = mergeGroup(group, policy, sandbox.conventions);
    const hasRecords = merged.recordCount > 0;
    const lastUpdate = hasRecords ? merged.lastIngestTime : Math.max(...group.events.map((e) => e.ingestTime));
    if (!passesProfileFilters(plan, hasRecords, lastUpdate)) continue;
    const memberships = membershipsOf(sandbox, priorMemberships(shard.prior, group), group, asOf);
    const targets: number[] = [];
    specs.forEach((spec, i) => {
      if (spec.filters === undefined || spec.filters.some((f) => matchesSegmentFilter(memberships, f, plan))) targets.push(i);
    });
    if (targets.length === 0) continue;
    const full: JsonObject = { ...merged.entity };
    if (Object.keys(memberships).length > 0) full["segmentMembership"] = memberships as unknown as JsonObject;
    const row = projection ? projectRow(full, projection) : full;
    if (rowType.fields.has("timeSeriesEvents")) row["timeSeriesEvents"] = eventsOf(group.events, plan);
    await sink(targets, row);
    exported++;
    for (const ns of Object.keys(identityMapOf(merged.entity) ?? {})) byNamespace[ns] = (byNamespace[ns] ?? 0) + 1;
  }
  await checkpoint({ stage: "merging", policy: 0, profiles, totalProfiles, exported });
  return { exported, byNamespace, excludedOverIdentityLimit: grouped.excludedOverIdentityLimit };
}

