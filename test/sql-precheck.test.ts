/**
 * The SQL pre-check of Parquet data files (src/engine/sql-precheck.ts): a file DuckDB clears is not read in
 * JavaScript (validateSources counts it in `bySql`; a module spy would not see it: the suite does not isolate modules); a file with a bad row is, so the error is the JavaScript path's, code, message, file, row and JSON path;
 * and, over random rows (valid and mutated) of every XDM kind and constraint written as Parquet in several column
 * types, no row the JavaScript validation refuses is cleared by SQL.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataFiles } from "../src/engine/data-files.js";
import { toFragment } from "../src/engine/load-data.js";
import { openSandbox } from "../src/engine/sandbox.js";
import { parquetRowTest } from "../src/engine/sql-precheck.js";
import { validateSources } from "../src/engine/validate-sources.js";
import { readParquetRows } from "../src/io/parquet-reader.js";
import { EngineSession } from "../src/sql/jobs/engine-session.js";
import { ProfileLabError } from "../src/xdm/errors.js";
import { IDENTITY_MAP_SCHEMA } from "./helpers/sandbox.js";
import { thrownLocated } from "./helpers/thrown.js";
import { rng } from "./pql/fixtures.js";

const PROPERTIES = {
  _id: { type: "string" },
  identityMap: IDENTITY_MAP_SCHEMA,
  timestamp: { type: "string", format: "date-time" },
  gender: { type: "string", enum: ["male", "female", "Ab"] },
  code: { type: "string", minLength: 2, maxLength: 3 },
  pat: { type: "string", pattern: "^[A-Z]\\d+$" },
  pat2: { type: "string", pattern: "(?i)a.c$" },
  email: { type: "string", format: "email" },
  site: { type: "string", format: "uri" },
  link: { type: "string", format: "uri-reference" },
  birthYear: { type: "integer", "meta:xdmType": "int" },
  visits: { type: "integer" },
  floor: { type: "integer", "meta:xdmType": "short" },
  age: { type: "integer", "meta:xdmType": "byte", minimum: 0 },
  rating: { type: "number", minimum: 0.5, maximum: 5 },
  level: { type: "number", enum: [1, 2.5] },
  score: { type: "number" },
  member: { type: "boolean" },
  yes: { type: "boolean", enum: [true] },
  seen: { type: "string", format: "date-time" },
  born: { type: "string", format: "date" },
  tags: { type: "array", items: { type: "string", enum: ["a", "b"] } },
  counts: { type: "object", "meta:xdmType": "map", additionalProperties: { type: "integer", "meta:xdmType": "int" } },
  person: { type: "object", properties: { name: { type: "object", properties: { firstName: { type: "string" } } }, since: { type: "string", format: "date" } } },
};

let scratch = "";
let session: EngineSession;
beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "profile-lab-sql-precheck-"));
  session = await EngineSession.open({ tempDir: join(scratch, "duckdb") }, () => undefined);
});
afterAll(() => {
  session?.close();
  rmSync(scratch, { recursive: true, force: true });
});

let sandboxes = 0;

/** A sandbox with one dataset (`kind`, primary namespace CRMID) whose files are these Parquet files, written by DuckDB from these SELECTs. */
async function sandboxOf(kind: "profile" | "event", selects: readonly string[]): Promise<string> {
  const dir = join(scratch, `sandbox-${++sandboxes}`);
  mkdirSync(join(dir, "schemas"), { recursive: true });
  mkdirSync(join(dir, "datasets"));
  const cls = kind === "event" ? "https://ns.adobe.com/xdm/context/experienceevent" : "https://ns.adobe.com/xdm/context/profile";
  writeFileSync(join(dir, "schemas/s.schema.json"), JSON.stringify({ $id: "https://example.com/s", title: "s", type: "object", "meta:class": cls, properties: PROPERTIES }));
  const files = selects.map((_, i) => `datasets/part-${i}.parquet`);
  for (const [i, select] of selects.entries()) await session.run(`COPY (${select}) TO '${join(dir, files[i]!)}' (FORMAT parquet)`);
  const dataset = { id: "ds", name: "data", schemaRef: { id: "https://example.com/s" }, files, primaryIdentityNamespace: "CRMID" };
  writeFileSync(join(dir, "sandbox.json"), JSON.stringify({ name: "t", imsOrgId: "T@AdobeOrg", datasets: [dataset] }));
  return dir;
}

