/**
 * Parquet files written by other tools, read by the DuckDB engine to the reference's values: date-times stored as
 * text (any offset, `t`/`z`, a leap second, nanoseconds), as epoch milliseconds (INT64, DOUBLE), as timestamps of
 * every precision with and without UTC adjustment; optional columns missing from every file; narrower integers;
 * dates and timestamps in string fields; maps with NULL values or number or timestamp keys; identityMap as a struct (as pyarrow
 * writes a dict); structs with fields missing or extra; a column of another type holding only NULLs. The fixtures are written with DuckDB's COPY. Both engines must give the same
 * merged profiles and the same segment memberships.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DUCKDB } from "../../src/sql/duckdb.js";
import { readAs } from "../../src/sql/merge/read-as.js";
import { INTEGER } from "../../src/sql/types.js";
import { formatDateTime } from "../../src/xdm/time.js";
import type { Json, JsonObject } from "../../src/xdm/types.js";
import type { XdmType } from "../../src/xdm/xdm-type.js";
import { EVENT_SCHEMA, IDENTITY_MAP_SCHEMA } from "../helpers/sandbox.js";
import { query } from "../helpers/parquet.js";
import { runBoth, twins } from "./job-twins.js";
import { referenceMerge, sandboxAt, sqlMerge, type ComparableProfile } from "./merge-harness.js";

const scratch = mkdtempSync(join(tmpdir(), "profile-lab-parquet-foreign-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const dateTime = { type: "string", format: "date-time" };

const PROFILE_SCHEMA = {
  $id: "https://example.com/schemas/foreign-profile",
  title: "Foreign profile",
  type: "object",
  "meta:class": "https://ns.adobe.com/xdm/context/profile",
  properties: {
    _id: { type: "string" },
    identityMap: IDENTITY_MAP_SCHEMA,
    person: { type: "object", properties: { name: { type: "object", properties: { firstName: { type: "string" } } }, birthDate: { type: "string", format: "date" } } },
    loyalty: { type: "object", properties: { tier: { type: "string" }, points: { type: "integer", "meta:xdmType": "long" }, since: dateTime } },
    visits: { type: "array", items: dateTime },
    seen: { type: "object", "meta:xdmType": "map", additionalProperties: dateTime },
    score: { type: "number" },
    signup: { type: "string" },
    never: { type: "object", properties: { note: { type: "string" } } },
    extSourceSystemAudit: { type: "object", properties: { lastUpdatedDate: dateTime } },
  },
};

const crm = (id: string, primary = true): string => `MAP {'CRMID': [{'id': '${id}', 'primary': ${primary}}]}`;

/**
 * One SELECT per file: each stores the same kinds of values as another tool would. (An epoch-ms date-time is a number
 * to the reference's comparisons with text, an instant to SQL's: no segment here compares one with a literal.)
 */
