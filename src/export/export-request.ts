/**
 * Export-job requests (`POST /export/jobs`): the platform's body as a type, and its validation into an
 * ExportPlan with every default applied. The body is checked against EXPORT_JOB_REQUEST_SCHEMA (every level:
 * unknown fields, types, nulls, empty ids, ranges, sizes), then for what a schema cannot say (repeated filter
 * entries, time order, one dataset spelling). Errors are ExportErrors (EXP-R001) naming the file and the JSON
 * path of the offending value; what is accepted leniently is said in the plan's warnings.
 */
import { checkRequest } from "../requests/validate.js";
import { REQUEST_LIMITS } from "../requests/limits.js";
import { ProfileLabError } from "../xdm/errors.js";
import { parseDateTime } from "../xdm/time.js";
import { UPS_NAMESPACE, type MembershipStatus } from "../xdm/types.js";

export interface SegmentFilter {
  segmentId: string;
  segmentNs?: string;
  status?: MembershipStatus[];
}

/** The request body, field for field as the platform documents it. */
export interface ExportJobRequest {
  fields?: string;
  mergePolicy?: { id: string; version?: number };
  filter?: {
    segments?: SegmentFilter[];
    segmentQualificationTime?: { startTime?: string; endTime?: string };
    fromIngestTimestamp?: string;
    emptyProfiles?: boolean;
  };
  additionalFields?: {
    eventList?: { fields?: string; filter?: { fromIngestTimestamp?: string; toIngestTimestamp?: string } };
  };
  /** `datasetId`, or `dataSetId` as some of the platform's samples spell it (one of the two is required). */
  destination: { datasetId?: string; dataSetId?: string; segmentPerBatch?: boolean };
  schema: { name: string };
  evaluationInfo?: { segmentation?: boolean };
}

/** A segment filter entry with its defaults applied. */
export interface ResolvedSegmentFilter {
  readonly segmentId: string;
  readonly segmentNs: string;
  readonly status: readonly MembershipStatus[];
}

/** What the export will do: the request with every default applied and every time parsed. */
export interface ExportPlan {
  readonly request: ExportJobRequest;
  /** Dot paths to keep, or undefined for all fields. */
  readonly fields: readonly string[] | undefined;
  readonly mergePolicyId: string | undefined;
  readonly segments: readonly ResolvedSegmentFilter[] | undefined;
  readonly qualificationStart: number | undefined;
  readonly qualificationEnd: number | undefined;
  readonly fromIngestTimestamp: number | undefined;
  readonly emptyProfiles: boolean;
  /** Present when events are exported in `timeSeriesEvents`. */
  readonly eventList: { readonly fields: readonly string[] | undefined; readonly from: number | undefined; readonly to: number | undefined } | undefined;
  readonly datasetId: string;
  readonly segmentPerBatch: boolean;
  readonly runSegmentation: boolean;
  /** What the request asked for that was accepted leniently, as `field: what happens instead`. */
  readonly warnings: readonly string[];
}

export class ExportError extends ProfileLabError {
  override readonly name = "ExportError";
}

/** Splits a `fields` list ("a.b, c") into trimmed dot paths. */
export function parseFieldList(fields: string): string[] {
  return fields
    .split(",")
    .map((f) => f.trim())
    .filter((f) => f !== "");
}

/**
 * Validates a request body. `defaultStatus` is the status filter of the active status model; `file` is used
 * in error locations.
 */