const validate = (dir: string, sql: boolean) => validateSources(openSandbox(dir, { segments: false }), { workers: 1, cache: false, ...(sql ? { sql: session } : {}) });

const GOOD = "{'CRMID': [{'id': 'c1', 'primary': true}]}";
const INGEST = "{'ingestTime': TIMESTAMPTZ '2024-05-01 00:00:00+00'}";

/** A profile row: a valid one, with `fields` (SQL expressions by column) added or replacing its own. */
function profileRow(fields: Record<string, string> = {}): string {
  const row: Record<string, string> = { _id: "'r1'", identityMap: `MAP ${GOOD}`, _acp_system_metadata: INGEST, gender: "'female'", ...fields };
  return Object.entries(row).map(([k, v]) => `${v} AS "${k}"`).join(", ");
}

/** A file of a valid row then the bad one (a column only the bad row has is NULL in the valid one). */
const validThen = (bad: Record<string, string>): string => `SELECT ${profileRow()} UNION ALL BY NAME SELECT ${profileRow(bad)}`;

describe("a file with a bad row is validated in JavaScript, with the JavaScript path's error", () => {
  it.each([
    ["a field not in the schema, nested", { person: "{'name': {'firstName': 'Ada', 'nickname': 'A'}}::STRUCT(name STRUCT(firstName VARCHAR, nickname VARCHAR))" }],
    ["a number given as a string", { birthYear: "'1980'" }],
    ["an integer given as a fraction", { birthYear: "4.5::DOUBLE" }],
    ["a value outside the enum", { gender: "'robot'" }],
    ["a birthYear no int holds", { birthYear: "3000000000::BIGINT" }],
    ["a long beyond 2^53", { visits: "9007199254740992::BIGINT" }],
    ["a short beyond its range", { floor: "32768::BIGINT" }],
    ["a byte below its minimum", { age: "-1::BIGINT" }],
    ["a number below its minimum", { rating: "0.25::DOUBLE" }],
    ["a number not in its enum", { level: "2::DOUBLE" }],
    ["a string below minLength", { code: "'A'" }],
    ["a string above maxLength (code points)", { code: "'A😀😀😀'" }],
    ["a string below minLength once the reader drops its leading U+FEFF", { code: "chr(65279) || 'A'" }],
    ["a repeated identity namespace once the reader drops a leading U+FEFF", { identityMap: "MAP {'ECID': [{'id': 'e1', 'primary': true}], chr(65279) || 'ECID': [{'id': 'e2', 'primary': false}, {'id': 'e3', 'primary': false}]}" }],
    ["a string not matching the pattern", { pat: "'a12'" }],
    ["an email with two @", { email: "'a@b@c'" }],
    ["an email with a 65-character local part", { email: `'${"a".repeat(65)}@example.com'` }],
    ["a URI without scheme", { site: "'example.com/a'" }],
    ["a URI with a space", { site: "'https://example.com/a b'" }],
    ["a URI reference with a bad escape", { link: "'a%zz'" }],
    ["an impossible date", { born: "'1981-02-29'" }],
    ["an impossible date-time", { seen: "'2018-02-30T00:00:00Z'" }],
    ["a date given as an instant", { born: "TIMESTAMPTZ '2020-01-01 00:00:00+00'" }],
    ["a tag outside the items' enum", { tags: "['a', 'c']" }],
    ["a null list item", { tags: "['a', NULL]" }],
    ["a map value no int holds", { counts: "MAP {'k': 3000000000::BIGINT}" }],
    ["no primary identity", { identityMap: "MAP {'ECID': [{'id': 'a', 'primary': false}, {'id': 'b', 'primary': false}]}" }],
    ["no identityMap", { identityMap: "NULL::MAP(VARCHAR, STRUCT(id VARCHAR, \"primary\" BOOLEAN)[])" }],
    ["no ingestion time", { _acp_system_metadata: "{'ingestTime': NULL::TIMESTAMPTZ}" }],
    ["an ingestion time that is no timestamp", { _acp_system_metadata: "{'ingestTime': 'yesterday'}" }],
    ["an instant past year 9999", { seen: "TIMESTAMPTZ '12000-01-01 00:00:00+00'" }],
    ["a column the schema does not have", { nickname: "'A'" }],
    // Alone in its file: next to a valid row, DuckDB would make the ids text.
    ["an identity id that is a number", { identityMap: "MAP {'CRMID': [{'id': 7, 'primary': true}]}" }, true],
  ])("%s", async (_, bad, alone = false) => {
    const dir = await sandboxOf("profile", [alone ? `SELECT ${profileRow(bad)}` : validThen(bad)]);
    const js = await thrownLocated(() => validate(dir, false));
    expect(js).toMatchObject({ code: expect.stringMatching(/^IO-/) });
    expect(await thrownLocated(() => validate(dir, true))).toEqual(js);
  });

  it.each([
    ["no _id", "NULL::VARCHAR", "TIMESTAMPTZ '2024-05-01 00:00:00+00'"],
    ["no timestamp", "'e1'", "NULL::TIMESTAMPTZ"],
    ["a timestamp that is no date-time", "'e1'", "'soon'"],
  ])("an event with %s", async (_, id, timestamp) => {
    const good = `SELECT 'e0' AS _id, TIMESTAMPTZ '2024-05-01 00:00:00+00' AS "timestamp", MAP ${GOOD} AS "identityMap", ${INGEST} AS _acp_system_metadata`;
    const dir = await sandboxOf("event", [`${good} UNION ALL BY NAME SELECT ${id} AS _id, ${timestamp} AS "timestamp", MAP ${GOOD} AS "identityMap", ${INGEST} AS _acp_system_metadata`]);
    const js = await thrownLocated(() => validate(dir, false));
    expect(js).toMatchObject({ code: "IO-D001" });
    expect(await thrownLocated(() => validate(dir, true))).toEqual(js);
  });

  it("a clean file before a bad one: the error with SQL checking first is the same as JavaScript's alone", async () => {
    const dir = await sandboxOf("profile", [`SELECT ${profileRow()}`, validThen({ gender: "'robot'" })]);
    const js = await thrownLocated(() => validate(dir, false));
    expect(await thrownLocated(() => validate(dir, true))).toEqual(js);
  });
});

