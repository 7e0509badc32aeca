import { existsSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProfileLabError } from "../xdm/errors.js";
import type { Json, JsonObject } from "../xdm/types.js";
import { array, IDENTITY_MAP_TYPE, map, object, scalar, SEGMENT_MEMBERSHIP_TYPE, type XdmObject } from "../xdm/xdm-type.js";
import { ColumnTypeError } from "./arrow-build.js";
import { ParquetFileWriter, type ParquetWriteOptions, type WritableRow } from "./parquet-writer.js";

const PROFILE: XdmObject = object([
  ["personId", scalar("string")],
  ["age", scalar("int")],
  ["visits", scalar("long")],
  ["lifetimeValue", scalar("double")],
  ["isActive", scalar("boolean")],
  ["createdAt", scalar("date-time")],
  ["birthDate", scalar("date")],
  [
    "person",
    object([
      ["name", object([["firstName", scalar("string")], ["lastName", scalar("string")]])],
      ["age", scalar("int")],
    ]),
  ],
  ["tags", array(scalar("string"))],
  ["scores", map(scalar("double"))],
  ["identityMap", IDENTITY_MAP_TYPE],
  ["segmentMembership", SEGMENT_MEMBERSHIP_TYPE],
]);

const T0 = Date.UTC(2024, 4, 1, 1, 0, 0); // 2024-05-01T01:00:00Z

/** A full profile row; row i depends only on i. */
function profile(i: number): JsonObject {
  const segs: JsonObject = {};
  for (let s = 0; s < (i % 4) + 1; s++) {
    segs[`seg-${(i + s * 5) % 16}`] = {
      status: s % 3 === 2 ? "exited" : "realized",
      lastQualificationTime: s % 2 === 0 ? T0 + i * 1000 + s : new Date(T0 + i * 1000 + s).toISOString(),
      version: `v${s}`,
    };
  }
  const identityMap: JsonObject = {
    ECID: [{ id: `ecid-${i}`, authenticatedState: "ambiguous", primary: true }],
    Email: [{ id: `user${i}@example.com`, authenticatedState: "authenticated", primary: false }],
  };
  if (i % 3 === 0) identityMap.Phone = [{ id: `+1555${i}`, primary: false }, { id: `+1666${i}` }];
  return {
    personId: `p${String(i).padStart(8, "0")}`,
    age: 18 + (i % 60),
    visits: i * 1_000_003,
    lifetimeValue: i / 7,
    isActive: i % 2 === 0,
    createdAt: T0 - i * 60_000,
    birthDate: `19${String(50 + (i % 50)).padStart(2, "0")}-0${(i % 9) + 1}-1${i % 10}`,
    person: { name: { firstName: i % 5 === 0 ? "Zoë" : `First${i}`, lastName: i % 7 === 0 ? "Müller" : `Last${i}` }, age: 18 + (i % 60) },
    tags: i % 10 === 0 ? [] : [`t${i % 3}`, "東京"],
    scores: { a: i, b: i + 0.5 },
    identityMap,
    segmentMembership: { ups: segs },
  };
}

let dir: string;
let db: DuckDBInstance;
let conn: DuckDBConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "profile-lab-parquet-"));
  db = await DuckDBInstance.create(":memory:");
  conn = await db.connect();
});

