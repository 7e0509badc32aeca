/**
 * validateSources (src/engine/validate-sources.ts), the data check a DuckDB job runs first: it throws the very
 * error the row engine's segment job throws (code, message, file, line or row, JSON path) over the cases of
 * test/data-errors.test.ts and more, on one thread and on two, the first bad file in load order winning whichever
 * worker finishes first; its cache skips clean files until a file, its dataset's schema or the validator changes;
 * a checkpoint cancels it.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { describe, expect, it } from "vitest";
import { JobCancelledError, PROGRESS_EVERY } from "../src/engine/job-progress.js";
import { runSegmentJob } from "../src/engine/run-segment-job.js";
import { openSandbox, type Sandbox } from "../src/engine/sandbox.js";
import { validateSources, type SourcesValidation } from "../src/engine/validate-sources.js";
import { DUCKDB } from "../src/sql/duckdb.js";
import { EngineSession } from "../src/sql/jobs/engine-session.js";
import { fromDuckDbJson } from "../src/sql/duckdb-values.js";
import { DuckDbSession } from "../src/sql/merge/duckdb-session.js";
import { EVENTS_VIEW, readDatasetsSql, RECORDS_VIEW } from "../src/sql/merge/read-datasets.js";
import { mergeSourcesOf } from "../src/sql/merge/sources.js";
import { structOfXdm } from "../src/sql/types.js";
import { readParquetRows } from "../src/io/parquet-reader.js";
import { toEpochMs } from "../src/xdm/time.js";
import type { Json, JsonObject } from "../src/xdm/types.js";
import type { XdmType } from "../src/xdm/xdm-type.js";
import { SAMPLE_AS_OF } from "./helpers/cli.js";
import { generatedSandbox } from "./helpers/generated-sandbox.js";
import { EVENT_SCHEMA, IDENTITY_MAP_SCHEMA } from "./helpers/sandbox.js";
import { thrownLocated } from "./helpers/thrown.js";
import { canonical } from "./sql/merge-harness.js";

const generated = generatedSandbox("profile-lab-validate-sources-", {
  profiles: 300,
  eventsPerProfile: 5,
  seed: 13,
  referenceTime: SAMPLE_AS_OF,
  name: "validate",
  format: "parquet",
});

/** The files of a dataset of sandbox.json (by name, or the first), as listed. */
function filesOf(dir: string, name?: string): string[] {
  const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: { name: string; files?: string[] }[] };
  return (name === undefined ? manifest.datasets[0] : manifest.datasets.find((d) => d.name === name))!.files ?? [];
}

/** Lists `files` as the dataset's files in sandbox.json (by name, or the first dataset). */
function setFiles(dir: string, files: readonly string[], name?: string): void {
  const path = join(dir, "sandbox.json");
  const manifest = JSON.parse(readFileSync(path, "utf8")) as { datasets: { name: string; files?: readonly string[] }[] };
  (name === undefined ? manifest.datasets[0] : manifest.datasets.find((d) => d.name === name))!.files = files;
  writeFileSync(path, JSON.stringify(manifest, null, 2));
}

const EVENTS = "Web and Commerce Events";

/** The events dataset's first part file, relative to the sandbox. */
const eventsFile = (dir: string): string => filesOf(dir, EVENTS)[0]!;

/**
 * The segment job's error on `dir` (the row engine, the reference), then validateSources' on 1 and 2 workers, from a
 * cold cache, and with DuckDB checking Parquet files first (sql-precheck.ts): all equal.
 */
async function expectSameError(dir: string, code: string): Promise<void> {
  const job = await thrownLocated(() => runSegmentJob(openSandbox(dir), { asOf: Date.parse(SAMPLE_AS_OF), statusModel: "current" }));
  expect(job).toMatchObject({ code });
  for (const workers of [1, 2]) {
    expect({ workers, error: await thrownLocated(() => validateSources(openSandbox(dir, { segments: false }), { workers, cache: false })) }).toEqual({ workers, error: job });
  }
  expect(await thrownLocated(() => validateSources(openSandbox(dir, { segments: false }), { workers: 2, cache: true }))).toEqual(job);
  const sql = await EngineSession.open({ tempDir: join(dir, ".duckdb-tmp") }, () => undefined);
  try {
    expect(await thrownLocated(() => validateSources(openSandbox(dir, { segments: false }), { workers: 1, cache: false, sql }))).toEqual(job);
  } finally {
    sql.close();
  }
}