describe("a clean file", () => {
  it("is cleared by SQL and not read in JavaScript", async () => {
    const all = profileRow({
      code: "'A😀'", pat: "'B12'", pat2: "'xAbC'", email: "'first.last+tag@mail.example.com'", site: "'https://example.com/a%20b?q=1#f'", link: "'../a/b?c'",
      birthYear: "-2147483648::BIGINT", visits: "9007199254740991::BIGINT", floor: "32767::INTEGER", age: "127::TINYINT", rating: "5::FLOAT", level: "2.5::DOUBLE",
      member: "false", yes: "true", seen: "'2024-02-29t23:59:60.123456789+05:30'", born: "DATE '2024-02-29'", tags: "['a', 'b']", counts: "MAP {'k': 1, 'n': NULL}",
      person: "{'name': {'firstName': NULL}, 'since': '0001-01-01'}",
    });
    const dir = await sandboxOf("profile", [`SELECT ${all}`, `SELECT ${profileRow({ identityMap: "MAP {'crmid': [{'id': 'c1', 'primary': NULL}]}", _acp_system_metadata: "{'ingestTime': 1714521600000}" })}`]);
    // bySql counts the files recorded clean on the SQL check alone, skipping the JavaScript reading.
    expect(await validate(dir, true)).toMatchObject({ validated: 2, bySql: 2, rows: 2 });
    expect(await validate(dir, false)).toMatchObject({ validated: 2, bySql: 0, rows: 2 });
  });

  it("holding a type the reader does not convert (a decimal) is read in JavaScript, with its error", async () => {
    const dir = await sandboxOf("profile", [`SELECT ${profileRow({ score: "1.5::DECIMAL(4,1)" })}`]);
    const js = await thrownLocated(() => validate(dir, false));
    expect(js).toMatchObject({ code: "IO-P002" });
    expect(await thrownLocated(() => validate(dir, true))).toEqual(js);
  });
});

// ------------------------------------------------------------------------------------------ random rows

type Gen = (r: () => number) => string;
const META = "_acp_system_metadata";
const pick = <T,>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

