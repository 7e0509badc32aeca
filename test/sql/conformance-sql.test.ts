/**
 * The conformance corpus (test/pql/cases/*.json) on DuckDB: every case with a result is compiled to SQL, run in
 * an in-memory DuckDB against a one-row table built from the case's profile, events, clock and segments (typed
 * by TEST_SCHEMA, plus the types of data fields the schema does not have), and must give the value the closure
 * compiler gives. A case the SQL back end refuses with a coded error must be listed, with that code, in
 * known-gaps.json; the list is exact, so a gap that closes or a new refusal fails the test, and a wrong value is
 * never a gap.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkPqlStructure } from "../../src/pql/checker.js";
import { compilePql, compilePqlValue, parsePql, type PqlSchema } from "../../src/pql/index.js";
import { compilePqlPredicateToSql, compilePqlToSql, DUCKDB, fromDuckDbJson, profileRowSql, SqlCompileError } from "../../src/sql/index.js";
import { BOOLEAN, type SqlType } from "../../src/sql/types.js";
import { parseDateTime } from "../../src/xdm/time.js";
import type { Json, JsonObject } from "../../src/xdm/types.js";
import { array, object, scalar, type XdmObject, type XdmType } from "../../src/xdm/xdm-type.js";
import { TEST_SCHEMA } from "../pql/fixtures.js";

interface Case {
  readonly expr: string;
  readonly result?: Json;
  readonly error?: string;
  readonly profile?: JsonObject;
  readonly events?: JsonObject[];
  readonly now?: string;
  readonly segments?: string[];
}

interface CaseFile {
  readonly profile?: JsonObject;
  readonly events?: JsonObject[];
  readonly now?: string;
  readonly segments?: string[];
  readonly cases: Case[];
}

const DIR = fileURLToPath(new URL("../pql/cases/", import.meta.url));
const DEFAULT_NOW = "2018-08-28T10:00:00Z";
const GAPS = JSON.parse(readFileSync(fileURLToPath(new URL("./known-gaps.json", import.meta.url)), "utf8")) as {
  readonly gaps: Readonly<Record<string, Readonly<Record<string, string>>>>;
};
/** "file#index" → the error code the SQL back end must refuse the case with. */
const gapCodes = new Map<string, string>();
for (const family of Object.values(GAPS.gaps)) for (const [key, code] of Object.entries(family)) gapCodes.set(key.replace(/ .*$/, ""), code);

const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort();
const cases = files.flatMap((file) => {
  const data = JSON.parse(readFileSync(`${DIR}${file}`, "utf8")) as CaseFile;
  return data.cases.flatMap((c, i) => (c.result === undefined ? [] : [{ file, i, key: `${file}#${i}`, data, c }]));
});

// ------------------------------------------------------------------ the case's schema

/** The XDM type of a JSON value (numbers: long when whole, else double; null: unknown). */
function inferType(v: Json): XdmType | undefined {
  if (v === null) return undefined;
  if (typeof v === "string") return scalar("string");
  if (typeof v === "boolean") return scalar("boolean");
  if (typeof v === "number") return scalar(Number.isInteger(v) ? "long" : "double");
  if (Array.isArray(v)) {
    let items: XdmType | undefined;
    for (const x of v) items = mergeType(items, inferType(x));
    return array(items ?? scalar("string"));
  }
  return object(Object.entries(v).flatMap(([k, x]) => {
    const t = inferType(x);
    return t === undefined ? [] : [[k, t] as const];
  }));
}

/** `a` with what `b` adds: `a` wins where both have a type, except that long and double make double. */
function mergeType(a: XdmType | undefined, b: XdmType | undefined): XdmType | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (a.kind === "object" && b.kind === "object") {
    const fields = new Map(a.fields);
    for (const [k, t] of b.fields) fields.set(k, mergeType(fields.get(k), t) as XdmType);
    return object(fields);
  }
  if (a.kind === "array" && b.kind === "array") return array(mergeType(a.items, b.items) as XdmType);
  if ((a.kind === "long" && b.kind === "double") || (a.kind === "double" && b.kind === "long")) return scalar("double");
  return a;
}

