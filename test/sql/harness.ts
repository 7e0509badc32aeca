/**
 * Runs one PQL expression both ways — the closure compiler (the reference) and the SQL back end on an in-memory
 * DuckDB over a one-row table built from the profile — so tests can hold the two equal.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { checkPqlStructure } from "../../src/pql/checker.js";
import { compilePql, compilePqlValue, parsePql, type PqlSchema } from "../../src/pql/index.js";
import { compilePqlPredicateToSql, compilePqlToSql, DUCKDB, fromDuckDbJson, profileRowSql, SqlCompileError } from "../../src/sql/index.js";
import { countedEventNodes, countsAggregate, EVENT_COUNTS_COLUMN, EVENT_ELEMENT, EventCounts } from "../../src/sql/event-counts.js";
import { BOOLEAN, type SqlType } from "../../src/sql/types.js";
import { parseDateTime } from "../../src/xdm/time.js";
import type { Json, JsonObject } from "../../src/xdm/types.js";
import { array, object, scalar, type XdmObject, type XdmType } from "../../src/xdm/xdm-type.js";
import { TEST_SCHEMA } from "../pql/fixtures.js";

/** A profile, its events, the clock and the segments it is in. */
export interface Input {
  readonly profile: JsonObject;
  readonly events: readonly JsonObject[];
  /** RFC 3339. */
  readonly now: string;
  readonly segments: readonly string[];
}

/** The XDM type of a JSON value (numbers: long when whole, else double; null: unknown). */
function inferType(v: Json): XdmType | undefined {
  if (v === null) return undefined;
  if (typeof v === "string") return scalar("string");
  if (typeof v === "boolean") return scalar("boolean");
  if (typeof v === "number") return scalar(Number.isSafeInteger(v) ? "long" : "double");
  if (Array.isArray(v)) {
    let items: XdmType | undefined;
    for (const x of v) items = mergeType(items, inferType(x));
    return array(items ?? scalar("string"));
  }
  return object(
    Object.entries(v).flatMap(([k, x]) => {
      const t = inferType(x);
      return t === undefined ? [] : [[k, t] as const];
    }),
  );
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

/** TEST_SCHEMA, plus the inferred types of the data's fields that it does not have. */
export function schemaFor(profile: JsonObject, events: readonly JsonObject[]): PqlSchema {
  let event: XdmType | undefined = TEST_SCHEMA.event;
  for (const e of events) event = mergeType(event, inferType(e));
  return { profile: mergeType(TEST_SCHEMA.profile, inferType(profile)) as XdmObject, event: event as XdmObject };
}

/** What the SQL back end gave: a value (with its SQL), or a coded refusal. */
export type SqlOutcome = { readonly kind: "value"; readonly value: Json; readonly sql: string } | { readonly kind: "refused"; readonly code: string; readonly message: string };

/** An input whose row is a table of the runner's connection (SqlRunner.load). */
export interface LoadedInput {
  readonly input: Input;
  readonly schema: PqlSchema;
  readonly table: string;
}

/** One in-memory DuckDB connection with the dialect's prelude run. */
export class SqlRunner {
  private tables = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<SqlRunner> {
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    for (const statement of DUCKDB.prelude()) await connection.run(statement);
    return new SqlRunner(instance, connection);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  /**
   * `input`'s row as a table of this connection, for an input that many expressions run on: DuckDB then parses
   * and plans the row (kilobytes of literals) once, not once per expression.
   */
  async load(input: Input): Promise<LoadedInput> {
    const schema = schemaFor(input.profile, input.events);
    const table = `input_${++this.tables}`;
    await this.connection.run(`CREATE TEMP TABLE ${table} AS ${profileRowSql(schema, DUCKDB, input.profile, input.events, input.segments)}`);
    return { input, schema, table };
  }

  /**
   * The expression as a predicate (`asPredicate`) or a value, on DuckDB. SQL DuckDB rejects is thrown. With `counted`,
   * a predicate's counted event conditions (event-counts.ts) read their counts from the row, counted there from its
   * events as a segment pass's merge counts them.
   */
  async run(expr: string, on: Input | LoadedInput, asPredicate: boolean, counted = false): Promise<SqlOutcome> {
    const input = "table" in on ? on.input : on;
    const ast = parsePql(expr, "case.pql");
    const schema = "table" in on ? on.schema : schemaFor(input.profile, input.events);
    const now = parseDateTime(input.now) as number;
    let sql: string;
    let type: SqlType;
    const counts = new EventCounts();
    try {
      const options = { schema, now, dialect: DUCKDB, text: expr, ...(counted ? { eventCounts: { nodes: countedEventNodes(ast), counts } } : {}) };
      if (asPredicate) {
        sql = compilePqlPredicateToSql(ast, options);
        type = BOOLEAN;
      } else ({ sql, type } = compilePqlToSql(ast, options));
    } catch (e) {
      if (e instanceof SqlCompileError) return { kind: "refused", code: e.code, message: e.message };
      throw e;
    }
    const row = "table" in on ? on.table : `(${profileRowSql(schema, DUCKDB, input.profile, input.events, input.segments)})`;
    const countsOfRow = `(SELECT ${countsAggregate(counts.conditions(), DUCKDB)} FROM (SELECT unnest(r.xEvent) AS ${EVENT_ELEMENT}))`;
    const from = counts.size === 0 ? row : `(SELECT r.*, ${countsOfRow} AS ${EVENT_COUNTS_COLUMN} FROM ${row} AS r)`;
    let rows: Record<string, unknown>[];
    try {
      rows = (await this.connection.runAndReadAll(`SELECT ${sql} AS result FROM ${from} AS profile`)).getRowObjectsJson() as Record<string, unknown>[];
    } catch (e) {
      throw new Error(`DuckDB rejected the SQL of ${expr}:\n${sql}\n${e instanceof Error ? e.message : String(e)}`);
    }
    return { kind: "value", value: fromDuckDbJson(rows[0]?.["result"], type), sql };
  }
}

/** The closure compiler's answer (structural check only, as the conformance test does). */
export function runClosure(expr: string, input: Input, asPredicate: boolean): Json {
  const ast = parsePql(expr, "case.pql");
  const errors = checkPqlStructure(ast, expr, "case.pql");
  if (errors[0] !== undefined) throw errors[0];
  const segments = new Set(input.segments);
  const ctx = { profile: input.profile, events: input.events, now: parseDateTime(input.now) as number, inSegment: (ref: string) => segments.has(ref) };
  return asPredicate ? compilePql(ast)(ctx) : compilePqlValue(ast)(ctx);
}

/** Timestamps written differently but meaning the same instant are the same value; objects hold no nulls. */
export function normalise(v: Json): Json {
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