/** A valid CRM Profiles line of the generated schema. */
const CRM_LINE = {
  _id: "r1",
  identityMap: { CRMID: [{ id: "CRM1", authenticatedState: "authenticated", primary: true }] },
  person: { name: { firstName: "Ada" }, birthYear: 1980, gender: "female" },
  _acp_system_metadata: { ingestTime: "2026-10-01T00:00:00Z" },
};
const crmLine = (i: number, person: object = {}): string =>
  JSON.stringify({ ...CRM_LINE, _id: `r${i}`, identityMap: { CRMID: [{ id: `CRM${i}`, primary: true }] }, person: { ...CRM_LINE.person, ...person } });
const deepJson = (levels: number): string => `${'{"a":'.repeat(levels - 1)}{}${"}".repeat(levels - 1)}`;

/** The CRM dataset as JSON Lines files with these lines (in this order in sandbox.json). */
function withCrmFiles(dir: string, files: Record<string, readonly string[]>): void {
  for (const [rel, lines] of Object.entries(files)) writeFileSync(join(dir, rel), `${lines.join("\n")}\n`);
  setFiles(dir, Object.keys(files), "CRM Profiles");
}

describe("validateSources throws the segment job's error", () => {
  it.each([
    ["the folder of a dataset's part files", "datasets/crm-profiles"],
    ["a folder named like a JSON Lines file", "datasets/crm.jsonl"],
    ["a folder named like a Parquet file", "datasets/crm.parquet"],
  ])("a files entry that is %s: IO-F003", async (_, entry) => {
    const dir = generated.copy();
    mkdirSync(join(dir, entry), { recursive: true });
    setFiles(dir, [entry]);
    await expectSameError(dir, "IO-F003");
  });

  it("a files entry that does not exist: IO-F001", async () => {
    const dir = generated.copy();
    setFiles(dir, [...filesOf(dir), "datasets/crm-profiles/part-00001.parquet"]);
    await expectSameError(dir, "IO-F001");
  });

  it("a Parquet file with 4 KB of garbage in its middle: IO-P003", async () => {
    const dir = generated.copy();
    const rel = eventsFile(dir);
    const bytes = readFileSync(join(dir, rel));
    for (let i = 0; i < 4096; i++) bytes[(bytes.length >> 1) + i] = (i * 7919 + 13) & 0xff;
    writeFileSync(join(dir, rel), bytes);
    await expectSameError(dir, "IO-P003");
  });

  it("a truncated Parquet file: IO-P001", async () => {
    const dir = generated.copy();
    const rel = eventsFile(dir);
    truncateSync(join(dir, rel), Math.floor(readFileSync(join(dir, rel)).length / 3));
    await expectSameError(dir, "IO-P001");
  });

  it("a text file with a .parquet name: IO-P001", async () => {
    const dir = generated.copy();
    writeFileSync(join(dir, eventsFile(dir)), '{"_id": "e1", "timestamp": "2026-10-01T00:00:00Z"}\n'.repeat(50));
    await expectSameError(dir, "IO-P001");
  });

  it.each([
    ["a gender outside the schema's enum", crmLine(2, { gender: "robot" }), "IO-D001"],
    ["a birthYear no int holds", crmLine(2, { birthYear: 3000000000 }), "IO-D001"],
    ["a 100,000-deep object in a field", crmLine(2, { name: "@" }).replace('"@"', deepJson(100_000)), "IO-D001"],
    ["a 100,000-deep ingestion time", crmLine(2).replace('"2026-10-01T00:00:00Z"', deepJson(100_000)), "IO-D001"],
    ["a field the schema does not have, nested", crmLine(2, { name: { firstName: "Ada", nickname: "A" } }), "IO-D001"],
    ["a number given as a string", crmLine(2, { birthYear: "1980" }), "IO-D001"],
    ["no ingestion time", JSON.stringify({ ...CRM_LINE, _acp_system_metadata: {} }), "IO-D001"],
    ["no primary identity", JSON.stringify({ ...CRM_LINE, identityMap: {} }), "IO-D001"],
    ["malformed JSON", `${crmLine(2).slice(0, 40)}}`, "IO-J001"],
  ])("%s: the same code at the line and JSON path", async (_, bad, code) => {
    const dir = generated.copy();
    withCrmFiles(dir, { "datasets/crm.jsonl": [crmLine(1), bad] });
    await expectSameError(dir, code);
  });

  it("the first bad row in load order wins, though a later file's worker finds its own first", async () => {
    const dir = generated.copy();
    const many = Array.from({ length: 20_000 }, (_, i) => crmLine(10 + i));
    withCrmFiles(dir, {
      "datasets/crm-a.jsonl": [...many, crmLine(1, { gender: "robot" })],
      "datasets/crm-b.jsonl": [crmLine(2, { birthYear: "1980" })],
    });
    await expectSameError(dir, "IO-D001");
    const error = await thrownLocated(() => validateSources(openSandbox(dir, { segments: false }), { workers: 2, cache: false }));
    expect(error).toMatchObject({ location: { file: "datasets/crm-a.jsonl", line: 20_001, jsonPath: "$.person.gender" } });
  }, 120_000);

  it("a bad row in the last file, the others clean", async () => {
    const dir = generated.copy();
    setFiles(dir, [...filesOf(dir, EVENTS), "datasets/late.jsonl"], EVENTS);
    writeFileSync(join(dir, "datasets/late.jsonl"), `${JSON.stringify({ _id: "e1", identityMap: { ECID: [{ id: "1", primary: true }] }, _acp_system_metadata: { ingestTime: "2026-10-01T00:00:00Z" } })}\n`);
    await expectSameError(dir, "IO-D001");
  });
});