const PROFILE_FILES: ReadonlyArray<readonly [string, string]> = [
  [
    "text",
    `SELECT 'r1' AS _id, ${crm("C1")} AS identityMap, {'name': {'firstName': 'Ann'}, 'birthDate': '1980-02-29'} AS person,
       {'tier': 'gold', 'points': 5, 'since': '2026-01-02T03:04:05+02:00'} AS loyalty,
       ['2026-01-02t03:04:05z', '2026-01-02 03:04:05.123456789-01:30', '2016-12-31T23:59:60Z'] AS visits,
       MAP {'web': '2026-03-01T00:00:00.5+00:00'} AS seen, 1.5::DOUBLE AS score, 'plain' AS signup,
       {'lastUpdatedDate': '2026-01-01T00:00:00+05:00'} AS extSourceSystemAudit, {'ingestTime': '2026-01-05T00:00:00-02:00'} AS _acp_system_metadata
     UNION ALL
     SELECT 'r2', ${crm("C2")}, NULL, {'tier': 'silver', 'points': NULL, 'since': '2025-12-31T23:30:00-00:45'}, [], MAP {}, NULL, NULL, NULL,
       {'ingestTime': '2026-01-04'}`,
  ],
  [
    "epoch milliseconds",
    `SELECT 'r1b' AS _id, ${crm("C1")} AS identityMap, {'birthDate': DATE '1980-02-28'} AS person,
       {'tier': 'platinum', 'points': 7::INTEGER, 'since': 1767225600123::BIGINT} AS loyalty,
       [1767225600999.9::DOUBLE, -1.5::DOUBLE] AS visits, MAP {'web': NULL, 'app': 1767225600000::BIGINT} AS seen, 3::INTEGER AS score,
       {'lastUpdatedDate': 1767225600000.7::DOUBLE} AS extSourceSystemAudit, {'ingestTime': 1767571200000::BIGINT} AS _acp_system_metadata
     UNION ALL
     SELECT 'r3', ${crm("C3")}, NULL, {'tier': NULL, 'points': 9, 'since': NULL}, [-86400001, 1767225600000], NULL, NULL, NULL, {'ingestTime': 1767484800000}`,
  ],
  [
    "timestamps",
    `SELECT 'r4' AS _id, {'CRMID': [{'id': 'C4', 'primary': true}], 'Email': NULL} AS identityMap,
       {'tier': 'bronze', 'since': TIMESTAMP '1969-12-31 23:59:59.9995', 'extra': NULL::INTEGER} AS loyalty,
       [TIMESTAMPTZ '2026-01-02 03:04:05.0067+02'] AS visits, MAP {'web': TIMESTAMP_NS '2026-01-02 03:04:05.123456789'} AS seen,
       TIMESTAMP '2026-02-03 04:05:06.7891' AS signup, NULL::VARCHAR AS unused,
       {'lastUpdatedDate': TIMESTAMPTZ '2026-01-01 10:00:00+01'} AS extSourceSystemAudit, {'ingestTime': TIMESTAMP_MS '2026-01-05 12:00:00'} AS _acp_system_metadata
     UNION ALL
     SELECT 'r1c', {'CRMID': [{'id': 'C1', 'primary': true}], 'Email': [{'id': 'ann@x.com', 'primary': NULL}]}, {'tier': NULL, 'since': NULL, 'extra': NULL},
       NULL, MAP {'web': NULL}, NULL, NULL, NULL, {'ingestTime': TIMESTAMP '2026-01-06 00:00:00'}
     UNION ALL
     SELECT 'r6', {'CRMID': [{'id': 'C6', 'primary': true}], 'Email': NULL}, NULL, NULL, MAP {'web': NULL, 'app': TIMESTAMP_NS '2026-01-01 00:00:00'},
       NULL, NULL, NULL, {'ingestTime': TIMESTAMP '2026-01-06 00:00:00'}`,
  ],
  [
    "dates",
    `SELECT 'r5' AS _id, ${crm("C5")} AS identityMap, DATE '2026-02-03' AS signup, MAP {1.5::DOUBLE: '2026-01-01T00:00:00Z', 10::DOUBLE: '2026-01-02T00:00:00Z'} AS seen,
       NULL::VARCHAR AS score, {'ingestTime': DATE '2026-01-03'} AS _acp_system_metadata`,
  ],
  [
    "keys",
    `SELECT 'r7' AS _id, ${crm("C7")} AS identityMap, MAP {TIMESTAMP '2026-01-01 10:00:00.1234': '2026-01-01T00:00:00Z'} AS seen, {'ingestTime': '2026-01-03T00:00:00Z'} AS _acp_system_metadata
     UNION ALL SELECT 'r8', ${crm("C8")}, MAP {TIMESTAMP '2026-01-02 10:00:00': NULL}, {'ingestTime': '2026-01-03T00:00:00Z'}`,
  ],
];

const EVENT_FILES: ReadonlyArray<readonly [string, string]> = [
  [
    "text",
    `SELECT 'e1' AS _id, '2026-01-02T03:04:05+02:00' AS "timestamp", 'view' AS eventType, ${crm("C1")} AS identityMap, {'ingestTime': '2026-01-05T00:00:00z'} AS _acp_system_metadata
     UNION ALL SELECT 'e2', '2026-01-02 01:04:05.9999Z', 'buy', ${crm("C2")}, {'ingestTime': '2026-01-05T00:00:00Z'}`,
  ],
  [
    "epoch milliseconds",
    `SELECT 'e3' AS _id, 1767319445000::BIGINT AS "timestamp", 'buy' AS eventType, ${crm("C3")} AS identityMap, {'ingestTime': 1767571200000::BIGINT} AS _acp_system_metadata`,
  ],
  [
    "timestamps",
    `SELECT 'e4' AS _id, TIMESTAMPTZ '2026-01-02 03:04:05+02' AS "timestamp", 'buy' AS eventType, ${crm("C4")} AS identityMap, {'ingestTime': TIMESTAMP '2026-01-05 00:00:00'} AS _acp_system_metadata`,
  ],
];

const SEGMENTS = [
  { id: "since-before", pql: 'loyalty.since < "2026-01-02T01:30:00Z"' },
  { id: "since-recent", pql: "loyalty.since occurs <= 2 days before now" },
  { id: "visited", pql: "visits.count() > 1" },
  { id: "seen-web", pql: 'seen.get("web") > "2026-01-01T00:00:00Z"' },
  { id: "seen-one", pql: "seen.keys().count() = 1" },
  { id: "no-never", pql: "never.isNull()" },
  { id: "signup", pql: 'signup.startsWith("2026-02-03")' },
  { id: "buyers", pql: 'select E from xEvent where E.eventType = "buy" and E.timestamp occurs < 2 days before now' },
  { id: "early", pql: 'select E from xEvent where E.timestamp < "2026-01-02T01:04:05.999Z"' },
];

