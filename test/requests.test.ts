/**
 * Strict requests (issue 17, part 4): every request body is checked against one JSON Schema per endpoint at every
 * level, with coded errors naming the file and the JSON path, warnings where the platform is lenient, and limits
 * that keep hostile bodies (100,000 ids, a megabyte string) to milliseconds. Each example under the issue's
 * "Silent acceptance" and "Unbounded requests" has a regression test here; the seeds' request bodies (the
 * contract) and the sample sandbox's bodies still validate.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runExportJob } from "../src/engine/run-export-job.js";
import { openSandbox, type Sandbox } from "../src/engine/sandbox.js";
import { segmentPlan, selectSegments } from "../src/engine/segment-shard.js";
import { ExportError, parseExportRequest } from "../src/export/export-request.js";
import { MergeError } from "../src/merge/merge-error.js";
import { MergePolicyStore } from "../src/merge/merge-policy-store.js";
import { parseMergePolicy } from "../src/merge/merge-policy.js";
import { compileRequestSchemas, REQUEST_LIMITS, REQUEST_SCHEMAS, requestProblems, type RequestKind } from "../src/requests/index.js";
import { ScheduleError } from "../src/schedule/schedule-error.js";
import { Schedules } from "../src/schedule/schedules.js";
import { SegmentError } from "../src/segment/segment-error.js";
import { parseSegmentJobRequest } from "../src/segment/segment-job-list.js";
import { Catalog, CatalogError } from "../src/store/catalog.js";
import { SandboxState } from "../src/store/sandbox-state.js";
import { ProfileLabError } from "../src/xdm/errors.js";
import { cpuClock } from "./fuzz/harness.js";
import { thrown } from "./helpers/thrown.js";
import { writeSandbox } from "./helpers/sandbox.js";

const FIXTURES = join(import.meta.dirname, "seeds/fixtures");
const SAMPLE = join(import.meta.dirname, "../sample-data");
const PROFILE = { name: "_xdm.context.profile" };
const MINIMAL = { destination: { datasetId: "ds_export" }, schema: PROFILE };
const FILE = "requests/export.json";
/** Validation of a hostile body must stay in milliseconds of CPU time (wall time on a loaded machine is no measure). */
const FAST_MS = 250;

const exportError = (body: unknown, status: readonly ("realized" | "existing" | "exited")[] = ["realized"]): ExportError =>
  thrown(() => parseExportRequest(body, status, FILE), ExportError);

function timed<T>(fn: () => T): { value: T; ms: number } {
  const start = cpuClock();
  const value = fn();
  return { value, ms: cpuClock() - start };
}

function timedError<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): { error: E; ms: number } {
  const start = cpuClock();
  const error = thrown(fn, type);
  return { error, ms: cpuClock() - start };
}

describe("the schemas", () => {
  it("compile under ajv's strict mode and are plain JSON, one per endpoint body", () => {
    compileRequestSchemas();
    for (const { schema } of Object.values(REQUEST_SCHEMAS)) expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(Object.values(REQUEST_SCHEMAS).map((r) => r.endpoint)).toEqual([
      "POST /data/core/ups/export/jobs",
      "POST /data/core/ups/segment/jobs",
      "POST /data/core/ups/config/mergePolicies (and PUT …/{id})",
      "PATCH /data/core/ups/config/mergePolicies/{id}",
      "GET /data/core/ups/config/mergePolicies/{id} (a sandbox's merge-policies/*.json)",
      "POST /data/core/ups/config/schedules",
      "PATCH /data/core/ups/config/schedules/{id}",
      "POST /data/foundation/catalog/dataSets",
    ]);
  });
});

