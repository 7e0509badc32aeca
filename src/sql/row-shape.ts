/**
 * The row a compiled PQL expression is evaluated against: one row per profile, under an alias, with
 * - one column per top-level field of the profile union schema (STRUCT, LIST, MAP, scalars as in types.ts),
 * - the profile's ExperienceEvents as one LIST(STRUCT(event union schema)) column, sorted by timestamp (the
 *   order `xEvent` has in the reference),
 * - the segments the profile is in (ids and names, for `inSegment`) as one LIST(VARCHAR) column.
 * It also renders a profile given as JSON as a one-row SELECT of typed literals (tests, previews of one profile).
 */
import type { PqlSchema } from "../pql/index.js";
import { timestampOf } from "../pql/values.js";
import type { Json, JsonObject } from "../xdm/types.js";
import type { XdmType } from "../xdm/xdm-type.js";
import type { SqlDialect } from "./dialect.js";
import { SQL_ERROR_CODES, SqlCompileError } from "./errors.js";
import { listOf, sqlTypeOfXdm, STRING, structOfXdm, type SqlType } from "./types.js";

/** The alias of the row and the names of its two virtual columns. */
export interface RowShapeNames {
  readonly alias: string;
  readonly events: string;
  readonly segments: string;
}

export const ROW_SHAPE_NAMES: RowShapeNames = { alias: "profile", events: "xEvent", segments: "xSegments" };

/**
 * The first name problem of a schema for this dialect (an empty field name, or two names of one object that differ
 * only in case where the engine ignores case), as `path: message`; undefined when every name can be a column or field.
 */
export function nameProblem(schema: PqlSchema, dialect: SqlDialect, names: RowShapeNames = ROW_SHAPE_NAMES): string | undefined {
  const check = (fields: Iterable<string>, path: string): string | undefined => {
    const seen = new Map<string, string>();
    for (const f of fields) {
      if (f === "") return `${path}: an empty field name`;
      const k = dialect.caseSensitiveNames ? f : f.toLowerCase();
      const prev = seen.get(k);
      if (prev !== undefined) return `${path}: fields '${prev}' and '${f}' differ only in case, which ${dialect.name} does not tell apart`;
      seen.set(k, f);
    }
    return undefined;
  };
  const walk = (t: XdmType, path: string): string | undefined => {
    if (t.kind === "object") return check(t.fields.keys(), path) ?? [...t.fields].map(([k, ft]) => walk(ft, `${path}.${k}`)).find((p) => p !== undefined);
    if (t.kind === "array") return walk(t.items, `${path}[]`);
    if (t.kind === "map") return walk(t.values, `${path}{}`);
    return undefined;
  };
  return check([...schema.profile.fields.keys(), names.events, names.segments], "profile") ?? walk(schema.profile, "profile") ?? walk(schema.event, "xEvent[]");
}

/** The columns of the row, in order: profile fields (schema order), then events, then segments. */
export function rowColumns(schema: PqlSchema, names: RowShapeNames = ROW_SHAPE_NAMES): Array<readonly [string, SqlType]> {
  const cols: Array<readonly [string, SqlType]> = [...schema.profile.fields].map(([name, t]) => [name, sqlTypeOfXdm(t)] as const);
  cols.push([names.events, listOf(structOfXdm(schema.event))], [names.segments, listOf(STRING)]);
  return cols;
}

/** `CREATE TABLE name (…)` for rows of this shape. */
export function createRowTableSql(table: string, schema: PqlSchema, dialect: SqlDialect, names: RowShapeNames = ROW_SHAPE_NAMES): string {
  const cols = rowColumns(schema, names).map(([n, t]) => `${dialect.ident(n)} ${dialect.typeName(t)}`);
  return `CREATE TABLE ${dialect.ident(table)} (${cols.join(", ")})`;
}

/**
 * One profile as `SELECT <literal> AS col, …` (a derived table to alias as the row): its fields typed by the
 * schema (fields the schema does not have are left out), its events in the order given, its segments.
 */
export function profileRowSql(
  schema: PqlSchema,
  dialect: SqlDialect,
  profile: JsonObject,
  events: readonly JsonObject[],
  segments: readonly string[],
  names: RowShapeNames = ROW_SHAPE_NAMES,
): string {
  const cols = [...schema.profile.fields].map(([name, t]) => `${literalOf(profile[name], t, dialect, name)} AS ${dialect.ident(name)}`);
  const eventType: XdmType = schema.event;
  const evs = events.map((e, i) => literalOf(e, eventType, dialect, `${names.events}[${i}]`));
  cols.push(`${dialect.cast(dialect.list(evs, structOfXdm(schema.event)), listOf(structOfXdm(schema.event)))} AS ${dialect.ident(names.events)}`);
  cols.push(`${dialect.list(segments.map((s) => dialect.string(s)), STRING)} AS ${dialect.ident(names.segments)}`);
  return `SELECT ${cols.join(", ")}`;
}

function bad(path: string, t: XdmType, v: unknown): never {
  throw new SqlCompileError(SQL_ERROR_CODES.internal, `${path}: ${JSON.stringify(v)} is not a ${t.kind}`, undefined);
}

/** A JSON value as a literal of its schema type; missing and null are a typed NULL. */
export function literalOf(v: Json | undefined, t: XdmType, d: SqlDialect, path = "$"): string {
  const st = sqlTypeOfXdm(t);
  if (v === undefined || v === null) return d.null(st);
  switch (t.kind) {
    case "string":
      return typeof v === "string" ? d.string(v) : bad(path, t, v);
    case "int":
    case "long":
      return typeof v === "number" && Number.isInteger(v) ? d.cast(d.integer(v), st) : bad(path, t, v);
    case "double":
      return typeof v === "number" ? d.cast(d.double(v), st) : bad(path, t, v);
    case "boolean":
      return typeof v === "boolean" ? d.boolean(v) : bad(path, t, v);
    case "date-time": {
      const ms = typeof v === "number" ? v : typeof v === "string" ? timestampOf(v) : undefined;
      return ms === undefined ? bad(path, t, v) : d.timestamp(ms);
    }
    case "date": {
      const ms = typeof v === "string" && v.length === 10 ? timestampOf(v) : undefined;
      return ms === undefined ? bad(path, t, v) : d.date(ms);
    }
    case "object": {
      if (typeof v !== "object" || Array.isArray(v)) return bad(path, t, v);
      const fields = [...t.fields].map(([k, ft]) => [k, literalOf(v[k], ft, d, `${path}.${k}`)] as const);
      return d.cast(d.struct(fields), st);
    }
    case "array":
      if (!Array.isArray(v)) return bad(path, t, v);
      return d.cast(d.list(v.map((x, i) => literalOf(x, t.items, d, `${path}[${i}]`)), sqlTypeOfXdm(t.items)), st);
    case "map": {
      if (typeof v !== "object" || Array.isArray(v)) return bad(path, t, v);
      const entries = Object.entries(v).map(([k, x]) => [d.string(k), literalOf(x, t.values, d, `${path}.${k}`)] as const);
      return d.cast(d.map(entries, sqlTypeOfXdm(t.values)), st);
    }
  }
}
