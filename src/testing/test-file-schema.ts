/**
 * The JSON Schema of a segment test file (`tests/*.yaml|json`), and the types of what it admits. The same
 * schema is published as `schemas/profile-lab-test.schema.json` (kept identical by a test) so editors complete
 * and check test files: a YAML file opts in with `# yaml-language-server: $schema=<path to it>`.
 */
import type { JsonSchema } from "../requests/index.js";
import type { Json, MembershipStatus } from "../xdm/types.js";

export const TEST_FILE_SCHEMA_ID = "https://profile-lab.dev/schemas/profile-lab-test.schema.json";

const identity: JsonSchema = {
  type: "string",
  pattern: "^[^:\\s]+:\\S",
  description: "an identity as Namespace:id, e.g. CRMID:CRM141421356 (namespaces compare case-insensitively)",
  examples: ["CRMID:CRM141421356"],
};
const identities: JsonSchema = { type: "array", items: identity, uniqueItems: true };
const segment: JsonSchema = { type: "string", minLength: 1, description: "a segment of the sandbox, by id or exact name", examples: ["US residents"] };
const timestamp: JsonSchema = { type: "string", format: "date-time", description: "an RFC 3339 date-time", examples: ["2026-11-01T00:00:00Z"] };
const rows: JsonSchema = {
  type: "object",
  description:
    "rows by dataset (id or name), each as a line of that dataset's data file; a row without _acp_system_metadata is ingested at the asOf of the run that lists it",
  additionalProperties: { type: "array", items: { type: "object" } },
};

/** A count, exact or within bounds. */
const range = (description: string): JsonSchema => ({
  description,
  oneOf: [
    { type: "integer", minimum: 0 },
    { type: "object", additionalProperties: false, properties: { min: { type: "integer", minimum: 0 }, max: { type: "integer", minimum: 0 } } },
  ],
});

const segmentAssertion: JsonSchema = {
  type: "object",
  description: "who is and is not in a segment, and how many are",
  additionalProperties: false,
  required: ["segment"],
  properties: {
    segment,
    members: { ...identities, description: "identities whose profile is in the segment (realized or existing) after the run" },
    nonMembers: { ...identities, description: "identities whose profile is not in the segment after the run" },
    size: range("the audience size after the run: a number, or a range {min, max}"),
  },
};

const statusAssertion: JsonSchema = {
  type: "object",
  description: "one profile's membership of one segment after the run",
  additionalProperties: false,
  required: ["identity", "segment", "status"],
  properties: {
    identity,
    segment,
    status: { enum: ["realized", "existing", "exited", "none"], description: "the membership status; none: the profile has no entry" },
    lastQualificationTime: timestamp,
  },
};

const fieldAssertion: JsonSchema = {
  type: "object",
  description: "one field of one merged profile",
  additionalProperties: false,
  required: ["identity", "field", "equals"],
  properties: {
    identity,
    field: { type: "string", minLength: 1, description: "a dot path in the merged profile", examples: ["homeAddress.countryCode"] },
    equals: { description: "the value the merged field must have (null: the profile has no such field)" },
    mergePolicy: { type: "string", minLength: 1, description: "merge under this policy (id or name); default the test's, else the sandbox default" },
  },
};

const exportAssertion: JsonSchema = {
  type: "object",
  description: "what an export request would write after the run (computed in memory; nothing is written)",
  additionalProperties: false,
  required: ["export"],
  properties: {
    export: {
      description: "an export request: the file name of one in the sandbox's export-jobs/, or a POST /export/jobs body",
      oneOf: [{ type: "string", minLength: 1, examples: ["audiences-per-batch.json"] }, { type: "object" }],
    },
    rowCount: range("the rows of all its batches: a number, or a range {min, max}"),
    rows: {
      type: "array",
      description: "profiles that must be exported (found by an identity of the row's identityMap), with values their row must hold",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["identity"],
        properties: { identity, values: { type: "object", description: "dot path → the value the row holds there (null: none)" } },
      },
    },
    notExported: { ...identities, description: "identities whose profile must not be exported" },
  },
};

/** `field` makes a field assertion, `export` an export one, `identity` a status one; otherwise a segment one. */
const assertion: JsonSchema = {
  if: { type: "object", required: ["field"] },
  then: fieldAssertion,
  else: {
    if: { type: "object", required: ["export"] },
    then: exportAssertion,
    else: { if: { type: "object", required: ["identity"] }, then: statusAssertion, else: segmentAssertion },
  },
};

const run: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["asOf", "expect"],
  properties: {
    asOf: { ...timestamp, description: "the evaluation clock of this run (PQL now, lastQualificationTime of changes)" },
    rows: { ...rows, description: `${String(rows["description"])}; added from this run on` },
    expect: { type: "array", minItems: 1, items: assertion },
  },
};

export const TEST_FILE_SCHEMA: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $id: TEST_FILE_SCHEMA_ID,
  title: "profile-lab segment test",
  description: "A segment test: data, then one or more runs (asOf instants), each moving memberships on from the previous one and asserting on the result.",
  type: "object",
  additionalProperties: false,
  required: ["runs"],
  properties: {
    name: { type: "string", minLength: 1, description: "the test's name (default: the file name)" },
    description: { type: "string" },
    mergePolicy: { type: "string", minLength: 1, description: "evaluate every segment under this merge policy (id or name) instead of its own" },
    statusModel: { enum: ["legacy", "current"], description: "legacy: realized → existing → exited; current: realized → exited" },
    sandboxData: { type: "boolean", description: "start from the rows of the sandbox's own datasets (default false: inline rows only)" },
    rows,
    runs: { type: "array", minItems: 1, items: run },
  },
};

/** A test file's content, as the schema admits it. */
export interface TestFile {
  readonly name?: string;
  readonly description?: string;
  readonly mergePolicy?: string;
  readonly statusModel?: "legacy" | "current";
  readonly sandboxData?: boolean;
  readonly rows?: TestRows;
  readonly runs: readonly TestRun[];
}

export type TestRows = Readonly<Record<string, readonly Json[]>>;

export interface TestRun {
  readonly asOf: string;
  readonly rows?: TestRows;
  readonly expect: readonly Assertion[];
}

export interface SegmentAssertion {
  readonly segment: string;
  readonly members?: readonly string[];
  readonly nonMembers?: readonly string[];
  readonly size?: Range;
}

export interface StatusAssertion {
  readonly identity: string;
  readonly segment: string;
  readonly status: MembershipStatus | "none";
  readonly lastQualificationTime?: string;
}

export interface FieldAssertion {
  readonly identity: string;
  readonly field: string;
  readonly equals: Json;
  readonly mergePolicy?: string;
}

export type Range = number | { readonly min?: number; readonly max?: number };

export interface ExportAssertion {
  readonly export: string | Json;
  readonly rowCount?: Range;
  readonly rows?: readonly { readonly identity: string; readonly values?: Readonly<Record<string, Json>> }[];
  readonly notExported?: readonly string[];
}

export type Assertion = SegmentAssertion | StatusAssertion | FieldAssertion | ExportAssertion;