describe("validateSources on clean data", () => {
  it("validates every row of every data file, on one worker and on two alike", async () => {
    const dir = generated.copy();
    const one = await validateSources(openSandbox(dir, { segments: false }), { workers: 1, cache: false });
    const two = await validateSources(openSandbox(dir, { segments: false }), { workers: 2, cache: false });
    const rows = Object.values(generated.summary.datasets).reduce((n, d) => n + d.rows, 0);
    expect(one).toEqual({ files: one.files, validated: one.files, bySql: 0, cached: 0, rows });
    expect(two).toEqual(one);
    expect(one.files).toBeGreaterThan(2);
  });
});

describe("the validation cache", () => {
  const open = (dir: string) => openSandbox(dir, { segments: false });
  const run = (dir: string, workers = 1): Promise<SourcesValidation> => validateSources(open(dir), { workers, cache: true });

  it("skips clean files that did not change, and reads a touched, edited or replaced file again", async () => {
    const dir = generated.copy();
    withCrmFiles(dir, { "datasets/crm.jsonl": [crmLine(1), crmLine(2)] });
    const first = await run(dir, 2);
    expect(first).toMatchObject({ validated: first.files, cached: 0 });
    expect(await run(dir)).toEqual({ files: first.files, validated: 0, bySql: 0, cached: first.files, rows: 0 });

    const crm = join(dir, "datasets/crm.jsonl");
    const later = new Date(Date.now() + 60_000);
    utimesSync(crm, later, later);
    expect(await run(dir)).toEqual({ files: first.files, validated: 1, bySql: 0, cached: first.files - 1, rows: 2 });
    expect(await run(dir)).toMatchObject({ validated: 0 });

    // The same size and modification time, the content broken: the change time still tells.
    const stat = { atime: later, mtime: later };
    writeFileSync(crm, `${crmLine(1)}\n${crmLine(2).replace('"female"', '"robot1"')}\n`);
    utimesSync(crm, stat.atime, stat.mtime);
    expect(await thrownLocated(() => run(dir))).toMatchObject({ code: "IO-D001", location: { file: "datasets/crm.jsonl", line: 2, jsonPath: "$.person.gender" } });
    // A file that failed is not recorded clean: fixed, it is read again.
    writeFileSync(crm, `${crmLine(1)}\n`);
    expect(await run(dir)).toMatchObject({ validated: 1, rows: 1 });

    // Replaced by another file (another inode) of the same size and times.
    const other = join(dir, "datasets/crm.jsonl.new");
    writeFileSync(other, `${crmLine(3)}\n`);
    const { mtime, atime } = { mtime: new Date(2026, 0, 1), atime: new Date(2026, 0, 1) };
    utimesSync(crm, atime, mtime);
    expect(await run(dir)).toMatchObject({ validated: 1 });
    utimesSync(other, atime, mtime);
    renameSync(other, crm);
    expect(await run(dir)).toMatchObject({ validated: 1, rows: 1 });
    appendFileSync(crm, `${crmLine(4)}\n`);
    expect(await run(dir)).toMatchObject({ validated: 1, rows: 2 });
    expect(await run(dir)).toMatchObject({ validated: 0 });
  });

  it("reads a dataset's files again when its schema changes, and only that dataset's", async () => {
    const dir = generated.copy();
    const first = await run(dir);
    const sandbox = open(dir);
    const crm = sandbox.datasets.find((d) => d.entry.name === "CRM Profiles")!;
    const schemaFile = crm.schema!.file;
    const sharing = sandbox.datasets.filter((d) => d.schema?.file === schemaFile).reduce((n, d) => n + d.entry.files!.length, 0);
    expect(first.files).toBeGreaterThan(sharing);
    // A value added to the gender enum: the data stays valid, the schema's files are read again, no other.
    writeFileSync(schemaFile, readFileSync(schemaFile, "utf8").replace(/"female",/g, '"female", "robot",'));
    expect(await run(dir)).toMatchObject({ validated: sharing, cached: first.files - sharing });
    // "female" removed from it: rows that were clean are not any more.
    writeFileSync(schemaFile, readFileSync(schemaFile, "utf8").replace(/"female",\s*/g, ""));
    expect(readFileSync(schemaFile, "utf8")).not.toContain('"female"');
    const error = await thrownLocated(() => run(dir));
    expect(error).toMatchObject({ code: "IO-D001", location: { jsonPath: "$.person.gender" } });
    expect(error).toEqual(await thrownLocated(() => runSegmentJob(openSandbox(dir), { asOf: Date.parse(SAMPLE_AS_OF), statusModel: "current" })));
  });

  it("a file recorded clean and then removed, or made a directory, is the segment job's error", async () => {
    const dir = generated.copy();
    await run(dir);
    const first = join(dir, filesOf(dir)[0]!);
    rmSync(first);
    await expectSameError(dir, "IO-F001");
    mkdirSync(first);
    await expectSameError(dir, "IO-F003");
  });

  it("without the cache every file is read, and nothing is recorded", async () => {
    const dir = generated.copy();
    const cold = await validateSources(open(dir), { workers: 1, cache: false });
    expect(cold.cached).toBe(0);
    expect(await validateSources(open(dir), { workers: 1, cache: false })).toEqual(cold);
    expect(await run(dir)).toMatchObject({ validated: cold.files });
  });

  it("a damaged cache file is ignored and written anew", async () => {
    const dir = generated.copy();
    await run(dir);
    writeFileSync(join(dir, ".profile-lab/validated.json"), "{ not json");
    const again = await run(dir);
    expect(again).toMatchObject({ validated: again.files });
    expect(await run(dir)).toMatchObject({ validated: 0 });
  });
});

