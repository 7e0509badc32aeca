/**
 * Export-job requests (`POST /export/jobs`): the platform's body as a type, and its validation into an
 * ExportPlan with every default applied. Errors name the JSON path of the offending value.
 */
import { ProfileLabError } from "../xdm/errors.js";
import { parseDateTime } from "../xdm/time.js";
import { PROFILE_SCHEMA_NAME, UPS_NAMESPACE, type MembershipStatus } from "../xdm/types.js";

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
  destination: { datasetId: string; segmentPerBatch?: boolean };
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
}

export class ExportError extends ProfileLabError {
  override readonly name = "ExportError";
}

const STATUSES: readonly MembershipStatus[] = ["realized", "existing", "exited"];
const TOP_LEVEL = ["fields", "mergePolicy", "filter", "additionalFields", "destination", "schema", "evaluationInfo"];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
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
  const fail = (jsonPath: string, message: string): never => {
    throw new ExportError("EXP-R001", message, { file, jsonPath });
  };
  if (!isObject(body)) return fail("$", "the request body must be a JSON object");
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.includes(key)) fail(`$.${key}`, `unknown field "${key}" (expected one of ${TOP_LEVEL.join(", ")})`);
  }
  const time = (v: unknown, jsonPath: string): number | undefined => {
    if (v === undefined) return undefined;
    const t = typeof v === "string" ? parseDateTime(v) : undefined;
    return t ?? fail(jsonPath, `expected an RFC 3339 timestamp with an offset (e.g. 2018-10-25T13:22:04-07:00), found ${JSON.stringify(v)}`);
  };
  const fieldsOf = (v: unknown, jsonPath: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== "string") return fail(jsonPath, "expected a comma-separated string of field paths");
    const list = parseFieldList(v);
    return list.length ? list : undefined;
  };

  const destination = body["destination"];
  if (!isObject(destination)) return fail("$.destination", "\"destination\" is required: {\"datasetId\": \"<union dataset id>\"}");
  const datasetId = destination["datasetId"] ?? destination["dataSetId"];
  if (typeof datasetId !== "string" || datasetId === "") return fail("$.destination.datasetId", "destination.datasetId is required");
  if (destination["segmentPerBatch"] !== undefined && typeof destination["segmentPerBatch"] !== "boolean")
    fail("$.destination.segmentPerBatch", "destination.segmentPerBatch must be true or false");
  const schema = body["schema"];
  if (!isObject(schema) || typeof schema["name"] !== "string") return fail("$.schema.name", `schema.name is required ("${PROFILE_SCHEMA_NAME}")`);
  if (schema["name"] !== PROFILE_SCHEMA_NAME) fail("$.schema.name", `schema.name must be "${PROFILE_SCHEMA_NAME}", not "${schema["name"]}"`);

  let mergePolicyId: string | undefined;
  if (body["mergePolicy"] !== undefined) {
    const mp = body["mergePolicy"];
    if (!isObject(mp) || typeof mp["id"] !== "string") return fail("$.mergePolicy.id", "mergePolicy needs an \"id\"");
    if (mp["version"] !== undefined && typeof mp["version"] !== "number") fail("$.mergePolicy.version", "mergePolicy.version must be a number");
    mergePolicyId = mp["id"];
  }

  const filter = body["filter"] ?? {};
  if (!isObject(filter)) return fail("$.filter", "\"filter\" must be an object");
  let segments: ResolvedSegmentFilter[] | undefined;
  if (filter["segments"] !== undefined) {
    if (!Array.isArray(filter["segments"])) return fail("$.filter.segments", "filter.segments must be an array");
    segments = filter["segments"].map((s: unknown, i: number) => {
      const at = `$.filter.segments[${i}]`;
      if (!isObject(s) || typeof s["segmentId"] !== "string" || s["segmentId"] === "") return fail(`${at}.segmentId`, "each segment filter needs a \"segmentId\"");
      if (s["segmentNs"] !== undefined && typeof s["segmentNs"] !== "string") fail(`${at}.segmentNs`, "segmentNs must be a string");
      let status = defaultStatus;
      if (s["status"] !== undefined) {
        const st = s["status"];
        if (!Array.isArray(st) || st.length === 0) return fail(`${at}.status`, `status must be a non-empty array of ${STATUSES.join(", ")}`);
        st.forEach((x: unknown, j: number) => {
          if (!STATUSES.includes(x as MembershipStatus)) fail(`${at}.status[${j}]`, `unknown status ${JSON.stringify(x)} (expected ${STATUSES.join(", ")})`);
        });
        status = st as MembershipStatus[];
      }
      return { segmentId: s["segmentId"], segmentNs: (s["segmentNs"] as string | undefined) ?? UPS_NAMESPACE, status };
    });
  }
  const sqt = filter["segmentQualificationTime"];
  if (sqt !== undefined && !isObject(sqt)) fail("$.filter.segmentQualificationTime", "segmentQualificationTime must be {startTime, endTime}");
  const qualificationStart = time(isObject(sqt) ? sqt["startTime"] : undefined, "$.filter.segmentQualificationTime.startTime");
  const qualificationEnd = time(isObject(sqt) ? sqt["endTime"] : undefined, "$.filter.segmentQualificationTime.endTime");
  if (qualificationStart !== undefined && qualificationEnd !== undefined && qualificationStart > qualificationEnd)
    fail("$.filter.segmentQualificationTime", "startTime is after endTime");
  if (filter["emptyProfiles"] !== undefined && typeof filter["emptyProfiles"] !== "boolean") fail("$.filter.emptyProfiles", "emptyProfiles must be true or false");

  let eventList: ExportPlan["eventList"];
  const additional = body["additionalFields"];
  if (additional !== undefined) {
    if (!isObject(additional)) return fail("$.additionalFields", "additionalFields must be an object");
    const el = additional["eventList"];
    if (el !== undefined) {
      if (!isObject(el)) return fail("$.additionalFields.eventList", "eventList must be an object");
      const ef = el["filter"] ?? {};
      if (!isObject(ef)) return fail("$.additionalFields.eventList.filter", "eventList.filter must be an object");
      eventList = {
        fields: fieldsOf(el["fields"], "$.additionalFields.eventList.fields"),
        from: time(ef["fromIngestTimestamp"], "$.additionalFields.eventList.filter.fromIngestTimestamp"),
        to: time(ef["toIngestTimestamp"], "$.additionalFields.eventList.filter.toIngestTimestamp"),
      };
    }
  }
  const evaluation = body["evaluationInfo"];
  if (evaluation !== undefined && !(isObject(evaluation) && (evaluation["segmentation"] === undefined || typeof evaluation["segmentation"] === "boolean")))
    fail("$.evaluationInfo.segmentation", "evaluationInfo must be {\"segmentation\": true|false}");

  return {
    request: body as unknown as ExportJobRequest,
    fields: fieldsOf(body["fields"], "$.fields"),
    mergePolicyId,
    segments,
    qualificationStart,
    qualificationEnd,
    fromIngestTimestamp: time(filter["fromIngestTimestamp"], "$.filter.fromIngestTimestamp"),
    emptyProfiles: filter["emptyProfiles"] === true,
    eventList,
    datasetId,
    segmentPerBatch: destination["segmentPerBatch"] === true,
    runSegmentation: isObject(evaluation) && evaluation["segmentation"] === true,
  };
}