function schemaFor(profile: JsonObject, events: readonly JsonObject[]): PqlSchema {
  let event: XdmType | undefined = TEST_SCHEMA.event;
  for (const e of events) event = mergeType(event, inferType(e));
  return { profile: mergeType(TEST_SCHEMA.profile, inferType(profile)) as XdmObject, event: event as XdmObject };
}

// ------------------------------------------------------------------ running a case

let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  connection = await instance.connect();
  for (const statement of DUCKDB.prelude()) await connection.run(statement);
});

afterAll(() => {
  connection.closeSync();
  instance.closeSync();
});

type Outcome = { kind: "value"; value: Json; sql: string } | { kind: "refused"; code: string; message: string };

async function runSql(data: CaseFile, c: Case): Promise<Outcome> {
  const ast = parsePql(c.expr, "case.pql");
  const profile = c.profile ?? data.profile ?? {};
  const events = c.events ?? data.events ?? [];
  const now = parseDateTime(c.now ?? data.now ?? DEFAULT_NOW) as number;
  const schema = schemaFor(profile, events);
  let sql: string;
  let type: SqlType;
  try {
    const options = { schema, now, dialect: DUCKDB, text: c.expr };
    if (typeof c.result === "boolean") {
      sql = compilePqlPredicateToSql(ast, options);
      type = BOOLEAN;
    } else ({ sql, type } = compilePqlToSql(ast, options));
  } catch (e) {
    if (e instanceof SqlCompileError) return { kind: "refused", code: e.code, message: e.message };
    throw e;
  }
  const row = profileRowSql(schema, DUCKDB, profile, events, c.segments ?? data.segments ?? []);
  const query = `SELECT ${sql} AS result FROM (${row}) AS profile`;
  let rows: Record<string, unknown>[];
  try {
    rows = (await connection.runAndReadAll(query)).getRowObjectsJson() as Record<string, unknown>[];
  } catch (e) {
    throw new Error(`DuckDB rejected the SQL of ${c.expr}:\n${sql}\n${e instanceof Error ? e.message : String(e)}`);
  }
  return { kind: "value", value: fromDuckDbJson(rows[0]?.["result"], type), sql };
}

function runClosure(data: CaseFile, c: Case): Json {
  const ast = parsePql(c.expr, "case.pql");
  const errors = checkPqlStructure(ast, c.expr, "case.pql");
  if (errors[0] !== undefined) throw errors[0];
  const segments = new Set(c.segments ?? data.segments ?? []);
  const ctx = {
    profile: c.profile ?? data.profile ?? {},
    events: c.events ?? data.events ?? [],
    now: parseDateTime(c.now ?? data.now ?? DEFAULT_NOW) as number,
    inSegment: (ref: string) => segments.has(ref),
  };
  return typeof c.result === "boolean" ? compilePql(ast)(ctx) : compilePqlValue(ast)(ctx);
}

/** Timestamps written differently but meaning the same instant are the same value; objects hold no nulls. */
function normalise(v: Json): Json {
  if (typeof v === "string") {
    const ms = v.length >= 20 ? parseDateTime(v) : undefined;
    return ms === undefined ? v : new Date(ms).toISOString();
  }
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === "object") {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = normalise(x);
    return out;
  }
  return v;
}

describe("the conformance corpus on DuckDB gives the closure compiler's values", () => {
  it("runs every result case of the corpus", () => {
    expect(cases.length).toBeGreaterThanOrEqual(500);
  });

  it.each(cases.map((k) => ({ ...k, name: `${k.key} ${k.c.expr.replace(/\s+/g, " ")}` })))("$name", async ({ key, data, c }) => {
    const expected = runClosure(data, c);
    const outcome = await runSql(data, c);
    const gap = gapCodes.get(key);
    if (gap !== undefined) {
      expect(outcome.kind === "refused" ? outcome.code : `compiled: ${JSON.stringify(outcome.kind === "value" ? outcome.value : null)}`, `${key} is a known gap; remove it from known-gaps.json when it compiles`).toBe(gap);
      return;
    }
    if (outcome.kind === "refused") throw new Error(`${key} refused: ${outcome.code} ${outcome.message}`);
    expect(normalise(outcome.value), outcome.sql).toEqual(normalise(expected));
  });

  it("lists only cases that exist and have a result", () => {
    const keys = new Set(cases.map((k) => k.key));
    expect([...gapCodes.keys()].filter((k) => !keys.has(k))).toEqual([]);
  });
});