describe("cancelling", () => {
  it("a checkpoint that throws stops the validation with its error; the files done before stay recorded", async () => {
    const dir = generated.copy();
    const stop = new JobCancelledError("CANCELLED", "cancelled on request");
    const seen: number[] = [];
    const checkpoint = (p: { rows: number }): void => {
      seen.push(p.rows);
      throw stop;
    };
    await expect(validateSources(openSandbox(dir, { segments: false }), { workers: 1, cache: true, checkpoint })).rejects.toBe(stop);
    expect(seen).toHaveLength(1);
    const after = await validateSources(openSandbox(dir, { segments: false }), { workers: 1, cache: true });
    // The files before the one it stopped in were recorded clean (their rows are the progress before its first
    // checkpoint): only the rest are read now.
    const total = Object.values(generated.summary.datasets).reduce((n, d) => n + d.rows, 0);
    expect(after.cached).toBeGreaterThan(0);
    expect(after.rows).toBe(total - (seen[0]! - PROGRESS_EVERY));
  });
});

// ------------------------------------------------------------------ what validates, DuckDB reads the same

const VALUES_PROFILE_SCHEMA = {
  $id: "https://example.com/schemas/values-profile",
  title: "Value shapes",
  type: "object",
  "meta:class": "https://ns.adobe.com/xdm/context/profile",
  properties: {
    _id: { type: "string" },
    identityMap: IDENTITY_MAP_SCHEMA,
    s: { type: "string" },
    i: { type: "integer", "meta:xdmType": "int" },
    l: { type: "integer", "meta:xdmType": "long" },
    d: { type: "number" },
    b: { type: "boolean" },
    ts: { type: "string", format: "date-time" },
    dt: { type: "string", format: "date" },
    obj: { type: "object", properties: { n: { type: "number" }, ts: { type: "string", format: "date-time" }, inner: { type: "object", properties: { ts: { type: "string", format: "date-time" } } } } },
    tsList: { type: "array", items: { type: "string", format: "date-time" } },
    objList: { type: "array", items: { type: "object", properties: { s: { type: "string" }, ts: { type: "string", format: "date-time" } } } },
    m: { type: "object", "meta:xdmType": "map", additionalProperties: { type: "string" } },
    tsMap: { type: "object", "meta:xdmType": "map", additionalProperties: { type: "string", format: "date-time" } },
    extSourceSystemAudit: { type: "object", properties: { lastUpdatedDate: { type: "string", format: "date-time" } } },
  },
};

