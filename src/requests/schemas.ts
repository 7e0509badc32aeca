/**
 * One JSON Schema (draft-07) per request body profile-lab accepts, strict at every level: no unknown fields,
 * no nulls, no empty ids, integers where integers, sizes bounded (limits.ts). The shapes are the platform's
 * (profile-semantics.md, the OpenAPI specs under shared/spec/openapi, the docs' request samples); where they
 * disagree, the schema accepts what the docs send and says so in a comment.
 *
 * The `x-error` keyword is profile-lab's annotation (no validation): the error code of problems at a node and
 * below (`code`, inherited), codes for one keyword at a node (`codeFor`), and a sentence appended to a keyword's
 * message there (`hint`). Checks JSON Schema cannot state (duplicates across fields, `*` standing alone, time
 * order, known ids) are made by the request parsers after the schema.
 */
import { PROFILE_SCHEMA_NAME } from "../xdm/types.js";
import { REQUEST_LIMITS as L } from "./limits.js";

/** A JSON Schema as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The `x-error` annotation. */
export interface ErrorAnnotation {
  /** Code of the problems at this node and below (unless a descendant says otherwise). */
  readonly code?: string;
  /** Codes for problems of one keyword at this node (e.g. `additionalProperties`, `uniqueItems`). */
  readonly codeFor?: Readonly<Record<string, string>>;
  /** A sentence appended to the message of a keyword's problem at this node: a limit's source, what to do instead. */
  readonly hint?: Readonly<Record<string, string>>;
}

const withError = (schema: JsonSchema, annotation: ErrorAnnotation): JsonSchema => ({ ...schema, "x-error": annotation });

/** An id or code: non-empty, no whitespace, bounded. */
const id = (example: string): JsonSchema => ({ type: "string", pattern: "^\\S+$", maxLength: L.idLength, examples: [example] });

/** A display name: not blank, bounded. */
const name = (example: string): JsonSchema => ({ type: "string", pattern: "\\S", maxLength: L.nameLength, examples: [example] });

/** An RFC 3339 date-time with an offset. */
const timestamp: JsonSchema = { type: "string", maxLength: L.timestampLength, format: "date-time", examples: ["2018-01-01T00:00:00Z"] };

/** A comma-separated list of dot paths; blank means every field (the parser warns). */
const fieldList: JsonSchema = { type: "string", maxLength: L.fieldListLength, examples: ["identities.id,personalEmail.address"] };

const profileSchema: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["name"],
  properties: { name: { type: "string", const: PROFILE_SCHEMA_NAME, examples: [PROFILE_SCHEMA_NAME] } },
  examples: [{ name: PROFILE_SCHEMA_NAME }],
};

const segmentJobEntries: JsonSchema = withError(
  {
    type: "array",
    minItems: 1,
    maxItems: L.segmentJobSegments,
    items: { type: "object", additionalProperties: false, required: ["segmentId"], properties: { segmentId: id("7863c010-e092-41c8-ae5e-9e533186752e") } },
  },
  {
    hint: {
      minItems: 'a segment job needs at least one {"segmentId": …}',
      maxItems: `the platform's maximum for segments listed by id (segment-jobs.md); for every segment send {"schema": {"name": "${PROFILE_SCHEMA_NAME}"}, "segments": [{"segmentId": "*"}]}`,
    },
  },
);