async function writeFiles(dir: string, name: string, files: ReadonlyArray<readonly [string, string]>): Promise<string[]> {
  return Promise.all(
    files.map(async ([kind, select]) => {
      const rel = `datasets/${name}-${kind.replace(/ /g, "-")}.parquet`;
      await query(`COPY (${select}) TO '${join(dir, rel)}' (FORMAT parquet)`);
      return rel;
    }),
  );
}

async function writeForeignSandbox(name: string): Promise<string> {
  const dir = join(scratch, name);
  for (const sub of ["schemas", "datasets", "merge-policies", "segments"]) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, "schemas/profile.schema.json"), JSON.stringify(PROFILE_SCHEMA));
  writeFileSync(join(dir, "schemas/event.schema.json"), JSON.stringify(EVENT_SCHEMA));
  const datasets = [
    { id: "crm", name: "CRM", schemaRef: { id: PROFILE_SCHEMA.$id }, files: await writeFiles(dir, "crm", PROFILE_FILES) },
    { id: "events", name: "Events", schemaRef: { id: EVENT_SCHEMA.$id }, files: await writeFiles(dir, "events", EVENT_FILES) },
  ];
  writeFileSync(join(dir, "sandbox.json"), JSON.stringify({ name, imsOrgId: "FOREIGN@AdobeOrg", datasets }));
  writeFileSync(join(dir, "merge-policies/p0.json"), JSON.stringify({ id: "time", identityGraph: { type: "pdg" }, attributeMerge: { type: "timestampOrdered" }, default: true }));
  for (const s of SEGMENTS) {
    const segment = { id: s.id, name: s.id, schema: { name: "_xdm.context.profile" }, expression: { type: "PQL", format: "pql/text", value: s.pql } };
    writeFileSync(join(dir, `segments/${s.id}.json`), JSON.stringify(segment));
  }
  return dir;
}

/** The reference keeps a date-time as it was given: an epoch-ms number is the instant the SQL merge gives as text. */
function instants(v: Json | undefined, t: XdmType): Json | undefined {
  if (v === undefined || v === null) return v;
  if (t.kind === "date-time") return typeof v === "number" ? formatDateTime(v) : v;
  if (t.kind === "array" && Array.isArray(v)) return v.map((x) => instants(x, t.items)!);
  if (t.kind === "map" && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, instants(x, t.values)!]));
  if (t.kind === "object" && typeof v === "object" && !Array.isArray(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, t.fields.has(k) ? instants(x, t.fields.get(k)!)! : x]));
  }
  return v;
}

describe("a value of a type the reference refuses, had it passed validation", () => {
  it.each([
    ["NULL", null],
    ["'7'", "datasets/x.parquet: loyalty.points holds VARCHAR values, which the reference refuses as integer"],
  ])("%s read as an integer: NULL, or the read stops with where it is", async (value, error) => {
    const sql = readAs("x", { kind: "text", name: "VARCHAR" }, INTEGER, { file: "datasets/x.parquet", path: "loyalty.points" }, DUCKDB)!;
    const read = query(`SELECT ${sql} AS v FROM (SELECT CAST(${value} AS VARCHAR) AS x)`);
    if (error === null) expect(await read).toEqual([{ v: null }]);
    else await expect(read).rejects.toThrow(error);
  });
});

describe("Parquet written by other tools is read by the DuckDB engine to the reference's values", () => {
  it("merged profiles: date-times as text, epoch milliseconds and timestamps; missing columns; maps, structs and integers of other types", async () => {
    const dir = await writeForeignSandbox("merge");
    const sandbox = sandboxAt(dir);
    const reference = (await referenceMerge(sandbox)).get("time")!;
    const sql = (await sqlMerge(sandbox)).get("time")!;
    const comparable = (p: ComparableProfile): ComparableProfile => {
      const entity = instants(JSON.parse(p.entity) as JsonObject, sandbox.profileType) as JsonObject;
      const events = (JSON.parse(p.events) as JsonObject[]).map((e) => instants(e, sandbox.eventType));
      return { ...p, entity: JSON.stringify(entity), events: JSON.stringify(events) };
    };
    expect(reference.length).toBe(8);
    expect(sql.map(comparable)).toEqual(reference.map(comparable));
  }, 120_000);

  it("segment memberships, on both engines", async () => {
    const t = twins(await writeForeignSandbox("segments"), scratch, "segments");
    const { reference } = await runBoth(t, { asOf: Date.parse("2026-01-03T00:00:00Z"), statusModel: "current" });
    // Every segment has members: the comparison is not of empty snapshots.
    expect(Object.values(reference.metrics.segmentedProfileCounter ?? {}).filter((n) => n > 0).length).toBe(SEGMENTS.length);
  }, 120_000);
});