/** A sandbox of one profile line and one event line, written as JSON text (numbers as written: `1.0`, `1e2`). */
function valuesSandbox(field: string, json: string, ingest: string, eventTimestamp: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), "profile-lab-values-")), "sandbox");
  mkdirSync(join(dir, "schemas"), { recursive: true });
  mkdirSync(join(dir, "datasets"));
  writeFileSync(join(dir, "schemas/profile.schema.json"), JSON.stringify(VALUES_PROFILE_SCHEMA));
  writeFileSync(join(dir, "schemas/event.schema.json"), JSON.stringify(EVENT_SCHEMA));
  const meta = `"_acp_system_metadata":{"ingestTime":${ingest}}`;
  writeFileSync(join(dir, "datasets/profiles.jsonl"), `{"_id":"p1","identityMap":{"CRMID":[{"id":"C1","primary":true}]},"${field}":${json},${meta}}\n`);
  writeFileSync(join(dir, "datasets/events.jsonl"), `{"_id":"e1","identityMap":{"CRMID":[{"id":"C1","primary":true}]},"timestamp":${eventTimestamp},${meta}}\n`);
  const datasets = [
    { id: "profiles", name: "Profiles", schemaRef: { id: VALUES_PROFILE_SCHEMA.$id }, files: ["datasets/profiles.jsonl"] },
    { id: "events", name: "Events", schemaRef: { id: EVENT_SCHEMA.$id }, files: ["datasets/events.jsonl"] },
  ];
  writeFileSync(join(dir, "sandbox.json"), JSON.stringify({ name: "values", imsOrgId: "VALUES@AdobeOrg", datasets }));
  return dir;
}

/** A validated value with its date-times as instants (RFC 3339 UTC), guided by its type, as the reference reads them. */
function instants(v: Json, t: XdmType): Json {
  if (t.kind === "date-time") return new Date(toEpochMs(v)!).toISOString();
  if (t.kind === "array") return (v as Json[]).map((x) => instants(x, t.items));
  if (t.kind === "map" || t.kind === "object") {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v as JsonObject)) out[k] = instants(x, t.kind === "map" ? t.values : t.fields.get(k)!);
    return out;
  }
  return v;
}