afterAll(async () => {
  conn?.closeSync();
  db?.closeSync();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let fileNo = 0;
const tmpFile = (name: string): string => join(dir, `${++fileNo}-${name}.parquet`);

async function writeFile(
  path: string,
  rows: readonly WritableRow[],
  schema: XdmObject = PROFILE,
  options?: ParquetWriteOptions,
  chunk = 1000,
): Promise<{ rows: number; bytes: number }> {
  const w = await ParquetFileWriter.open(path, schema, options);
  for (let i = 0; i < rows.length; i += chunk) await w.write(rows.slice(i, i + chunk));
  return w.close();
}

async function query(sql: string): Promise<Record<string, Json>[]> {
  const r = await conn.runAndReadAll(sql);
  return r.getRowObjectsJson() as Record<string, Json>[];
}

async function describeTypes(path: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of await query(`DESCRIBE SELECT * FROM read_parquet('${path}')`)) out[String(r.column_name)] = String(r.column_type);
  return out;
}

const EXPECTED_TYPES = {
  personId: "VARCHAR",
  age: "INTEGER",
  visits: "BIGINT",
  lifetimeValue: "DOUBLE",
  isActive: "BOOLEAN",
  createdAt: "TIMESTAMP WITH TIME ZONE",
  birthDate: "DATE",
  person: 'STRUCT("name" STRUCT(firstName VARCHAR, lastName VARCHAR), age INTEGER)',
  tags: "VARCHAR[]",
  scores: "MAP(VARCHAR, DOUBLE)",
  identityMap: 'MAP(VARCHAR, STRUCT(id VARCHAR, authenticatedState VARCHAR, "primary" BOOLEAN)[])',
  segmentMembership:
    'MAP(VARCHAR, MAP(VARCHAR, STRUCT(status VARCHAR, lastQualificationTime TIMESTAMP WITH TIME ZONE, "version" VARCHAR, validUntil TIMESTAMP WITH TIME ZONE)))',
};

/** DuckDB's JSON form of a map: `[{ key, value }]` in entry order. */
const mapJson = (o: Record<string, Json>, value: (v: Json) => Json = (v) => v): Json =>
  Object.entries(o).map(([key, v]) => ({ key, value: value(v) }));

describe("ParquetFileWriter → DuckDB", () => {
  it("writes the Parquet types of every XDM kind", async () => {
    const path = tmpFile("types");
    await writeFile(path, [profile(1), profile(2)]);
    expect(await describeTypes(path)).toEqual(EXPECTED_TYPES);
    // Column order is schema order.
    expect(Object.keys(await describeTypes(path))).toEqual([...PROFILE.fields.keys()]);
    // Map and list annotations (LogicalType + ConvertedType), not plain repeated groups.
    const schema = await query(
      `SELECT name, converted_type, logical_type FROM parquet_schema('${path}') WHERE name IN ('identityMap','segmentMembership','tags','createdAt')`,
    );
    const byName = Object.fromEntries(schema.map((r) => [String(r.name), r]));
    expect(byName.identityMap?.converted_type).toBe("MAP");
    expect(byName.tags?.converted_type).toBe("LIST");
    expect(String(byName.createdAt?.logical_type)).toMatch(/TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS/);
  });

  it("round-trips scalars, timestamps and dates", async () => {
    const path = tmpFile("scalars");
    const rows: JsonObject[] = [
      {
        personId: "a",
        age: -2147483648,
        visits: 2 ** 40 + 3,
        lifetimeValue: -0.25,
        isActive: false,
        createdAt: "2024-05-01T03:00:00.123+02:00",
        birthDate: "1970-01-01",
      },
      { personId: "b", age: 2147483647, visits: -(2 ** 53 - 1), lifetimeValue: 1e300, isActive: true, createdAt: -1, birthDate: "1969-12-31" },
      { personId: "c", visits: Number.MAX_SAFE_INTEGER, createdAt: "1900-02-28T23:59:59Z", birthDate: "2024-02-29" },
    ];
    await writeFile(path, rows);
    const got = await query(
      `SELECT personId, age, visits::VARCHAR AS visits, lifetimeValue, isActive, epoch_ms(createdAt) AS ms, birthDate::VARCHAR AS d
       FROM read_parquet('${path}')`,
    );
    expect(got).toEqual([
      { personId: "a", age: -2147483648, visits: String(2 ** 40 + 3), lifetimeValue: -0.25, isActive: false, ms: String(Date.UTC(2024, 4, 1, 1, 0, 0, 123)), d: "1970-01-01" },
      { personId: "b", age: 2147483647, visits: String(-(2 ** 53 - 1)), lifetimeValue: 1e300, isActive: true, ms: "-1", d: "1969-12-31" },
      { personId: "c", age: null, visits: String(Number.MAX_SAFE_INTEGER), lifetimeValue: null, isActive: null, ms: String(Date.UTC(1900, 1, 28, 23, 59, 59)), d: "2024-02-29" },
    ]);
  });

  it("round-trips nested maps of maps, identityMap, lists and non-ASCII strings", async () => {
    const path = tmpFile("nested");
    const rows = Array.from({ length: 50 }, (_, i) => profile(i));
    await writeFile(path, rows, PROFILE, { batchRows: 16 }, 7);
    const got = await query(
      `SELECT person, tags, identityMap, segmentMembership, scores FROM read_parquet('${path}')`,
    );
    expect(got).toHaveLength(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as Record<string, Json>;
      const segs = (row.segmentMembership as Record<string, Record<string, Json>>).ups as Record<string, Record<string, Json>>;
      expect(got[i], `row ${i}`).toEqual({
        person: row.person,
        tags: row.tags,
        scores: mapJson(row.scores as Record<string, Json>),
        identityMap: mapJson(row.identityMap as Record<string, Json>, (list) =>
          (list as JsonObject[]).map((e) => ({ id: e.id ?? null, authenticatedState: e.authenticatedState ?? null, primary: e.primary ?? null })),
        ),
        segmentMembership: [
          {
            key: "ups",
            value: mapJson(segs, (e) => {
              const entry = e as JsonObject;
              const ms = typeof entry.lastQualificationTime === "number" ? entry.lastQualificationTime : Date.parse(String(entry.lastQualificationTime));
              // DuckDB's JSON for TIMESTAMPTZ: `YYYY-MM-DD HH:MM:SS[.fff]+00`.
              const iso = new Date(ms).toISOString().replace("T", " ").replace(/\.000Z$/, "+00").replace(/Z$/, "+00");
              return { status: entry.status ?? null, lastQualificationTime: iso, version: entry.version ?? null, validUntil: null };
            }),
          },
        ],
      });
    }
    // Map lookups as a user would write them.
    const [lookup] = await query(
      `SELECT identityMap['ECID'][1].id AS ecid, identityMap['Phone'][2].id AS phone2, cardinality(identityMap) AS nIds,
              segmentMembership['ups']['seg-3'].status AS st, epoch_ms(segmentMembership['ups']['seg-3'].lastQualificationTime) AS lqt
       FROM read_parquet('${path}') WHERE personId = 'p00000003'`,
    );
    expect(lookup).toEqual({ ecid: "ecid-3", phone2: "+16663", nIds: "3", st: "realized", lqt: String(T0 + 3000) });
  });

  it("writes non-ASCII strings at every position, including map keys", async () => {
    const schema = object([["s", scalar("string")], ["m", map(scalar("string"))], ["l", array(scalar("string"))]]);
    const texts = ["Zoë", "Müller", "東京", "abcé", "é", "", "a😀b", "García Émile", "x".repeat(300) + "ü", "plain"];
    const rows: JsonObject[] = texts.map((s, i) => ({ s, m: { [s || "empty"]: s, [`k${i}`]: "東京" }, l: [s, "Zoë", s] }));
    const path = tmpFile("utf8");
    await writeFile(path, rows, schema);
    const got = await query(`SELECT s, m, l FROM read_parquet('${path}')`);
    expect(got).toEqual(rows.map((r) => ({ s: r.s, m: mapJson(r.m as Record<string, Json>), l: r.l })));
    const [len] = await query(`SELECT sum(strlen(s))::INTEGER AS bytes FROM read_parquet('${path}')`);
    expect(len?.bytes).toBe(texts.reduce((n, s) => n + Buffer.byteLength(s, "utf8"), 0));
  });

  it("keeps nulls at every level, empty lists and empty maps", async () => {
    const path = tmpFile("nulls");
    const rows: JsonObject[] = [
      {}, // every column missing
      {
        personId: null,
        person: { name: null },
        tags: [],
        scores: {},
        identityMap: {},
        segmentMembership: {},
      },
      {
        person: { name: { firstName: null } },
        tags: [null as unknown as Json, "x"],
        scores: { a: null },
        identityMap: { ECID: null, Email: [], Phone: [null, { id: null, primary: null }] } as unknown as JsonObject,
        segmentMembership: { ups: null, other: {}, x: { s: null, t: { status: null, lastQualificationTime: null } } } as unknown as JsonObject,
      },
    ];
    await writeFile(path, rows);
    const got = await query(
      `SELECT personId, person, tags, scores, identityMap, segmentMembership, createdAt, birthDate, visits FROM read_parquet('${path}')`,
    );
    expect(got).toEqual([
      { personId: null, person: null, tags: null, scores: null, identityMap: null, segmentMembership: null, createdAt: null, birthDate: null, visits: null },
      { personId: null, person: { name: null, age: null }, tags: [], scores: [], identityMap: [], segmentMembership: [], createdAt: null, birthDate: null, visits: null },
      {
        personId: null,
        person: { name: { firstName: null, lastName: null }, age: null },
        tags: [null, "x"],
        scores: [{ key: "a", value: null }],
        identityMap: [
          { key: "ECID", value: null },
          { key: "Email", value: [] },
          { key: "Phone", value: [null, { id: null, authenticatedState: null, primary: null }] },
        ],
        segmentMembership: [
          { key: "ups", value: null },
          { key: "other", value: [] },
          {
            key: "x",
            value: [
              { key: "s", value: null },
              { key: "t", value: { status: null, lastQualificationTime: null, version: null, validUntil: null } },
            ],
          },
        ],
        createdAt: null,
        birthDate: null,
        visits: null,
      },
    ]);
    const [counts] = await query(
      `SELECT count(*) FILTER (WHERE tags IS NULL)::INTEGER AS nullTags, count(*) FILTER (WHERE len(tags) = 0)::INTEGER AS emptyTags,
              count(*) FILTER (WHERE cardinality(identityMap) = 0)::INTEGER AS emptyMaps FROM read_parquet('${path}')`,
    );
    expect(counts).toEqual({ nullTags: 1, emptyTags: 1, emptyMaps: 1 });
  });

  it("writes a valid zero-row file with the full schema", async () => {
    const path = tmpFile("empty");
    const w = await ParquetFileWriter.open(path, PROFILE);
    await w.write([]);
    const res = await w.close();
    expect(res.rows).toBe(0);
    expect(res.bytes).toBe((await readFile(path)).length);
    expect(await describeTypes(path)).toEqual(EXPECTED_TYPES);
    const [c] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${path}')`);
    expect(c?.n).toBe(0);
  });

  it("streams a multi-batch file: 120k rows in 50k batches and 100k row groups", async () => {
    const path = tmpFile("multi");
    const w = await ParquetFileWriter.open(path, PROFILE, { batchRows: 50_000, rowGroupSize: 100_000 });
    const N = 120_000;
    const chunk = 7_001; // not a divisor of batchRows: exercises the row buffer
    for (let i = 0; i < N; i += chunk) {
      await w.write(Array.from({ length: Math.min(chunk, N - i) }, (_, j) => profile(i + j)));
    }
    const res = await w.close();
    expect(res.rows).toBe(N);
    expect(res.bytes).toBe((await readFile(path)).length);
    const [c] = await query(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT personId)::INTEGER AS ids, sum(age)::BIGINT::VARCHAR AS ages,
              min(personId) AS first, max(personId) AS last FROM read_parquet('${path}')`,
    );
    let ages = 0;
    for (let i = 0; i < N; i++) ages += 18 + (i % 60);
    expect(c).toEqual({ n: N, ids: N, ages: String(ages), first: "p00000000", last: "p00119999" });
    const groups = await query(
      `SELECT row_group_id, any_value(row_group_num_rows)::INTEGER AS n FROM parquet_metadata('${path}') GROUP BY 1 ORDER BY 1`,
    );
    expect(groups.map((g) => g.n)).toEqual([100_000, 20_000]);
    const [last] = await query(
      `SELECT identityMap['ECID'][1].id AS ecid, segmentMembership['ups'] AS segs FROM read_parquet('${path}') WHERE personId = 'p00119999'`,
    );
    expect(last?.ecid).toBe("ecid-119999");
    expect((last?.segs as Json[]).length).toBe((119_999 % 4) + 1);
  });

  it("is deterministic: same rows and schema give byte-identical files, however the writes are chunked", async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => profile(i));
    const a = tmpFile("det-a");
    const b = tmpFile("det-b");
    await writeFile(a, rows, PROFILE, { batchRows: 1000 }, 1000);
    await writeFile(b, rows, PROFILE, { batchRows: 1000 }, 333);
    const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
    expect(ba.length).toBeGreaterThan(1000);
    expect(ba.equals(bb)).toBe(true);
  });

  it("takes rows as JSON text too, parsed when their batch is built: the same bytes as the objects", async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => profile(i));
    const a = tmpFile("text-a");
    const b = tmpFile("text-b");
    await writeFile(a, rows, PROFILE, { batchRows: 1000 }, 700);
    await writeFile(b, rows.map((r, i) => (i % 3 === 0 ? r : JSON.stringify(r))), PROFILE, { batchRows: 1000 }, 700);
    const [ba, bb] = await Promise.all([readFile(a), readFile(b)]);
    expect(ba.equals(bb)).toBe(true);
  });

  it("supports snappy and uncompressed", async () => {
    const rows = Array.from({ length: 500 }, (_, i) => profile(i));
    for (const compression of ["snappy", "uncompressed"] as const) {
      const path = tmpFile(compression);
      await writeFile(path, rows, PROFILE, { compression });
      const [m] = await query(`SELECT any_value(compression) AS c FROM parquet_metadata('${path}')`);
      expect(m?.c).toBe(compression.toUpperCase());
      const [c] = await query(`SELECT count(*)::INTEGER AS n FROM read_parquet('${path}')`);
      expect(c?.n).toBe(500);
    }
  });
  it.each([
    [{}, true, true],
    [{ dictionary: false, statistics: "chunk" }, false, true],
    [{ dictionary: false, statistics: "none" }, false, false],
  ] as const)("writes dictionaries and statistics as asked (%j), the same rows either way", async (options, dictionaries, stats) => {
    const rows = Array.from({ length: 500 }, (_, i) => profile(i));
    const path = tmpFile(`props-${String(dictionaries)}-${String(stats)}`);
    await writeFile(path, rows, PROFILE, options);
    const [m] = await query(
      `SELECT bool_or(dictionary_page_offset IS NOT NULL) AS dict, bool_or(stats_min_value IS NOT NULL) AS stats FROM parquet_metadata('${path}')`,
    );
    expect(m).toEqual({ dict: dictionaries, stats });
    const [c] = await query(`SELECT count(*)::INTEGER AS n, count(DISTINCT personId)::INTEGER AS ids FROM read_parquet('${path}')`);
    expect(c).toEqual({ n: 500, ids: 500 });
  });
  it("writes chunk statistics without the page statistics' column index (parquet_metadata shows both alike)", async () => {
    const rows = Array.from({ length: 500 }, (_, i) => profile(i));
    const [page, chunk] = [tmpFile("stats-page"), tmpFile("stats-chunk")];
    await writeFile(page, rows, PROFILE, { dictionary: false, statistics: "page" });
    await writeFile(chunk, rows, PROFILE, { dictionary: false, statistics: "chunk" });
    expect(statSync(chunk).size).toBeLessThan(statSync(page).size);
  });
});

describe("ParquetFileWriter errors and abort", () => {
  it("throws IO-W001 naming the column path and the row (counted across batches); abort() removes the file", async () => {
    const path = tmpFile("mismatch");
    const w = await ParquetFileWriter.open(path, PROFILE, { batchRows: 5 });
    await w.write([profile(0), profile(1), profile(2), profile(3), profile(4), profile(5)]);
    const bad = { ...profile(7), person: { name: { firstName: "A" }, age: "forty" } };
    const err = await w.write([profile(6), bad, profile(8), profile(9)]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ColumnTypeError);
    expect(err).toBeInstanceOf(ProfileLabError);
    const e = err as ColumnTypeError;
    expect(e.code).toBe("IO-W001");
    expect(e.column).toBe("person.age");
    expect(e.row).toBe(7);
    expect(e.message).toContain("person.age");
    expect(e.message).toContain("Row 7");
    expect(e.message).toContain('"forty"');
    // The writer is failed: further writes are refused, abort cleans up.
    await expect(w.write([profile(10)])).rejects.toThrow(/abort/);
    await expect(w.close()).rejects.toThrow();
    expect(existsSync(path)).toBe(true);
    await w.abort();
    expect(existsSync(path)).toBe(false);
    await w.abort(); // idempotent
  });

  it("reports the exact value path inside maps and lists", async () => {
    const path = tmpFile("mismatch-nested");
    const w = await ParquetFileWriter.open(path, PROFILE);
    const bad = profile(2);
    (bad.identityMap as Record<string, Json[]>).Email = [{ id: "x" }, { id: "y", primary: "yes" }];
    await w.write([profile(0), profile(1), bad]);
    const err = await w.close().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ColumnTypeError);
    const e = err as ColumnTypeError;
    expect(e.code).toBe("IO-W001");
    expect(e.column).toBe("identityMap{}[].primary");
    expect(e.valuePath).toBe("identityMap.Email[1].primary");
    expect(e.row).toBe(2);
    await w.abort();
    expect(existsSync(path)).toBe(false);
  });

  it("abort() mid-stream removes the partial file", async () => {
    const path = tmpFile("abort");
    const w = await ParquetFileWriter.open(path, PROFILE, { batchRows: 1000, rowGroupSize: 1000 });
    await w.write(Array.from({ length: 5500 }, (_, i) => profile(i)));
    await w.abort();
    expect(existsSync(path)).toBe(false);
    await expect(w.write([profile(1)])).rejects.toThrow(/aborted/);
  });

  it("reports IO-W003 when the file cannot be created", async () => {
    await expect(ParquetFileWriter.open(join(dir, "no-such-dir", "x.parquet"), PROFILE)).rejects.toMatchObject({
      code: "IO-W003",
      message: expect.stringContaining("ENOENT"),
    });
  });

  it("refuses writes after close with IO-W002", async () => {
    const w = await ParquetFileWriter.open(tmpFile("after-close"), PROFILE);
    await w.close();
    await expect(w.write([profile(1)])).rejects.toMatchObject({ code: "IO-W002" });
    await expect(w.close()).rejects.toMatchObject({ code: "IO-W002" });
  });

  it("abort() after a successful close keeps the complete file", async () => {
    const path = tmpFile("closed");
    const w = await ParquetFileWriter.open(path, PROFILE);
    await w.write([profile(1)]);
    await w.close();
    await w.abort();
    expect(existsSync(path)).toBe(true);
  });
});