// Combining marks and joiners: lengths count code points, not what a reader sees as one character.
const CHARS = ["a", "b", "c", "A", "Z", "0", "9", "@", ".", "%", "2", "F", "-", ":", "/", " ", "é", "😀", "\n", "[", "]", "_", "+", "T", "Z", "z", "t", "\u0301", "\u200d", "\ufeff"];
/** A seed string mutated: a character inserted, removed or replaced, or not. */
function mutated(r: () => number, seed: string): string {
  const cps = [...seed];
  const at = Math.floor(r() * (cps.length + 1));
  const roll = r();
  if (roll < 0.4) return seed;
  if (roll < 0.6) cps.splice(at, 0, pick(r, CHARS));
  else if (roll < 0.8) cps.splice(at, 1);
  else cps[Math.min(at, cps.length - 1)] = pick(r, CHARS);
  return cps.join("");
}
const text = (seeds: readonly string[]): Gen => (r) => q(r() < 0.15 ? Array.from({ length: Math.floor(r() * 5) }, () => pick(r, CHARS)).join("") : mutated(r, pick(r, seeds)));

const DATE_TIMES = ["2024-02-29T10:00:00Z", "2023-02-29T10:00:00Z", "2024-04-31T00:00:00+00:00", "2023-02-28T23:59:60.5+05:30", "2024-01-01t00:00:00.123456789-0530", "0001-01-01T00:00:00Z", "9999-12-31 23:59:59Z", "2024-12-31T24:00:00Z", "2024-05-01"];
const INTS = [0, 1, -1, 127, 128, -128, 32767, 32768, 2147483647, 2147483648, -2147483648, -2147483649, 9007199254740991, 9007199254740992, -9007199254740993];
const int: Gen = (r) => (r() < 0.7 ? String(pick(r, INTS)) : String(Math.floor((r() - 0.5) * 1e6)));
const double: Gen = (r) => `'${pick(r, ["0.5", "0.49999", "5", "5.0000001", "1", "2.5", "nan", "inf", "-inf", "-0.0", "1e300", String(r() * 10)])}'::DOUBLE`;
/** Instants around the years 1 and 9999 and in between. */
const instant: Gen = (r) => `make_timestamp(${BigInt(Math.round(pick(r, [-62135596800000, -62135596800001, 253402300799999, 253402300800000, 0, (r() - 0.3) * 4e14]))) * 1000n}::BIGINT)::TIMESTAMPTZ`;
const date: Gen = (r) => `(DATE '1970-01-01' + ${pick(r, [-719162, -719163, 2932896, 2932897, Math.floor((r() - 0.5) * 40000)])}::INTEGER)`;
const nullable = (g: Gen, type: string): Gen => (r) => (r() < 0.1 ? `NULL::${type}` : `(${g(r)})::${type}`);

/** A valid ingestion time for each type of `_acp_system_metadata` below. */
const INGEST_OF: Readonly<Record<string, string>> = {
  "STRUCT(ingestTime TIMESTAMPTZ)": "TIMESTAMPTZ '2024-05-01 00:00:00+00'",
  "STRUCT(ingestTime VARCHAR, batch TIMESTAMP)": "'2024-05-01T00:00:00Z'",
  "STRUCT(ingestTime DOUBLE)": "1714521600000",
};

/** Columns of a variant: name, DuckDB type, generator. */
type Variant = ReadonlyArray<readonly [string, string, Gen]>;

const IDENTITY_MAPS = [
  GOOD, "{'CRMID': [{'id': 'c1', 'primary': NULL}]}", "{'crmid': [{'id': 'c1', 'primary': false}, {'id': 'c2', 'primary': false}]}", "{'ECID': [{'id': 'e1', 'primary': false}]}",
  "{'ECID': [{'id': 'e1', 'primary': false}, {'id': 'e2', 'primary': false}]}", "{'ECID': [{'id': NULL, 'primary': true}, {'id': 'e2', 'primary': false}]}", "{}",
  "{'ECID': [NULL]}", "{'__proto__': [{'id': 'x', 'primary': true}]}", "{'ECID': NULL, 'Email': [{'id': 'm', 'primary': false}]}", "{'CRMİD': [{'id': 'c', 'primary': false}, {'id': 'd', 'primary': false}]}",
  "{'ECID': [{'id': 'e1', 'primary': true}], '\ufeffECID': [{'id': 'e2', 'primary': false}, {'id': 'e3', 'primary': false}]}", "{'\ufeff__proto__': [{'id': 'x', 'primary': true}]}",
];
const identityMap: Gen = (r) => (r() < 0.05 ? "NULL" : `MAP ${pick(r, IDENTITY_MAPS)}`);
const IDENTITY_TYPE = 'MAP(VARCHAR, STRUCT(id VARCHAR, "primary" BOOLEAN)[])';