describe("the seeds' request bodies (the contract) and the sample sandbox's", () => {
  const kindOf = (file: string): RequestKind | undefined =>
    file.includes("-create-export-job")
      ? "exportJob"
      : file.includes("-create-segment-job")
        ? "segmentJob"
        : file.includes("-create-schedule")
          ? "schedule"
          : file.includes("-patch-schedule")
            ? "schedulePatch"
            : file.includes("-create-dataset")
              ? "dataset"
              : undefined;
  const seeds = readdirSync(FIXTURES).filter((f) => f.endsWith(".request.json"));

  it.each(seeds)("the seed's %s validates against its endpoint's schema", (file) => {
    const kind = kindOf(file);
    expect(kind, `no schema for ${file}`).toBeDefined();
    expect(requestProblems(kind!, JSON.parse(readFileSync(join(FIXTURES, file), "utf8")))).toEqual({ problems: [], truncated: 0 });
  });

  it.each(seeds.filter((f) => kindOf(f) === "exportJob"))("the seed's %s parses without a warning", (file) => {
    expect(parseExportRequest(JSON.parse(readFileSync(join(FIXTURES, file), "utf8")), ["realized"], file).warnings).toEqual([]);
  });

  it("the seed's segment job request parses to its two ids", () => {
    expect(parseSegmentJobRequest(JSON.parse(readFileSync(join(FIXTURES, "003-create-segment-job.request.json"), "utf8")))).toHaveLength(2);
  });

  it.each(readdirSync(join(SAMPLE, "export-jobs")))("the sample sandbox's export-jobs/%s validates", (file) => {
    expect(requestProblems("exportJob", JSON.parse(readFileSync(join(SAMPLE, "export-jobs", file), "utf8"))).problems).toEqual([]);
  });

  it.each(readdirSync(join(SAMPLE, "merge-policies")))("the sample sandbox's merge-policies/%s validates as a merge-policy document", (file) => {
    expect(requestProblems("mergePolicyDocument", JSON.parse(readFileSync(join(SAMPLE, "merge-policies", file), "utf8"))).problems).toEqual([]);
  });
});