/** `POST /data/core/ups/export/jobs` (segmentation.yaml CreateExportJobRequest, completed from the docs: profile-semantics.md §5.2). */
export const EXPORT_JOB_REQUEST_SCHEMA: JsonSchema = {
  title: "POST /export/jobs",
  type: "object",
  additionalProperties: false,
  required: ["destination", "schema"],
  properties: {
    fields: fieldList,
    mergePolicy: {
      type: "object",
      additionalProperties: false,
      required: ["id"],
      properties: {
        id: id("timestampOrdered-none-mp"),
        // The spec types it `number`; versions are whole numbers from 1 (merge-policies.md) and int32 elsewhere in the spec.
        version: { type: "integer", minimum: 1, maximum: L.maxVersion },
      },
      examples: [{ id: "timestampOrdered-none-mp", version: 1 }],
    },
    filter: {
      type: "object",
      additionalProperties: false,
      properties: {
        segments: withError(
          {
            type: "array",
            minItems: 1,
            maxItems: L.exportFilterSegments,
            items: {
              type: "object",
              additionalProperties: false,
              required: ["segmentId"],
              properties: {
                segmentId: id("52c26d0d-45f2-47a2-ab30-ed06abc981ff"),
                segmentNs: id("ups"),
                status: { type: "array", minItems: 1, uniqueItems: true, items: { type: "string", enum: ["realized", "existing", "exited"] } },
              },
            },
          },
          {
            hint: {
              minItems: "leave filter.segments out to export every profile",
              maxItems: "an export names audiences of one sandbox, and a sandbox holds at most that many batch audiences (guardrails.md)",
            },
          },
        ),
        segmentQualificationTime: { type: "object", additionalProperties: false, properties: { startTime: timestamp, endTime: timestamp } },
        fromIngestTimestamp: timestamp,
        emptyProfiles: { type: "boolean" },
      },
    },
    additionalFields: {
      type: "object",
      additionalProperties: false,
      properties: {
        eventList: {
          type: "object",
          additionalProperties: false,
          properties: {
            fields: fieldList,
            // toIngestTimestamp is in the docs' request (export-jobs.md), not in the spec.
            filter: { type: "object", additionalProperties: false, properties: { fromIngestTimestamp: timestamp, toIngestTimestamp: timestamp } },
          },
        },
      },
    },
    destination: {
      type: "object",
      additionalProperties: false,
      properties: {
        datasetId: id("5b7c86968f7b6501e21ba9df"),
        // Both spellings appear in the platform's samples (profile-semantics.md §5.3); the parser warns about this one.
        dataSetId: id("5b7c86968f7b6501e21ba9df"),
        segmentPerBatch: { type: "boolean" },
      },
      anyOf: [{ required: ["datasetId"] }, { required: ["dataSetId"] }],
      examples: [{ datasetId: "<union dataset id>" }],
    },
    schema: profileSchema,
    // In the docs (export-jobs.md), not in the spec.
    evaluationInfo: { type: "object", additionalProperties: false, properties: { segmentation: { type: "boolean" } } },
  },
};

/**
 * `POST /data/core/ups/segment/jobs`: an array `[{"segmentId": …}]` of up to 1,500 (the spec's body), or the
 * docs' object `{"schema": {"name": …}, "segments": [{"segmentId": "*"}]}` (segment-jobs.md), which also takes
 * up to 1,500 ids.
 */
export const SEGMENT_JOB_REQUEST_SCHEMA: JsonSchema = {
  title: "POST /segment/jobs",
  type: ["array", "object"],
  if: { type: "array" },
  then: segmentJobEntries,
  else: {
    type: "object",
    additionalProperties: false,
    required: ["schema", "segments"],
    properties: { schema: profileSchema, segments: segmentJobEntries },
  },
};

const identityGraph: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type"],
  properties: { type: { type: "string", enum: ["none", "pdg"] } },
  examples: [{ type: "none" }],
};

const attributeMerge: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["type"],
  properties: {
    type: { type: "string", enum: ["timestampOrdered", "dataSetPrecedence"] },
    order: withError(
      { type: "array", minItems: 1, maxItems: L.mergePolicyOrder, uniqueItems: true, items: id("5b020a27e7040801dedba61b") },
      { hint: { maxItems: "the platform takes up to 50 Profile and 50 ExperienceEvent datasets (merge-policies/ui-guide.md)" } },
    ),
  },
  if: { required: ["type"], properties: { type: { const: "dataSetPrecedence" } } },
  then: { required: ["order"] },
  examples: [{ type: "timestampOrdered" }],
};

const mergePolicyFields = {
  name: name("Loyalty first"),
  schema: profileSchema,
  identityGraph,
  attributeMerge,
  isActiveOnEdge: { type: "boolean" },
  default: { type: "boolean" },
};

/** `POST /config/mergePolicies` and `PUT /config/mergePolicies/{id}` (profile.yaml PostMergePolicy; merge-policies.md adds `name`). */
export const MERGE_POLICY_REQUEST_SCHEMA: JsonSchema = withError(
  {
    title: "POST /config/mergePolicies",
    type: "object",
    additionalProperties: false,
    required: ["name", "identityGraph", "attributeMerge", "schema"],
    properties: mergePolicyFields,
  },
  { hint: { additionalProperties: "id, version, imsOrgId, sandbox and updateEpoch are set by the platform" } },
);

/** A flag in a merge-policy document: a boolean, or the string the docs' GET sample shows once (`"false"`); the parser warns about strings. */
const documentFlag: JsonSchema = { type: ["boolean", "string"], enum: [true, false, "true", "false"] };

/**
 * A merge policy as `GET /config/mergePolicies/{id}` returns it and as a sandbox's `merge-policies/*.json`
 * holds it (profile-semantics.md §1.1).
 */