const COMMON: Variant = [
  ["identityMap", IDENTITY_TYPE, identityMap],
  ["gender", "VARCHAR", nullable(text(["male", "female", "Ab", "ab"]), "VARCHAR")],
  ["code", "VARCHAR", nullable(text(["AB", "A😀", "ABC", "😀😀😀", "e\u0301", "e\u0301e\u0301", "\ufeffA"]), "VARCHAR")],
  ["pat", "VARCHAR", nullable(text(["B12", "Z9", "A1\n"]), "VARCHAR")],
  ["pat2", "VARCHAR", nullable(text(["abc", "xA\nc", "AbC", "a😀c"]), "VARCHAR")],
  ["email", "VARCHAR", nullable(text(["a@b", "a.b@c-d.e", "a@[1.2.3.4]", "a@[1.2.3.256]", "a@b..c", "a@-b", `${"x".repeat(64)}@b`, `${"x".repeat(65)}@b`, `a@${"b.".repeat(126)}c`, "a@b.c-", `a@${"b".repeat(63)}`]), "VARCHAR")],
  ["site", "VARCHAR", nullable(text(["https://e.com/a%20b?q=1#f", "a+b.c:x", "1a:b", "h:%4"]), "VARCHAR")],
  ["link", "VARCHAR", nullable(text(["../a/b?c", "%41%4", "a[b]"]), "VARCHAR")],
  ["tags", "VARCHAR[]", (r) => (r() < 0.2 ? "NULL" : `[${Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.1 ? "NULL" : q(pick(r, ["a", "b", "c"])))).join(", ")}]::VARCHAR[]`)],
  ["counts", "MAP(VARCHAR, BIGINT)", (r) => (r() < 0.2 ? "NULL" : `MAP {${Array.from({ length: Math.floor(r() * 3) }, (_, i) => `'k${i}': ${r() < 0.2 ? "NULL" : int(r)}`).join(", ")}}::MAP(VARCHAR, BIGINT)`)],
];