/** The rows of the SQL merge's record and event views (src/sql/merge/read-datasets.ts) on DuckDB. */
async function readBySql(sandbox: Sandbox): Promise<{ records: Record<string, unknown>[]; events: Record<string, unknown>[] }> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1", temp_directory: join(sandbox.dir, ".profile-lab/tmp") });
  const connection = await instance.connect();
  try {
    const session = await DuckDbSession.open(connection);
    for (const sql of await readDatasetsSql(mergeSourcesOf(sandbox), DUCKDB, session)) await session.run(sql);
    return { records: await session.rows(`SELECT * FROM ${RECORDS_VIEW}`), events: await session.rows(`SELECT * FROM ${EVENTS_VIEW}`) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const T = '"2026-10-01T00:00:00Z"';

describe("every row that validates is read by the SQL merge with the same values", () => {
  it.each([
    ["a date-time with an offset", "ts", '"2018-10-25T13:22:04-07:00"', T, T],
    ["a date-time with a space for T", "ts", '"2018-10-25 13:22:04-07:00"', T, T],
    ["a date-time in lower case, nine fraction digits", "ts", '"2018-10-25t13:22:04.123456789z"', T, T],
    ["a date-time with an offset without a colon", "ts", '"2018-10-25T13:22:04-0700"', T, T],
    ["a leap second", "ts", '"2016-12-31T23:59:60.5Z"', T, T],
    ["a date-time before 1970 with a fraction below the millisecond", "ts", '"1969-12-31T23:59:59.9995Z"', T, T],
    ["a date-time in year 0", "ts", '"0000-01-01T00:00:00Z"', T, T],
    ["a date-time in year 9999 with an offset", "ts", '"9999-12-31T23:59:59.999+00:30"', T, T],
    ["a date-time as epoch milliseconds", "ts", "1540498924001", T, T],
    ["a date-time as negative fractional epoch milliseconds", "ts", "-1.5", T, T],
    ["a date-time as epoch milliseconds in exponent form", "ts", "1.5e12", T, T],
    ["date-times nested in objects", "obj", '{"ts":1540498924001,"n":2,"inner":{"ts":"2018-10-25t13:22:04z"}}', T, T],
    ["date-times in a list", "tsList", '[1540498924001,"2018-10-25t13:22:04z","2016-12-31T23:59:60Z"]', T, T],
    ["date-times in a list of objects", "objList", '[{"ts":1540498924001,"s":"a"},{"s":"b"},{"ts":"2018-10-25 13:22:04+05:30"}]', T, T],
    ["date-times in a map", "tsMap", '{"a":1540498924001,"":"2018-10-25t13:22:04z"}', T, T],
    ["a custom timestamp as epoch milliseconds", "extSourceSystemAudit", '{"lastUpdatedDate":1540498924001}', T, T],
    ["an ingestion time as epoch milliseconds", "s", '"x"', "1540498924001", T],
    ["an ingestion time as a date", "s", '"x"', '"2026-10-01"', T],
    ["an ingestion time in lower case", "s", '"x"', '"2026-10-01t00:00:00z"', T],
    ["an event time as epoch milliseconds", "s", '"x"', T, "1540498924001"],
    ["an event time in lower case with a leap second", "s", '"x"', T, '"2016-12-31t23:59:60z"'],
    ["an int written 1.0", "i", "1.0", T, T],
    ["an int written 1e2", "i", "1e2", T, T],
    ["the int extremes", "i", "-2147483648", T, T],
    ["the largest safe long", "l", "9007199254740991", T, T],
    ["the smallest safe long", "l", "-9007199254740991", T, T],
    ["a huge double", "d", "1e308", T, T],
    ["the smallest double", "d", "5e-324", T, T],
    ["a double written as an integer", "d", "3", T, T],
    ["minus zero", "d", "-0.0", T, T],
    ["false", "b", "false", T, T],
    ["a string with escapes, NUL and an emoji", "s", '"a\\u0000\\"\\\\\\n\\ud83d\\ude00é"', T, T],
    ["a date in year 0", "dt", '"0000-01-01"', T, T],
    ["a leap day", "dt", '"2024-02-29"', T, T],
    ["a map with an empty key and __proto__", "m", '{"":"x","__proto__":"y","constructor":"z"}', T, T],
    ["empty objects and lists", "obj", '{"inner":{}}', T, T],
    ["an empty list", "tsList", "[]", T, T],
    ["an empty map", "tsMap", "{}", T, T],
  ])("%s", async (_, field, json, ingest, eventTimestamp) => {
    const dir = valuesSandbox(field, json, ingest, eventTimestamp);
    const sandbox = openSandbox(dir, { segments: false });
    // Valid by the validator the jobs use (else the case is wrong, not DuckDB).
    await validateSources(sandbox, { workers: 1, cache: false });
    const { records, events } = await readBySql(sandbox);
    const line = (file: string): JsonObject => JSON.parse(readFileSync(join(dir, file), "utf8")) as JsonObject;
    const { _acp_system_metadata: meta, ...profile } = line("datasets/profiles.jsonl");
    const expected = canonical(instants(profile, sandbox.datasets[0]!.schema!.type));
    expect(records).toHaveLength(1);
    expect(canonical(fromDuckDbJson(records[0]!, structOfXdm(sandbox.profileType)))).toBe(expected);
    const ingestMs = toEpochMs((meta as JsonObject)["ingestTime"]);
    expect(Number(records[0]!["pl_ingest"])).toBe(ingestMs);
    expect(Number(events[0]!["pl_ingest"])).toBe(ingestMs);
    expect(Number(events[0]!["pl_ts"])).toBe(toEpochMs(line("datasets/events.jsonl")["timestamp"]));
    const custom = (profile["extSourceSystemAudit"] as JsonObject | undefined)?.["lastUpdatedDate"];
    expect(records[0]!["pl_custom"] === null ? null : Number(records[0]!["pl_custom"])).toBe(custom === undefined ? null : toEpochMs(custom));
  });

  it("a Parquet file as DuckDB writes it (timestamps in microseconds, nested in structs, lists and maps)", async () => {
    const dir = valuesSandbox("s", '"x"', T, T);
    const parquet = join(dir, "datasets/profiles.parquet");
    const instance = await DuckDBInstance.create(":memory:", { threads: "1", temp_directory: join(dir, ".profile-lab/tmp") });
    const connection = await instance.connect();
    await connection.run(
      "COPY (SELECT 'p1' AS _id, 'x' AS s, 7 AS i, 9007199254740991::BIGINT AS l, 0.25::DOUBLE AS d, true AS b, MAP {'k': 'v'} AS m, MAP {'CRMID': [{'id': 'C1', 'authenticatedState': NULL::VARCHAR, 'primary': true}]} AS identityMap, " +
        "TIMESTAMPTZ '2018-10-25 13:22:04.123456-07' AS ts, DATE '2024-02-29' AS dt, " +
        "{'n': 2.5::DOUBLE, 'ts': TIMESTAMP '1969-12-31 23:59:58.5', 'inner': {'ts': TIMESTAMPTZ '2018-10-25 00:00:00.0009+00'}} AS obj, " +
        "[TIMESTAMP '2016-12-31 23:59:59'] AS tsList, [{'s': 'a', 'ts': TIMESTAMP '2000-01-01 00:00:00'}] AS objList, MAP {'a': TIMESTAMP '2018-10-25 00:00:00'} AS tsMap, " +
        `{'lastUpdatedDate': TIMESTAMP '2020-02-02 02:02:02.002'} AS extSourceSystemAudit, {'ingestTime': TIMESTAMPTZ '2026-10-01 00:00:00+00'} AS _acp_system_metadata) TO '${parquet}'`,
    );
    connection.closeSync();
    instance.closeSync();
    const manifest = JSON.parse(readFileSync(join(dir, "sandbox.json"), "utf8")) as { datasets: { files: string[] }[] };
    manifest.datasets[0]!.files = ["datasets/profiles.parquet"];
    writeFileSync(join(dir, "sandbox.json"), JSON.stringify(manifest));
    const sandbox = openSandbox(dir, { segments: false });
    await validateSources(sandbox, { workers: 1, cache: false });
    const { records } = await readBySql(sandbox);
    const rows: JsonObject[] = [];
    for await (const r of readParquetRows(parquet)) rows.push(r.value as JsonObject);
    const { _acp_system_metadata: meta, ...profile } = rows[0]!;
    expect(profile["ts"]).toBe("2018-10-25T20:22:04.123Z");
    expect(canonical(fromDuckDbJson(records[0]!, structOfXdm(sandbox.profileType)))).toBe(canonical(instants(profile, sandbox.datasets[0]!.schema!.type)));
    expect(Number(records[0]!["pl_ingest"])).toBe(toEpochMs((meta as JsonObject)["ingestTime"]));
    expect(Number(records[0]!["pl_custom"])).toBe(Date.parse("2020-02-02T02:02:02.002Z"));
  });
});