export const MERGE_POLICY_DOCUMENT_SCHEMA: JsonSchema = {
  title: "merge policy",
  type: "object",
  additionalProperties: false,
  required: ["id", "identityGraph", "attributeMerge"],
  properties: {
    id: id("10648288-cda5-11e8-a8d5-f2801f1b9fd1"),
    ...mergePolicyFields,
    imsOrgId: id("ACME@AdobeOrg"),
    sandbox: {
      type: "object",
      additionalProperties: false,
      properties: { sandboxId: id("s-1"), sandboxName: id("prod"), type: id("production"), default: { type: "boolean" } },
    },
    version: { type: "integer", minimum: 1, maximum: L.maxVersion },
    updateEpoch: { type: "integer", minimum: 0 },
    isActiveOnEdge: documentFlag,
    default: documentFlag,
  },
};

/** The paths a merge-policy PATCH may set, with the value each takes (merge-policies.md; values are strings). */
const MERGE_PATCH_VALUES: readonly [path: string, title: string, value: JsonSchema][] = [
  ["/name", "name", name("Loyalty first")],
  ["/identityGraph.type", "identityGraph.type", { type: "string", enum: ["none", "pdg"] }],
  ["/attributeMerge.type", "attributeMerge.type", { type: "string", enum: ["timestampOrdered", "dataSetPrecedence"] }],
  ["/schema.name", "schema.name", { type: "string", const: PROFILE_SCHEMA_NAME }],
  ["/version", "version", { type: ["string", "integer"], pattern: "^[1-9][0-9]{0,9}$", minimum: 1, maximum: L.maxVersion }],
  // A JSON boolean is read like its string (the parser warns): the spec types every value as a string.
  ["/default", "default", { type: ["string", "boolean"], enum: ["true", "false", true, false] }],
  ["/isActiveOnEdge", "isActiveOnEdge", { type: ["string", "boolean"], enum: ["true", "false", true, false] }],
  // profile.yaml spells it so; read as /isActiveOnEdge (the parser warns).
  ["/idActiveOnEdge", "isActiveOnEdge", { type: ["string", "boolean"], enum: ["true", "false", true, false] }],
];

export const MERGE_POLICY_PATCH_PATHS: readonly string[] = MERGE_PATCH_VALUES.map(([path]) => path);

const mergePatchOperation: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["op", "path", "value"],
  properties: {
    op: { type: "string", const: "add" },
    path: { type: "string", enum: MERGE_POLICY_PATCH_PATHS },
    value: {},
  },
  allOf: MERGE_PATCH_VALUES.map(([path, title, value]) => ({
    if: { required: ["path"], properties: { path: { const: path } } },
    then: { properties: { value: { ...value, title } } },
  })),
  examples: [{ op: "add", path: "/identityGraph.type", value: "pdg" }],
};

/**
 * `PATCH /config/mergePolicies/{id}`: the spec's array of operations, or the single operation object the docs
 * send (merge-policies.md) — both are accepted (profile-semantics.md §1.2).
 */
export const MERGE_POLICY_PATCH_SCHEMA: JsonSchema = withError(
  {
    title: "PATCH /config/mergePolicies/{id}",
    type: ["array", "object"],
    if: { type: "array" },
    then: { type: "array", minItems: 1, maxItems: L.patchOperations, items: mergePatchOperation },
    else: mergePatchOperation,
  },
  { code: "MRG-P005" },
);

/** `POST /config/schedules` (segmentation.yaml ScheduleCreate; `export` as a type per schedules.md). Codes as ScheduleError has them. */
export const SCHEDULE_REQUEST_SCHEMA: JsonSchema = withError(
  {
    title: "POST /config/schedules",
    type: "object",
    additionalProperties: false,
    required: ["name", "type", "properties", "schedule"],
    properties: {
      name: withError(name("profile-default"), { code: "SCH-003" }),
      type: withError({ type: "string", enum: ["batch_segmentation", "export"] }, { code: "SCH-004" }),
      properties: withError(
        {
          type: "object",
          additionalProperties: false,
          properties: {
            segments: withError(
              { type: "array", minItems: 1, maxItems: L.scheduleSegments, uniqueItems: true, items: withError({ type: "string", pattern: "^\\S+$", maxLength: L.idLength }, { code: "SCH-009" }) },
              {
                code: "SCH-008",
                codeFor: { uniqueItems: "SCH-011" },
                hint: {
                  minItems: 'list segment ids, or ["*"] for every segment',
                  maxItems: 'each run is a segment job, and the platform takes at most that many segments by id per job (segment-jobs.md); use ["*"] for every segment',
                },
              },
            ),
          },
          examples: [{ segments: ["*"] }],
        },
        { code: "SCH-006" },
      ),
      schedule: withError({ type: "string", pattern: "\\S", maxLength: L.cronLength, examples: ["0 0 1 * * ?"] }, { code: "SCH-019" }),
      state: withError({ type: "string", enum: ["active", "inactive"] }, { code: "SCH-005" }),
    },
    // properties.segments is required for batch_segmentation (schedules.md).
    if: { required: ["type"], properties: { type: { const: "batch_segmentation" } } },
    then: { properties: { properties: withError({ type: "object", required: ["segments"] }, { code: "SCH-007", hint: { required: 'use ["*"] for every segment' } }) } },
  },
  { code: "SCH-001", codeFor: { additionalProperties: "SCH-002" } },
);