const VARIANTS: Readonly<Record<string, Variant>> = {
  natural: [
    ...COMMON,
    ["_acp_system_metadata", "STRUCT(ingestTime TIMESTAMPTZ)", (r) => `{'ingestTime': ${nullable(instant, "TIMESTAMPTZ")(r)}}`],
    ["birthYear", "BIGINT", nullable(int, "BIGINT")], ["visits", "BIGINT", nullable(int, "BIGINT")], ["floor", "INTEGER", nullable((r) => String(pick(r, [32767, -32768, 32768, 0])), "INTEGER")],
    ["age", "BIGINT", nullable(int, "BIGINT")], ["rating", "DOUBLE", nullable(double, "DOUBLE")], ["level", "DOUBLE", nullable(double, "DOUBLE")], ["score", "FLOAT", nullable((r) => `'${pick(r, ["0.5", "nan", "-inf", "3.4e38"])}'::FLOAT`, "FLOAT")],
    ["member", "BOOLEAN", nullable((r) => String(r() < 0.5), "BOOLEAN")], ["yes", "BOOLEAN", nullable((r) => String(r() < 0.5), "BOOLEAN")],
    ["seen", "TIMESTAMPTZ", nullable(instant, "TIMESTAMPTZ")], ["born", "DATE", nullable(date, "DATE")],
    ["person", "STRUCT(name STRUCT(firstName VARCHAR), since DATE)", (r) => (r() < 0.2 ? "NULL" : `{'name': {'firstName': ${nullable(text(["Ada"]), "VARCHAR")(r)}}, 'since': ${nullable(date, "DATE")(r)}}`)],
  ],
  texts: [
    ...COMMON,
    ["_acp_system_metadata", "STRUCT(ingestTime VARCHAR, batch TIMESTAMP)", (r) => `{'ingestTime': ${nullable(text(DATE_TIMES), "VARCHAR")(r)}, 'batch': ${nullable(instant, "TIMESTAMP")(r)}}`],
    ["birthYear", "VARCHAR", nullable(text(["1980"]), "VARCHAR")], ["visits", "DOUBLE", nullable(double, "DOUBLE")], ["rating", "BIGINT", nullable(int, "BIGINT")], ["level", "BIGINT", nullable(int, "BIGINT")],
    ["member", "VARCHAR", nullable(text(["true"]), "VARCHAR")], ["seen", "VARCHAR", nullable(text(DATE_TIMES), "VARCHAR")], ["born", "VARCHAR", nullable(text(["2024-02-29", "2023-02-29", "0000-01-01", "2024-1-01"]), "VARCHAR")],
    ["person", "MAP(VARCHAR, VARCHAR)", (r) => (r() < 0.5 ? "NULL" : "MAP {'since': '2024-01-01'}")],
  ],
  numbers: [
    ...COMMON,
    ["_acp_system_metadata", "STRUCT(ingestTime DOUBLE)", (r) => `{'ingestTime': ${nullable(double, "DOUBLE")(r)}}`],
    ["birthYear", "DOUBLE", nullable(double, "DOUBLE")], ["seen", "BIGINT", nullable(int, "BIGINT")], ["born", "TIMESTAMP", nullable(instant, "TIMESTAMP")], ["score", "BIGINT", nullable(int, "BIGINT")],
    ["floor", "UBIGINT", nullable((r) => String(pick(r, [0, 32767, 32768])), "UBIGINT")], ["yes", "VARCHAR", nullable(text(["true"]), "VARCHAR")],
  ],
};

describe("random rows of every kind and constraint, as Parquet", () => {
  it.each(Object.keys(VARIANTS).flatMap((variant) => [1, 2, 3].map((seed) => [variant, seed] as const)))(
    "SQL flags every row the JavaScript validation refuses (%s, seed %i)",
    async (variant, seed) => {
      const r = rng(seed * 7919 + variant.length);
      const columns = VARIANTS[variant]!;
      // One column random in a row (the identityMap and the ingestion time, required, are valid otherwise), so that
      // a refused row fails for that column's reason alone, and SQL must see that reason.
      const rows = Array.from({ length: 400 }, () => {
        const [chosen] = pick(r, columns);
        const value = (name: string, type: string, gen: Gen): string =>
          name === chosen ? gen(r) : name === "identityMap" ? `MAP ${GOOD}` : name === META ? `{'ingestTime': ${INGEST_OF[type]}}` : `NULL::${type}`;
        return `SELECT ${columns.map(([name, type, gen]) => `CAST(${value(name, type, gen)} AS ${type}) AS "${name}"`).join(", ")}`;
      });
      const dir = await sandboxOf("profile", [rows.join(" UNION ALL ")]);
      const file = dataFiles(openSandbox(dir, { segments: false }))[0]!;
      const ok = await parquetRowTest(session, file);
      expect(ok).toBeDefined();
      const flagged = new Set(
        (await session.rows(`SELECT file_row_number + 1 AS pl_row FROM read_parquet('${file.path}', file_row_number = true) WHERE NOT ${ok}`)).map((x) => Number(x["pl_row"])),
      );
      const refused: number[] = [];
      let unreadable = false;
      try {
        for await (const { line, value } of readParquetRows(file.path)) {
          try {
            toFragment(file.dataset, value, file.rel, line, 0);
          } catch (e) {
            if (!(e instanceof ProfileLabError)) throw e;
            refused.push(line);
          }
        }
      } catch (e) {
        if (!(e instanceof ProfileLabError)) throw e;
        unreadable = true;
      }
      expect(refused.filter((row) => !flagged.has(row))).toEqual([]);
      if (unreadable) expect(flagged.size).toBeGreaterThan(0);
      // Not vacuous: some rows pass both, some fail.
      expect(refused.length + (unreadable ? 1 : 0)).toBeGreaterThan(0);
      if (!unreadable) expect(rows.length - flagged.size).toBeGreaterThan(0);
    },
    60_000,
  );
});