describe("silent acceptance: unknown fields at every level of an export request", () => {
  const filter = { segments: [{ segmentId: "s1", segmentNs: "ups", status: ["realized"] }], segmentQualificationTime: { startTime: "2018-01-01T00:00:00Z" } };
  const eventList = { fields: "_id", filter: { fromIngestTimestamp: "2018-01-01T00:00:00Z" } };
  // [where, body with an extra key, JSON path of the extra key]
  const cases: [string, object, string][] = [
    ["mergePolicy", { ...MINIMAL, mergePolicy: { id: "mp", version: 1, versoin: 2 } }, "$.mergePolicy.versoin"],
    ["mergePolicy (a read-only field)", { ...MINIMAL, mergePolicy: { id: "mp", name: "x" } }, "$.mergePolicy.name"],
    ["destination", { ...MINIMAL, destination: { datasetId: "d", segmentsPerBatch: true } }, "$.destination.segmentsPerBatch"],
    ["destination (a response field)", { ...MINIMAL, destination: { datasetId: "d", batchId: "b" } }, "$.destination.batchId"],
    ["schema", { ...MINIMAL, schema: { name: "_xdm.context.profile", version: 1 } }, "$.schema.version"],
    ["filter", { ...MINIMAL, filter: { ...filter, emptyProfile: true } }, "$.filter.emptyProfile"],
    ["filter.segments[i]", { ...MINIMAL, filter: { segments: [filter.segments[0], { segmentId: "s2", segmentNS: "ups" }] } }, "$.filter.segments[1].segmentNS"],
    ["filter.segmentQualificationTime", { ...MINIMAL, filter: { segmentQualificationTime: { startTime: "2018-01-01T00:00:00Z", end: "x" } } }, "$.filter.segmentQualificationTime.end"],
    ["additionalFields", { ...MINIMAL, additionalFields: { eventList, events: {} } }, "$.additionalFields.events"],
    ["additionalFields.eventList", { ...MINIMAL, additionalFields: { eventList: { ...eventList, field: "_id" } } }, "$.additionalFields.eventList.field"],
    ["additionalFields.eventList.filter", { ...MINIMAL, additionalFields: { eventList: { filter: { fromIngestTimestamp: "2018-01-01T00:00:00Z", from: "x" } } } }, "$.additionalFields.eventList.filter.from"],
    ["evaluationInfo", { ...MINIMAL, evaluationInfo: { segmentation: true, segments: true } }, "$.evaluationInfo.segments"],
  ];

  it.each(cases)("an unknown field inside %s is an EXP-R001 error naming the file and its JSON path", (_where, body, path) => {
    const e = exportError(body);
    expect([e.code, e.location]).toEqual(["EXP-R001", { file: FILE, jsonPath: path }]);
    expect(e.message).toMatch(/^unknown field "/);
    expect(e.format()).toContain(`${FILE} at ${path}: unknown field`);
  });

  it("a near-miss field gets a 'did you mean'", () => {
    expect(exportError({ ...MINIMAL, filter: { segments: [{ segmentId: "s", segmentNS: "ups" }] } }).message).toContain('did you mean "segmentNs"?');
    expect(exportError({ ...MINIMAL, destinaton: {} }).message).toContain('did you mean "destination"?');
    expect(exportError({ ...MINIMAL, filter: { segments: [{ segmentId: "s", status: ["realised"] }] } }).message).toContain('did you mean "realized"?');
  });

  it("every problem is reported: the first in the message, the others under it", () => {
    const e = exportError({ ...MINIMAL, mergePolicy: { id: "", version: 0 }, filter: { segments: [{ segmentId: "s", extra: 1 }] } });
    expect(e.location.jsonPath).toBe("$.mergePolicy.id");
    expect(e.detail).toBe(
      [
        "  also EXP-R001 at $.mergePolicy.version: mergePolicy.version must be ≥ 1, not 0",
        '  also EXP-R001 at $.filter.segments[0].extra: unknown field "extra" (filter.segments[0] takes "segmentId", "segmentNs", "status")',
      ].join("\n"),
    );
  });
});

describe("silent acceptance: values the platform does not take", () => {
  it.each([
    [-1, "mergePolicy.version must be ≥ 1, not -1"],
    [0, "mergePolicy.version must be ≥ 1, not 0"],
    [1.5, "mergePolicy.version must be an integer, not 1.5"],
    [1e308, "mergePolicy.version must be ≤ 2,147,483,647, not 1e+308"],
    ["1", 'mergePolicy.version must be an integer, not "1"'],
  ])("mergePolicy.version %s is refused", (version, message) => {
    const e = exportError({ ...MINIMAL, mergePolicy: { id: "mp", version } });
    expect([e.location.jsonPath, e.message]).toEqual(["$.mergePolicy.version", message]);
  });

  it.each([
    ["filter", { ...MINIMAL, filter: null }, "$.filter", "filter must be a JSON object, not null; leave the field out instead"],
    ["fields", { ...MINIMAL, fields: null }, "$.fields", "fields must be a string, not null; leave the field out instead"],
    ["a segment's status", { ...MINIMAL, filter: { segments: [{ segmentId: "s", status: null }] } }, "$.filter.segments[0].status", "filter.segments[0].status must be an array, not null; leave the field out instead"],
    ["destination (required)", { ...MINIMAL, destination: null }, "$.destination", "destination must be a JSON object, not null"],
  ])('"%s": null is an error, not "absent"', (_what, body, path, message) => {
    const e = exportError(body);
    expect([e.location.jsonPath, e.message]).toEqual([path, message]);
  });

  it.each([
    ["segmentNs", { segmentId: "s", segmentNs: "" }, "$.filter.segments[0].segmentNs"],
    ["segmentId", { segmentId: "" }, "$.filter.segments[0].segmentId"],
    ["status", { segmentId: "s", status: [] }, "$.filter.segments[0].status"],
  ])("an empty %s is an error (it used to give an empty batch without a word)", (_what, entry, path) => {
    const e = exportError({ ...MINIMAL, filter: { segments: [entry] } });
    expect([e.location.jsonPath, e.message]).toEqual([path, `${path.slice(2)} must not be empty`]);
  });

  it("ids with whitespace, empty merge policy and dataset ids, and blank-only ids are refused", () => {
    expect(exportError({ ...MINIMAL, destination: { datasetId: " " } }).message).toBe('destination.datasetId must not be empty or contain whitespace, not " "');
    expect(exportError({ ...MINIMAL, mergePolicy: { id: "" } }).location.jsonPath).toBe("$.mergePolicy.id");
  });

  it("a repeated filter entry is an error naming both entries; the same segment with other statuses is not a repeat", () => {
    const e = exportError({ ...MINIMAL, filter: { segments: [{ segmentId: "s" }, { segmentId: "t" }, { segmentId: "s", segmentNs: "UPS", status: ["realized"] }] } });
    expect([e.location.jsonPath, e.message]).toEqual([
      "$.filter.segments[2]",
      'filter.segments[2] repeats filter.segments[0] (segment "s" in namespace "UPS", status realized); remove the repeat',
    ]);
    const plan = parseExportRequest({ ...MINIMAL, filter: { segments: [{ segmentId: "s", status: ["realized"] }, { segmentId: "s", status: ["exited"] }] } }, ["realized"]);
    expect(plan.segments).toHaveLength(2);
  });

  it("a repeated status inside one entry is an error", () => {
    const e = exportError({ ...MINIMAL, filter: { segments: [{ segmentId: "s", status: ["realized", "realized"] }] } });
    expect([e.location.jsonPath, e.message]).toEqual(["$.filter.segments[0].status[1]", 'filter.segments[0].status lists "realized" twice (entries 0 and 1)']);
  });

  it("timestamps: RFC 3339 with an offset, real dates, bounded", () => {
    expect(exportError({ ...MINIMAL, filter: { fromIngestTimestamp: "2018-01-01T00:00:00" } }).message).toContain("must be an RFC 3339 timestamp with an offset");
    expect(exportError({ ...MINIMAL, filter: { fromIngestTimestamp: "2018-02-30T00:00:00Z" } }).location.jsonPath).toBe("$.filter.fromIngestTimestamp");
    expect(exportError({ ...MINIMAL, filter: { fromIngestTimestamp: `2018-01-01T00:00:00.${"1".repeat(100)}Z` } }).message).toMatch(/is 121 characters long; at most 64 are allowed$/);
  });

  it("the segment job's object form validates its schema", () => {
    for (const [schema, path, message] of [
      [undefined, "$.schema", "schema is required"],
      [{}, "$.schema.name", "schema.name is required"],
      [{ name: "_xdm.context.experienceevent" }, "$.schema.name", 'schema.name must be "_xdm.context.profile", not "_xdm.context.experienceevent"'],
      [{ name: "_xdm.context.profile", extra: true }, "$.schema.extra", 'unknown field "extra"'],
      ["_xdm.context.profile", "$.schema", 'schema must be a JSON object, not "_xdm.context.profile"'],
    ] as const) {
      const e = thrown(() => parseSegmentJobRequest({ ...(schema !== undefined ? { schema } : {}), segments: [{ segmentId: "*" }] }, "job.json"), SegmentError);
      expect([e.code, e.location.file, e.location.jsonPath]).toEqual(["SEG-R001", "job.json", path]);
      expect(e.message).toContain(message);
    }
  });
});

describe("unbounded requests are refused in milliseconds", () => {
  it(`100,000 copies of one segment in a segmentPerBatch export: refused (at most ${REQUEST_LIMITS.exportFilterSegments.toLocaleString("en-US")} entries, guardrails.md)`, () => {
    const segments = Array.from({ length: 100_000 }, () => ({ segmentId: "s", segmentNs: "ups", status: ["realized"] }));
    const { error, ms } = timedError(() => parseExportRequest({ ...MINIMAL, destination: { datasetId: "d", segmentPerBatch: true }, filter: { segments } }, ["realized"], FILE), ExportError);
    expect([error.code, error.location.jsonPath]).toEqual(["EXP-R001", "$.filter.segments"]);
    expect(error.message).toBe(
      "filter.segments has 100,000 entries; at most 4,000 are allowed; an export names audiences of one sandbox, and a sandbox holds at most that many batch audiences (guardrails.md)",
    );
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("under the limit, copies of one segment are an error at the first repeat (no batch per copy)", () => {
    const segments = Array.from({ length: REQUEST_LIMITS.exportFilterSegments }, () => ({ segmentId: "s" }));
    const { error, ms } = timedError(() => parseExportRequest({ ...MINIMAL, destination: { datasetId: "d", segmentPerBatch: true }, filter: { segments } }, ["realized"], FILE), ExportError);
    expect(error.location.jsonPath).toBe("$.filter.segments[1]");
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("4,000 distinct filter entries parse in milliseconds", () => {
    const segments = Array.from({ length: REQUEST_LIMITS.exportFilterSegments }, (_, i) => ({ segmentId: `s${i}`, segmentNs: i % 2 ? "ups" : "AAM" }));
    const { value, ms } = timed(() => parseExportRequest({ ...MINIMAL, filter: { segments } }, ["realized"]));
    expect(value.segments).toHaveLength(4000);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("evaluationInfo.segmentation over more ups segments than a segment job takes is refused", () => {
    const segments = Array.from({ length: 1501 }, (_, i) => ({ segmentId: `s${i}` }));
    const e = exportError({ ...MINIMAL, evaluationInfo: { segmentation: true }, filter: { segments } });
    expect([e.location.jsonPath, e.message]).toEqual(["$.filter.segments", expect.stringContaining("the platform takes at most 1,500 per segment job (segment-jobs.md)")]);
  });

  it("the object form of a segment job with 100,000 ids: refused (at most 1,500, segment-jobs.md)", () => {
    const segments = Array.from({ length: 100_000 }, (_, i) => ({ segmentId: `s${i}` }));
    const { error, ms } = timedError(() => parseSegmentJobRequest({ schema: PROFILE, segments }, "job.json"), SegmentError);
    expect([error.code, error.location]).toEqual(["SEG-R001", { file: "job.json", jsonPath: "$.segments" }]);
    expect(error.message).toMatch(/^segments has 100,000 entries; at most 1,500 are allowed; the platform's maximum for segments listed by id \(segment-jobs\.md\); for every segment send /);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("the array form of a segment job with 100,000 ids: refused the same way", () => {
    // The body is built before the clock starts: what is timed is the refusal.
    const body = Array.from({ length: 100_000 }, (_, i) => ({ segmentId: `s${i}` }));
    const { error, ms } = timedError(() => parseSegmentJobRequest(body), SegmentError);
    expect([error.location.jsonPath, ms < FAST_MS]).toEqual(["$", true]);
  });

  it("1,500 distinct ids parse in milliseconds; a repeated id is an error", () => {
    const segments = Array.from({ length: 1500 }, (_, i) => ({ segmentId: `s${i}` }));
    const { value, ms } = timed(() => parseSegmentJobRequest({ schema: PROFILE, segments }));
    expect([value.length, ms < FAST_MS]).toEqual([1500, true]);
    segments[1499] = { segmentId: "s7" };
    expect(thrown(() => parseSegmentJobRequest(segments), SegmentError).location.jsonPath).toBe("$[1499].segmentId");
  });

  it("downstream, selecting segments is linear in the ids: 100,000 ids (repeats included) over 1,500 segments, each evaluated once", () => {
    const segments = Array.from({ length: 1500 }, (_, i) => ({ definition: { id: `s${i}`, name: `S${i}` }, file: `segments/s${i}.json` }));
    const sandbox = { segments } as unknown as Sandbox;
    const ids = Array.from({ length: 100_000 }, (_, i) => `s${(i * 7) % 1500}`);
    const { value, ms } = timed(() => selectSegments(sandbox, ids));
    expect(value).toHaveLength(1500);
    expect(new Set(value).size).toBe(1500);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("a repeated id in a segment job over a real sandbox is evaluated once", () => {
    const dir = writeSandbox({ profiles: { ds_crm: [] }, segments: [{ id: "seg-1", pql: 'homeAddress.countryCode = "US"' }] });
    expect(segmentPlan(openSandbox(dir), ["seg-1", "seg-1"]).segments).toHaveLength(1);
  });

  it.each([
    ["segmentNs", { filter: { segments: [{ segmentId: "s", segmentNs: "x".repeat(1 << 20) }] } }, "$.filter.segments[0].segmentNs", "filter.segments[0].segmentNs is 1,048,576 characters long; at most 256 are allowed"],
    ["segmentId", { filter: { segments: [{ segmentId: "x".repeat(1 << 20) }] } }, "$.filter.segments[0].segmentId", "filter.segments[0].segmentId is 1,048,576 characters long; at most 256 are allowed"],
    ["fields", { fields: "a,".repeat(1 << 19) }, "$.fields", "fields is 1,048,576 characters long; at most 65,536 are allowed"],
    ["fromIngestTimestamp", { filter: { fromIngestTimestamp: "2".repeat(1 << 20) } }, "$.filter.fromIngestTimestamp", "filter.fromIngestTimestamp is 1,048,576 characters long; at most 64 are allowed"],
  ])("a 1 MB %s is refused in milliseconds", (_what, extra, path, message) => {
    const { error, ms } = timedError(() => parseExportRequest({ ...MINIMAL, ...extra }, ["realized"], FILE), ExportError);
    expect([error.location.jsonPath, error.message]).toEqual([path, message]);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("a 1 MB unknown key is refused in milliseconds, and shown clipped", () => {
    const key = "k".repeat(1 << 20);
    const { error, ms } = timedError(() => parseExportRequest({ ...MINIMAL, [key]: 1 }, ["realized"], FILE), ExportError);
    expect(error.location.jsonPath).toBe(`$["${"k".repeat(60)}…"]`);
    expect(error.message.length).toBeLessThan(300);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("a body with 100,000 bad entries reports the first and counts the rest, in milliseconds", () => {
    const segments = Array.from({ length: 100_000 }, () => ({ segmentId: 1 }));
    const { error, ms } = timedError(() => parseSegmentJobRequest(segments), SegmentError);
    expect(error.message).toMatch(/^the request body has 100,000 entries; at most 1,500 are allowed/);
    expect(error.detail).toMatch(/^ {2}also SEG-R001 at \$\[0\]\.segmentId: \$\[0\]\.segmentId must be a string, not 1\n/);
    expect(error.detail).toMatch(/\n {2}… and 99,991 more problems$/);
    expect(ms).toBeLessThan(1000);
  });
});

describe("lenient where the platform is, with a warning", () => {
  it("an export: the dataSetId spelling and the warnings reach the job's result", async () => {
    const dir = writeSandbox({ profiles: { ds_crm: [{ identityMap: { CRMID: [{ id: "c1", primary: true }] }, person: { name: { firstName: "Jane" } } }] } });
    const result = await runExportJob(openSandbox(dir), { fields: " ", destination: { dataSetId: "ds_export" }, schema: PROFILE }, { asOf: Date.parse("2024-06-01T00:00:00Z"), statusModel: "current" });
    expect(result.job.status).toBe("SUCCEEDED");
    expect(result.warnings).toEqual(["fields is blank: every field is exported", expect.stringMatching(/^destination\.dataSetId: read as destination\.datasetId/)]);
  });
});

describe("merge policies: requests and documents", () => {
  const DEFAULT = { id: "timestampOrdered-none-mp", name: "Default", schema: PROFILE, version: 1, identityGraph: { type: "none" }, attributeMerge: { type: "timestampOrdered" }, default: true };
  const BODY = { name: "Stitched", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, schema: PROFILE };
  const store = (warnings: string[] = []): MergePolicyStore => {
    const dir = writeSandbox({ profiles: { ds_crm: [], ds_loyalty: [] }, policies: [DEFAULT] });
    const org = { imsOrgId: "TEST@AdobeOrg", sandbox: { sandboxId: "s", sandboxName: "test", type: "development" as const, default: false }, name: "test" };
    return new MergePolicyStore(dir, new Set(["ds_crm", "ds_loyalty"]), org, () => 1_700_000_000_000, (w) => warnings.push(w));
  };

  it.each([
    ["an unknown nested field", { ...BODY, identityGraph: { type: "pdg", typ: "none" } }, "$.identityGraph.typ", 'unknown field "typ"'],
    ["dataSetPrecedence without an order", { ...BODY, attributeMerge: { type: "dataSetPrecedence" } }, "$.attributeMerge.order", "attributeMerge.order is required"],
    ["a dataset twice in the order", { ...BODY, attributeMerge: { type: "dataSetPrecedence", order: ["ds_crm", "ds_crm"] } }, "$.attributeMerge.order[1]", 'attributeMerge.order lists "ds_crm" twice (entries 0 and 1)'],
    ["an order of 101 datasets", { ...BODY, attributeMerge: { type: "dataSetPrecedence", order: Array.from({ length: 101 }, (_, i) => `ds${i}`) } }, "$.attributeMerge.order", "at most 100 are allowed; the platform takes up to 50 Profile and 50 ExperienceEvent datasets"],
    ["read-only fields", { ...BODY, id: "mine", version: 3 }, "$.id", "id, version, imsOrgId, sandbox and updateEpoch are set by the platform"],
    ["a flag as a string", { ...BODY, isActiveOnEdge: "true" }, "$.isActiveOnEdge", 'isActiveOnEdge must be true or false, not "true"'],
    ["an empty name", { ...BODY, name: "" }, "$.name", "name must not be empty"],
    ["another schema class", { ...BODY, schema: { name: "_xdm.context.experienceevent" } }, "$.schema.name", 'schema.name must be "_xdm.context.profile"'],
  ])("create refuses %s (at %s)", (_what, body, path, message) => {
    const e = thrown(() => store().create(body, "policy.json"), MergeError);
    expect([e.code, e.status, e.location]).toEqual(["MRG-P001", 400, { file: "policy.json", jsonPath: path }]);
    expect(e.message).toContain(message);
  });

  it.each([
    ["an unknown field in an operation", [{ op: "add", path: "/identityGraph.type", value: "pdg", from: "x" }], "$[0].from", 'unknown field "from"'],
    ["a mistyped path", [{ op: "add", path: "/identityGraph.typ", value: "pdg" }], "$[0].path", 'did you mean "/identityGraph.type"?'],
    ["a fractional version", [{ op: "add", path: "/version", value: "1.5" }], "$[0].value", "version must be a whole number ≥ 1"],
    ["a flag that is not true or false", [{ op: "add", path: "/default", value: "yes" }], "$[0].value", 'default must be "true" or "false", not "yes"'],
    ["a null value", [{ op: "add", path: "/name", value: null }], "$[0].value", "name must be a string, not null"],
    ["a value of the wrong type", [{ op: "add", path: "/identityGraph.type", value: 1 }], "$[0].value", "identityGraph.type must be a string, not 1"],
    ["no operation", [], "$", "the request body must not be empty"],
    ["101 operations", Array.from({ length: 101 }, () => ({ op: "add", path: "/name", value: "x" })), "$", "at most 100 are allowed"],
  ])("patch refuses %s (at %s, MRG-P005)", (_what, ops, path, message) => {
    const e = thrown(() => store().patch("timestampOrdered-none-mp", ops, "patch.json"), MergeError);
    expect([e.code, e.location]).toEqual(["MRG-P005", { file: "patch.json", jsonPath: path }]);
    expect(e.message).toContain(message);
    expect(e.message).not.toContain("leave the field out");
  });

  it("patch reads the docs' single-object form, JSON booleans and the spec's /idActiveOnEdge, each with a warning", () => {
    const warnings: string[] = [];
    const s = store(warnings);
    expect(s.patch("timestampOrdered-none-mp", { op: "add", path: "/idActiveOnEdge", value: true })).toMatchObject({ isActiveOnEdge: true, version: 2 });
    expect(warnings).toEqual([
      "the PATCH body is one operation object (as the docs send it); read as an array of one operation, the spec's form",
      '$.path: "/idActiveOnEdge" (profile.yaml\'s spelling) is read as "/isActiveOnEdge"',
      '$.value: true is read as the string "true" (PATCH values are strings)',
    ]);
    warnings.length = 0;
    expect(s.patch("timestampOrdered-none-mp", [{ op: "add", path: "/version", value: "9" }])).toMatchObject({ version: 3 });
    expect(warnings).toEqual(["$[0]: the version is not set by a patch; it moves on by one with every change (now 3)"]);
  });

  it("patching to dataSetPrecedence without an order says what the patched policy lacks", () => {
    const e = thrown(() => store().patch("timestampOrdered-none-mp", [{ op: "add", path: "/attributeMerge.type", value: "dataSetPrecedence" }]), MergeError);
    expect([e.code, e.location.jsonPath, e.message]).toEqual(["MRG-P001", "$", "the patched policy is invalid at $.attributeMerge.order: attributeMerge.order is required"]);
  });

  it("a sandbox's policy file is checked at every level, with its file and JSON path", () => {
    const e = thrown(() => parseMergePolicy({ file: "merge-policies/p.json", value: { ...DEFAULT, attributeMerge: { type: "timestampOrdered", ordr: [] } } }, new Set()), MergeError);
    expect([e.code, e.location]).toEqual(["MRG-P001", { file: "merge-policies/p.json", jsonPath: "$.attributeMerge.ordr" }]);
    expect(e.message).toContain('did you mean "order"?');
    for (const [value, path] of [
      [{ ...DEFAULT, version: 0 }, "$.version"],
      [{ ...DEFAULT, version: 1.5 }, "$.version"],
      [{ ...DEFAULT, sandbox: { sandboxName: "prod", region: "x" } }, "$.sandbox.region"],
      [{ ...DEFAULT, id: "" }, "$.id"],
    ] as const) {
      expect(thrown(() => parseMergePolicy({ file: "p.json", value }, new Set()), MergeError).location.jsonPath).toBe(path);
    }
  });

  it("a policy file's string flags (as in the docs' GET sample) and a timestampOrdered order are read with warnings", () => {
    const warnings: string[] = [];
    const policy = parseMergePolicy({ file: "p.json", value: { ...DEFAULT, isActiveOnEdge: "false", attributeMerge: { type: "timestampOrdered", order: ["ds_crm"] } } }, new Set(["ds_crm"]), warnings);
    expect([policy.isActiveOnEdge, policy.attributeMerge]).toEqual([false, { type: "timestampOrdered" }]);
    expect(warnings).toEqual([
      "p.json: attributeMerge.order is ignored: it applies to dataSetPrecedence only",
      'p.json: isActiveOnEdge: the string "false" is read as false (a boolean is expected)',
    ]);
  });
});

describe("schedules: requests", () => {
  const MANIFEST = { name: "acme", imsOrgId: "ACME@AdobeOrg", sandbox: { sandboxId: "s", sandboxName: "prod", type: "production" as const, default: true } };
  const DAILY = { name: "daily", type: "batch_segmentation", properties: { segments: ["*"] }, schedule: "0 0 1 * * ?" };
  const schedules = (): Schedules => new Schedules(new SandboxState(writeSandbox({})), MANIFEST, { clock: () => Date.parse("2024-05-01T00:00:00Z"), mergePolicyCount: 1 });

  it.each([
    ["an unknown field in properties", { ...DAILY, properties: { segments: ["*"], segment: "x" } }, "$.properties.segment", "SCH-006"],
    ["1,501 segments", { ...DAILY, properties: { segments: Array.from({ length: 1501 }, (_, i) => `s${i}`) } }, "$.properties.segments", "SCH-008"],
    ["an empty segment id", { ...DAILY, properties: { segments: [""] } }, "$.properties.segments[0]", "SCH-009"],
    ["a 1 MB name", { ...DAILY, name: "n".repeat(1 << 20) }, "$.name", "SCH-003"],
    ["a null schedule", { ...DAILY, schedule: null }, "$.schedule", "SCH-019"],
    ["a null state", { ...DAILY, state: null }, "$.state", "SCH-005"],
    ["a mistyped type", { ...DAILY, type: "batch_segmentaton" }, "$.type", "SCH-004"],
  ])("create refuses %s (at %s with %s), naming the file", (_what, body, path, code) => {
    const { error, ms } = timedError(() => schedules().create(body, "schedule.json"), ScheduleError);
    expect([error.code, error.status, error.location]).toEqual([code, 400, { file: "schedule.json", jsonPath: path }]);
    expect(ms).toBeLessThan(FAST_MS);
  });

  it("a near-miss type gets a 'did you mean'", () => {
    expect(thrown(() => schedules().create({ ...DAILY, type: "batch_segmentaton" }), ScheduleError).message).toContain('did you mean "batch_segmentation"?');
  });

  it.each([
    ["an unknown field in an operation", [{ op: "add", path: "/state", value: "active", from: "/x" }], "$[0].from", "SCH-042"],
    ["an operation without op", [{ path: "/state", value: "active" }], "$[0].op", "SCH-043"],
    ["a /state without a value", [{ op: "add", path: "/state" }], "$[0].value", "SCH-045"],
    ["a blank cron", [{ op: "add", path: "/schedule", value: " " }], "$[0].value", "SCH-019"],
    ["101 operations", Array.from({ length: 101 }, () => ({ op: "add", path: "/state", value: "active" })), "$", "SCH-040"],
  ])("patch refuses %s (at %s with %s)", (_what, ops, path, code) => {
    const s = schedules();
    const id = s.create(DAILY).id;
    const e = thrown(() => s.patch(id, ops, "patch.json"), ScheduleError);
    expect([e.code, e.location]).toEqual([code, { file: "patch.json", jsonPath: path }]);
  });
});

describe("datasets: POST /dataSets", () => {
  const REF = { id: "https://ns.adobe.com/xdm/context/profile__union", contentType: "application/vnd.adobe.xed+json;version=1" };
  const catalog = (): Catalog => {
    const dir = writeSandbox({});
    return new Catalog(new SandboxState(dir), { name: "test", imsOrgId: "TEST@AdobeOrg", datasets: [] }, { clock: () => 1_700_000_000_000 });
  };

  it.each([
    ["an unknown field in schemaRef", { name: "x", schemaRef: { ...REF, version: 1 } }, "$.schemaRef.version", "CAT-004"],
    ["an empty schemaRef.id", { name: "x", schemaRef: { ...REF, id: "" } }, "$.schemaRef.id", "CAT-005"],
    ["an unknown field in fileDescription", { name: "x", schemaRef: REF, fileDescription: { persisted: true, fromat: "parquet" } }, "$.fileDescription.fromat", "CAT-013"],
    ["an unknown file format", { name: "x", schemaRef: REF, fileDescription: { format: "xml" } }, "$.fileDescription.format", "CAT-013"],
    ["a tag value that is not a string", { name: "x", schemaRef: REF, tags: { unifiedProfile: ["enabled:true", 1] } }, "$.tags.unifiedProfile[1]", "CAT-009"],
    ["101 tags", { name: "x", schemaRef: REF, tags: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`t${i}`, []])) }, "$.tags", "CAT-009"],
    ["a null name", { name: null, schemaRef: REF }, "$.name", "CAT-003"],
    ["a 1 MB description", { name: "x", schemaRef: REF, description: "d".repeat(1 << 20) }, "$.description", "CAT-008"],
  ])("createDataset refuses %s (at %s with %s), naming the file", (_what, body, path, code) => {
    const { error, ms } = timedError(() => catalog().createDataset(body, "dataset.json"), CatalogError);
    expect([error.code, error.status, error.location]).toEqual([code, 400, { file: "dataset.json", jsonPath: path }]);
    expect(ms).toBeLessThan(FAST_MS);
  });
});

describe("errors are coded ProfileLabErrors that print file and JSON path", () => {
  it("format() names the code, the file and the path", () => {
    const e = exportError({ ...MINIMAL, filter: { segments: [{ segmentId: "s", segmentNs: "" }] } });
    expect(e).toBeInstanceOf(ProfileLabError);
    expect(e.format()).toBe(`EXP-R001 ${FILE} at $.filter.segments[0].segmentNs: filter.segments[0].segmentNs must not be empty`);
  });
});