/** `PATCH /config/schedules/{id}`: a JSON Patch array of `add` on `/state` or `/schedule` (schedules.md, segmentation.yaml schedulePatchOperation). */
export const SCHEDULE_PATCH_SCHEMA: JsonSchema = withError(
  {
    title: "PATCH /config/schedules/{id}",
    type: "array",
    minItems: 1,
    maxItems: L.patchOperations,
    items: withError(
      {
        type: "object",
        additionalProperties: false,
        required: ["op", "path"],
        properties: {
          op: withError({ type: "string", const: "add" }, { code: "SCH-043" }),
          path: withError({ type: "string", enum: ["/state", "/schedule"] }, { code: "SCH-044" }),
          value: {},
        },
        allOf: [
          {
            if: { required: ["path"], properties: { path: { const: "/state" } } },
            then: { required: ["value"], properties: { value: withError({ type: "string", title: "the /state value", enum: ["active", "inactive"] }, { code: "SCH-045" }) } },
          },
          {
            if: { required: ["path"], properties: { path: { const: "/schedule" } } },
            then: { required: ["value"], properties: { value: withError({ type: "string", title: "the /schedule value", pattern: "\\S", maxLength: L.cronLength }, { code: "SCH-019" }) } },
          },
        ],
        examples: [{ op: "add", path: "/state", value: "active" }],
      },
      { code: "SCH-042" },
    ),
  },
  { code: "SCH-040", codeFor: { minItems: "SCH-041" }, hint: { type: 'e.g. [{"op": "add", "path": "/state", "value": "active"}]' } },
);

const stringList = (itemLength: number): JsonSchema => ({ type: "array", maxItems: L.tagValues, items: { type: "string", maxLength: itemLength } });

/**
 * `POST /data/foundation/catalog/dataSets` (catalog.yaml dataSetRequest, as far as profile-lab keeps it; `aspect`
 * and `fileDescription.persisted`/`containerFormat` from the docs' tutorials). Codes as CatalogError has them.
 */
export const DATASET_REQUEST_SCHEMA: JsonSchema = withError(
  {
    title: "POST /dataSets",
    type: "object",
    additionalProperties: false,
    required: ["name", "schemaRef"],
    properties: {
      name: withError(name("Profile Data Export"), { code: "CAT-003" }),
      schemaRef: withError(
        {
          type: "object",
          additionalProperties: false,
          required: ["id"],
          properties: {
            id: withError({ type: "string", pattern: "^\\S+$", maxLength: L.uriLength, examples: ["https://ns.adobe.com/xdm/context/profile__union"] }, { code: "CAT-005" }),
            contentType: withError({ type: "string", pattern: "^\\S+$", maxLength: L.uriLength }, { code: "CAT-007" }),
          },
          examples: [{ id: "https://ns.adobe.com/xdm/context/profile__union", contentType: "application/vnd.adobe.xed+json;version=1" }],
        },
        { code: "CAT-004" },
      ),
      description: withError({ type: "string", maxLength: L.descriptionLength }, { code: "CAT-008" }),
      tags: withError(
        {
          type: "object",
          maxProperties: L.tags,
          propertyNames: { maxLength: L.idLength },
          additionalProperties: { type: "array", maxItems: L.tagValues, items: { type: "string", maxLength: L.tagValueLength } },
          examples: [{ unifiedProfile: ["enabled:true"] }],
        },
        { code: "CAT-009" },
      ),
      fileDescription: withError(
        {
          type: "object",
          additionalProperties: false,
          properties: {
            persisted: { type: "boolean" },
            containerFormat: { type: "string", enum: ["parquet"] },
            format: { type: "string", enum: ["", "csv", "text", "parquet", "json", "sequencefile", "avro"] },
            delimiters: { type: "array", maxItems: L.tagValues, items: { type: "string", maxLength: 1 } },
            quotes: stringList(16),
            escapes: stringList(16),
            nullMarkers: stringList(L.idLength),
            header: { type: "boolean" },
            charset: { type: "string", enum: ["US-ASCII", "UTF-8", "ISO-8859-1", ""] },
          },
        },
        { code: "CAT-013" },
      ),
      aspect: withError({ type: "string", pattern: "^\\S+$", maxLength: L.idLength }, { code: "CAT-015" }),
    },
  },
  { code: "CAT-001", codeFor: { additionalProperties: "CAT-002" } },
);