export function parseExportRequest(body: unknown, defaultStatus: readonly MembershipStatus[], file?: string): ExportPlan {
  const request = checkRequest<ExportJobRequest>("exportJob", body, (p, detail) => new ExportError(p.code, p.message, { file, jsonPath: p.jsonPath }, detail));
  const fail = (jsonPath: string, message: string): never => {
    throw new ExportError("EXP-R001", message, { file, jsonPath });
  };
  const warnings: string[] = [];
  // The schema checked the format; the scanner gives the instant (and refuses what it cannot read, e.g. 10 fraction digits).
  const time = (v: string | undefined, jsonPath: string): number | undefined => {
    if (v === undefined) return undefined;
    return parseDateTime(v) ?? fail(jsonPath, `${jsonPath.slice(2)} must be an RFC 3339 timestamp with an offset (e.g. 2018-10-25T13:22:04-07:00), not ${JSON.stringify(v)}`);
  };
  const fieldsOf = (v: string | undefined, field: string): string[] | undefined => {
    if (v === undefined) return undefined;
    const list = parseFieldList(v);
    // "If left blank, all fields will be exported" (export-jobs.md).
    if (list.length === 0) warnings.push(`${field} is blank: every field is exported`);
    return list.length ? list : undefined;
  };

  const { destination, filter = {}, additionalFields, evaluationInfo } = request;
  const fields = fieldsOf(request.fields, "fields");
  const datasetId = datasetIdOf(destination, warnings, fail);
  const segments = filter.segments && resolveSegments(filter.segments, defaultStatus, warnings, fail);
  const qualificationStart = time(filter.segmentQualificationTime?.startTime, "$.filter.segmentQualificationTime.startTime");
  const qualificationEnd = time(filter.segmentQualificationTime?.endTime, "$.filter.segmentQualificationTime.endTime");
  if (qualificationStart !== undefined && qualificationEnd !== undefined && qualificationStart > qualificationEnd)
    fail("$.filter.segmentQualificationTime", "filter.segmentQualificationTime: startTime is after endTime");
  const el = additionalFields?.eventList;
  const eventList: ExportPlan["eventList"] = el && {
    fields: fieldsOf(el.fields, "additionalFields.eventList.fields"),
    from: time(el.filter?.fromIngestTimestamp, "$.additionalFields.eventList.filter.fromIngestTimestamp"),
    to: time(el.filter?.toIngestTimestamp, "$.additionalFields.eventList.filter.toIngestTimestamp"),
  };
  const runSegmentation = evaluationInfo?.segmentation === true;
  if (runSegmentation && segments) {
    const ups = new Set(segments.filter((s) => s.segmentNs.toLowerCase() === UPS_NAMESPACE).map((s) => s.segmentId));
    if (ups.size > REQUEST_LIMITS.segmentJobSegments)
      fail(
        "$.filter.segments",
        `evaluationInfo.segmentation runs a segment job over the ${ups.size.toLocaleString("en-US")} ups segments of filter.segments; ` +
          `the platform takes at most ${REQUEST_LIMITS.segmentJobSegments.toLocaleString("en-US")} per segment job (segment-jobs.md): run a segment job over every segment first, then export without evaluationInfo`,
      );
  }
  return {
    request,
    fields,
    mergePolicyId: request.mergePolicy?.id,
    segments,
    qualificationStart,
    qualificationEnd,
    fromIngestTimestamp: time(filter.fromIngestTimestamp, "$.filter.fromIngestTimestamp"),
    emptyProfiles: filter.emptyProfiles === true,
    eventList,
    datasetId,
    segmentPerBatch: destination.segmentPerBatch === true,
    runSegmentation,
    warnings,
  };
}

type Fail = (jsonPath: string, message: string) => never;

/** `destination.datasetId`, or the `dataSetId` spelling (warned about); both must then agree. */
function datasetIdOf(destination: ExportJobRequest["destination"], warnings: string[], fail: Fail): string {
  const { datasetId, dataSetId } = destination;
  if (datasetId !== undefined && dataSetId !== undefined && datasetId !== dataSetId)
    fail("$.destination.dataSetId", `destination.dataSetId ("${dataSetId}") and destination.datasetId ("${datasetId}") name different datasets; give datasetId only`);
  if (datasetId === undefined) warnings.push('destination.dataSetId: read as destination.datasetId (both spellings appear in the platform\'s samples; the documented one is "datasetId")');
  return (datasetId ?? dataSetId)!;
}

/**
 * The filter entries with their defaults (`segmentNs` ups, `status` the status model's members). An entry that
 * repeats an earlier one (same segment, namespace — compared without case, as memberships are — and statuses)
 * is an error: the platform documents no de-duplication, and with segmentPerBatch each entry is its own batch.
 */
function resolveSegments(entries: readonly SegmentFilter[], defaultStatus: readonly MembershipStatus[], warnings: string[], fail: Fail): ResolvedSegmentFilter[] {
  const seen = new Map<string, number>();
  let legacy: string | undefined;
  return entries.map((s, i) => {
    const segmentNs = s.segmentNs ?? UPS_NAMESPACE;
    const status = s.status ?? defaultStatus;
    const key = `${s.segmentId}\u0000${segmentNs.toLowerCase()}\u0000${[...status].sort().join(",")}`;
    const first = seen.get(key);
    if (first !== undefined) {
      fail(
        `$.filter.segments[${i}]`,
        `filter.segments[${i}] repeats filter.segments[${first}] (segment "${s.segmentId}" in namespace "${segmentNs}", status ${status.join(", ")}); remove the repeat`,
      );
    }
    seen.set(key, i);
    if (legacy === undefined && status.includes("existing") && !defaultStatus.includes("existing")) {
      // "treat existing as accepted input in filters" (profile-semantics.md §0).
      legacy = `filter.segments[${i}].status: "existing" was retired on 15 May 2023 (memberships are realized or exited); no current membership has it`;
      warnings.push(legacy);
    }
    return { segmentId: s.segmentId, segmentNs, status };
  });
}
