/**
 * A file's value read as its schema's SQL type, to the value the reference gets from the same file: its Parquet
 * reader turns timestamps into RFC 3339 text (whole milliseconds, toward zero), dates into `YYYY-MM-DD`, 64-bit
 * integers into numbers, structs and maps into objects (entries with null values left out); then its validator
 * takes a date-time as RFC 3339 text (any offset, `t`/`z`, a leap second) or epoch milliseconds, and an object field
 * or a map from either an object or a map. What the reference refuses never reaches DuckDB (validation runs first),
 * so a type the reference cannot take a value of is read as NULL, and a value of it stops the job loudly rather
 * than being read as something else.
 */
import type { SqlDialect } from "../dialect.js";
import { STRING, type SqlType } from "../types.js";
import type { FileType } from "./file-types.js";

/** The JavaScript Date range: a date-time given as epoch milliseconds beyond it is no instant in the reference either. */
const MAX_EPOCH_MS = 8.64e15;

/** Where a value is: its file and its path in the row (`loyalty.since`, `visits[]`, `identityMap{}`), for the loud failure. */
export interface ReadAt {
  readonly file: string;
  readonly path: string;
}

/**
 * `sql`, a value of type `from` in its file (undefined: the file has no such column or field), as SQL type `to`;
 * undefined when `CAST(sql AS to)` reads it so. `depth` names the lambdas' parameters apart.
 */
export function readAs(sql: string, from: FileType | undefined, to: SqlType, at: ReadAt, dialect: SqlDialect, depth = 0): string | undefined {
  if (from === undefined) return dialect.null(to);
  switch (to.kind) {
    case "timestamp":
      return timestampFrom(sql, from, to, at, dialect);
    case "integer":
    case "double":
      return from.kind === "integer" || from.kind === "float" ? undefined : refused(sql, from, to, at, dialect);
    case "string":
      if (from.kind === "instant") return nullSafe(sql, dialect.isoText(sql), dialect);
      if (from.kind === "date") return dialect.cast(sql, STRING);
      return from.kind === "text" ? undefined : refused(sql, from, to, at, dialect);
    case "boolean":
      return from.kind === "boolean" ? undefined : refused(sql, from, to, at, dialect);
    case "date":
      return from.kind === "date" || from.kind === "text" ? undefined : refused(sql, from, to, at, dialect);
    case "struct":
      return structFrom(sql, from, to.fields, at, dialect, depth);
    case "list": {
      if (from.kind !== "list") return refused(sql, from, to, at, dialect);
      const x = `pl_item${depth}`;
      const item = readAs(x, from.items, to.items, { ...at, path: `${at.path}[]` }, dialect, depth + 1);
      return item === undefined ? undefined : dialect.listTransform(sql, dialect.lambda([x], item));
    }
    case "map":
      return mapFrom(sql, from, to.values, at, dialect, depth);
    default:
      return undefined;
  }
}

/** `value`, NULL where `sql` is NULL (for conversions that would turn NULL into something). */
function nullSafe(sql: string, value: string, dialect: SqlDialect): string {
  return dialect.caseWhen([[`${sql} IS NULL`, "NULL"]], value);
}

/** NULL, or the job stops: the reference takes no value of this file type as this SQL type. */
function refused(sql: string, from: FileType, to: SqlType, at: ReadAt, dialect: SqlDialect): string {
  const message = `${at.file}: ${at.path} holds ${from.name} values, which the reference refuses as ${to.kind}; they should not have passed validation`;
  return dialect.caseWhen([[`${sql} IS NULL`, dialect.null(to)]], dialect.fail(message));
}

/** Epoch milliseconds (any number) as an instant: whole milliseconds toward zero, clamped to the Date range. */
function epochMs(ms: string, dialect: SqlDialect): string {
  const whole = dialect.arithmetic("-", ms, dialect.arithmetic("%", ms, "1"));
  return dialect.epochMsToTimestamp(whole, MAX_EPOCH_MS);
}

function timestampFrom(sql: string, from: FileType, to: SqlType, at: ReadAt, dialect: SqlDialect): string | undefined {
  switch (from.kind) {
    case "text": {
      // RFC 3339 as the reference parses it, else a number: JSON Lines reads a date-time given as epoch ms as its text.
      const parsed = dialect.stringToTimestamp(sql);
      return dialect.caseWhen([[`${sql} IS NULL`, "NULL"], [`${parsed} IS NOT NULL`, parsed]], epochMs(dialect.toDouble(sql), dialect));
    }
    case "integer":
    case "float":
      return nullSafe(sql, epochMs(dialect.toDouble(sql), dialect), dialect);
    case "instant":
      return dialect.wholeMilliseconds(sql);
    case "date":
      // The reference reads a date as `YYYY-MM-DD`: an ingestion time (never a schema's date-time) at its midnight.
      return undefined;
    default:
      return refused(sql, from, to, at, dialect);
  }
}

/** An object from a struct (fields by name) or from a map with text keys (the reference reads both as objects). */
function structFrom(sql: string, from: FileType, fields: ReadonlyMap<string, SqlType>, at: ReadAt, dialect: SqlDialect, depth: number): string | undefined {
  if (from.kind !== "struct" && !(from.kind === "map" && from.keys.kind === "text")) return refused(sql, from, { kind: "struct", fields }, at, dialect);
  const fieldOf = (name: string): { sql: string; type: FileType | undefined } =>
    from.kind === "struct" ? { sql: dialect.field(sql, name), type: from.fields.get(name) } : { sql: dialect.mapGet(sql, dialect.string(name)), type: from.values };
  const read = [...fields].map(([name, t]) => {
    const f = fieldOf(name);
    return { name, t, f, as: readAs(f.sql, f.type, t, { ...at, path: `${at.path}.${name}` }, dialect, depth) };
  });
  // A struct with every field and nothing to convert is cast by name (DuckDB drops the fields the schema lacks).
  if (from.kind === "struct" && read.every((r) => r.f.type !== undefined && r.as === undefined)) return undefined;
  return nullSafe(sql, dialect.struct(read.map((r) => [r.name, r.as ?? dialect.cast(r.f.sql, r.t)] as const)), dialect);
}

/**
 * A map key as the reference names it: its Parquet reader decodes the key column like any other and uses each key
 * as a JavaScript property name (String(key)). Undefined for a key type it does not decode.
 */
function keyText(key: string, from: FileType, dialect: SqlDialect): string | undefined {
  switch (from.kind) {
    case "text":
      return key;
    case "integer":
    case "float":
      return dialect.numberText(dialect.toDouble(key));
    case "instant":
      return dialect.isoText(key);
    case "date":
    case "boolean":
      return dialect.cast(key, STRING);
    default:
      return undefined;
  }
}

/** A map from a map (entries with NULL values left out, keys as the reference names them) or from a struct (its non-NULL fields). */
function mapFrom(sql: string, from: FileType, values: SqlType, at: ReadAt, dialect: SqlDialect, depth: number): string | undefined {
  const to: SqlType = { kind: "map", values };
  const valueAt = { ...at, path: `${at.path}{}` };
  const e = `pl_entry${depth}`;
  const notNull = dialect.lambda([e], `${dialect.field(e, "value")} IS NOT NULL`);
  if (from.kind === "struct") {
    const entries = [...from.fields].map(([name, f]) => {
      const value = dialect.field(sql, name);
      return dialect.struct([["key", dialect.string(name)], ["value", readAs(value, f, values, valueAt, dialect, depth) ?? dialect.cast(value, values)]]);
    });
    return nullSafe(sql, dialect.mapFromEntries(dialect.listFilter(`[${entries.join(", ")}]`, notNull)), dialect);
  }
  if (from.kind !== "map") return refused(sql, from, to, at, dialect);
  const key = keyText(dialect.field(e, "key"), from.keys, dialect);
  if (key === undefined) return refused(sql, from, to, at, dialect);
  const value = readAs(dialect.field(e, "value"), from.values, values, valueAt, dialect, depth + 1);
  const entry = dialect.lambda([e], dialect.struct([["key", key], ["value", value ?? dialect.cast(dialect.field(e, "value"), values)]]));
  const whole = value === undefined && from.keys.kind === "text" ? undefined : dialect.mapFromEntries(dialect.listTransform(dialect.mapEntries(sql), entry));
  if (!from.nullValues) return whole;
  // Maps rebuilt only where a value is NULL: filtering every map costs three times reading it (identityMap at 1M rows).
  const complete = `${sql} IS NULL OR ${dialect.listCount(dialect.mapValues(sql))} = ${dialect.listLength(dialect.mapValues(sql))}`;
  const filtered = dialect.mapFromEntries(dialect.listTransform(dialect.listFilter(dialect.mapEntries(sql), notNull), entry));
  return dialect.caseWhen([[complete, whole ?? dialect.cast(sql, to)]], filtered);
}
