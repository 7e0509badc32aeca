/**
 * The SQL pre-check of validate-sources.ts: DuckDB reads a Parquet data file and counts the rows that the JavaScript
 * validation (`fileRows` + `toFragment`) *might* refuse; a file with none is clean without being read in JavaScript,
 * and any other file is validated in JavaScript as before, whole, so that an error is exactly the reference's. The
 * check is conservative: where SQL cannot be sure a value passes, the row is flagged.
 *
 * What the JavaScript path checks, and how a row's SQL test covers it (`ok` below, NULL counted as flagged):
 * - The Parquet reader (parquet-reader.ts): it decodes what parquet-wasm gives it, so the file's Arrow schema as
 *   parquet-wasm reads it must have the shape and scalar classes DuckDB reads (same names, text, integer, float,
 *   boolean, day dates, instants, structs, lists, maps), none of the types the reader throws on (half floats,
 *   millisecond dates, decimals, binary, dictionaries …), and column chunks only in compressions and encodings both
 *   decode; otherwise the file goes to JavaScript. Names equal ignoring case (DuckDB would mix them up) and
 *   `__proto__` (a JavaScript property name with a meaning) send it there too, or are flagged where they hold a value.
 *   Instants and dates anywhere (even where nothing validates them) must be within years 1–9999: the reader's
 *   toISOString throws beyond the Date range and writes six-digit years outside 0–9999. Null list items are kept
 *   (as null: refused), null struct fields and map values dropped (as the reader does).
 * - toFragment: `_acp_system_metadata.ingestTime` present and a timestamp (toEpochMs, exactly); the identityMap's
 *   primary identity (a `primary: true` item with an id, the declared namespace's first item, or the only identity),
 *   exactly for a MAP(VARCHAR, STRUCT(id VARCHAR, …)[]) without `__proto__`, repeated keys or keys starting with
 *   U+FEFF (see sameText), else flagged; events' `_id` (text, exactly) and `timestamp` (toEpochMs, exactly).
 * - validateRecord: fields not in the schema (flagged when they hold a value), kinds (a file class the kind takes,
 *   else flagged), int and long ranges (exactly, on the exact integer), minimum/maximum (exactly; NaN flagged), enum
 *   (exactly, by the value's JavaScript type), minLength/maxLength (exactly: DuckDB's length counts code points),
 *   pattern (the RE2 translation the reference itself runs, as the SQL engine's `matches`; a pattern without one
 *   flags every value), format (email, uri, uri-reference as exact RE2 patterns plus lengths), date and date-time
 *   text (RFC 3339 and YYYY-MM-DD as time.ts parses them; year 0000 flagged), nulls (a null value is never read: the
 *   reader drops it, or keeps it in a list, flagged). A constraint a kind does not use the way the JavaScript does
 *   (a minimum on a string, a pattern on a number, any constraint on a date) flags every value, and so does a
 *   constrained string starting with U+FEFF (the reader drops it: see sameText). Nesting depth needs
 *   nothing: a row that passes is within its schema's depth, and only a failing row's error names the depth.
 */
import { DataType, DateUnit, Precision, tableFromIPC, type Field, type Schema } from "apache-arrow";
import { checkReadable } from "../io/sandbox-path.js";
import { DecodeThread } from "../io/parquet-read-thread.js";
import { translateJavaRegex } from "../pql/regex.js";
import { DUCKDB, RFC3339 } from "../sql/duckdb.js";
import { SqlEngineError } from "../sql/jobs/engine-session.js";
import { fileTypeOfDuckDb, type FileColumns, type FileType } from "../sql/merge/file-types.js";
import type { SqlSession } from "../sql/merge/session.js";
import { XDM_INTEGER_RANGES, type XdmObject, type XdmScalar, type XdmType } from "../xdm/xdm-type.js";
import type { DataFile } from "./data-files.js";
import type { Dataset } from "./sandbox.js";

const META = "_acp_system_metadata";
const PROTO = "__proto__";
const TRUE = "TRUE";
const FALSE = "FALSE";

/** Epoch ms of 0001-01-01 and of 9999-12-31T23:59:59.999: instants the reader writes as four-digit-year RFC 3339. */
const FIRST_MS = -62135596800000;
const LAST_MS = 253402300799999;

/** Compressions and encodings of column chunks that parquet-wasm 0.8.0 (arrow-rs) decodes as DuckDB does. */
const COMPRESSIONS = new Set(["UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"]);
const ENCODINGS = new Set(["PLAIN", "PLAIN_DICTIONARY", "RLE_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY", "BYTE_STREAM_SPLIT"]);

const str = (s: string): string => DUCKDB.string(s);
/** Conjunction and disjunction of SQL tests, TRUE and FALSE folded away. */
function and(...parts: string[]): string {
  if (parts.includes(FALSE)) return FALSE;
  const rest = parts.filter((p) => p !== TRUE);
  return rest.length === 0 ? TRUE : rest.length === 1 ? rest[0]! : rest.map((p) => `(${p})`).join(" AND ");
}
function or(...parts: string[]): string {
  if (parts.includes(TRUE)) return TRUE;
  const rest = parts.filter((p) => p !== FALSE);
  return rest.length === 0 ? FALSE : rest.length === 1 ? rest[0]! : `(${rest.map((p) => `(${p})`).join(" OR ")})`;
}
const sure = (p: string): string => (p === TRUE || p === FALSE ? p : `coalesce(${p}, FALSE)`);
const field = (sql: string, name: string): string => `struct_extract(${sql}, ${str(name)})`;
/**
 * Text the reader reads as DuckDB does: its TextDecoder drops a leading U+FEFF (a byte order mark) from every value,
 * so a value starting with one is shorter there, matches other patterns, and as a map key may be `__proto__` or
 * another key.
 */
const sameText = (x: string): string => `NOT starts_with(${x}, chr(65279))`;
/** No map key the reader would make a special or a repeated property name. */
const plainKeys = (map: string): string => `len(list_filter(map_keys(${map}), lambda pl_k: pl_k = ${str(PROTO)} OR NOT ${sameText("pl_k")})) = 0`;
/** Every item of a list satisfies `ok` (an item that is NULL does not). */
const everyItem = (list: string, x: string, ok: string): string => (ok === TRUE ? `list_count(${list}) = len(${list})` : `len(list_filter(${list}, lambda ${x}: ${x} IS NULL OR NOT ${sure(ok)})) = 0`);

// ------------------------------------------------------------------------------------------ time and text

/** A DATE the reader writes as a four-digit YYYY-MM-DD. */
const dateInRange = (x: string): string => `${x} BETWEEN DATE '0001-01-01' AND DATE '9999-12-31'`;
/** An instant the reader writes as four-digit-year RFC 3339 (and does not throw on). */
const instantInRange = (x: string): string => `epoch_ms(${x}) BETWEEN ${FIRST_MS} AND ${LAST_MS}`;
/** Text time.ts's parseDate takes (year 0000 flagged: DuckDB's calendar has no year 0). */
const dateText = (x: string): string => `regexp_full_match(${x}, '\\d{4}-\\d{2}-\\d{2}') AND NOT starts_with(${x}, '0000') AND TRY_CAST(${x} AS DATE) IS NOT NULL`;
/** Text time.ts's parseDateTime takes (the regex checks every field but the day of the month). */
const dateTimeText = (x: string): string =>
  `regexp_full_match(${x}, ${str(RFC3339)}) AND NOT starts_with(${x}, '0000') AND TRY_CAST(substr(${x}, 1, 10) AS DATE) IS NOT NULL`;

/** A value toEpochMs takes (ingestion and event times): a finite number, an RFC 3339 date-time or a date. */
function epochValue(x: string, from: FileType): string {
  switch (from.kind) {
    case "integer":
      return TRUE;
    case "float":
      return `isfinite(${x})`;
    case "text":
      return or(dateTimeText(x), dateText(x));
    case "instant":
      return instantInRange(x);
    case "date":
      return dateInRange(x);
    default:
      return FALSE;
  }
}

/** Whether the reader converts `x` without throwing (instants and dates in range), whatever the schema says of it. */
function convertible(x: string, from: FileType, depth: number): string {
  switch (from.kind) {
    case "instant":
      return instantInRange(x);
    case "date":
      return dateInRange(x);
    case "struct":
      return and(...[...from.fields].map(([name, f]) => or(`${field(x, name)} IS NULL`, convertible(field(x, name), f, depth))));
    case "list": {
      const item = convertible(`pl_c${depth}`, from.items, depth + 1);
      return item === TRUE ? TRUE : `len(list_filter(${x}, lambda pl_c${depth}: pl_c${depth} IS NOT NULL AND NOT ${sure(item)})) = 0`;
    }
    case "map": {
      const e = `pl_c${depth}`;
      const entry = and(convertible(`${e}.key`, from.keys, depth + 1), or(`${e}.value IS NULL`, convertible(`${e}.value`, from.values, depth + 1)));
      return entry === TRUE ? TRUE : `len(list_filter(map_entries(${x}), lambda ${e}: NOT ${sure(entry)})) = 0`;
    }
    default:
      return TRUE;
  }
}

// ------------------------------------------------------------------------------------------ formats

const URI_CHARS = "(?:[A-Za-z0-9\\-._~:/?#\\[\\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*";
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const OCTET = "(?:[01]?[0-9]?[0-9]|2[0-4][0-9]|25[0-5])";
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const EMAIL = `${ATOM}(?:\\.${ATOM})*@(?:\\[(?:${OCTET}\\.){3}${OCTET}\\]|${LABEL}(?:\\.${LABEL})*)`;

/** formats.ts's checks as whole-string RE2 matches (every character they accept is ASCII, so lengths are bytes too). */
const FORMATS: Readonly<Record<string, (x: string) => string>> = {
  email: (x) => `regexp_full_match(${x}, ${str(EMAIL)}) AND length(${x}) <= 254 AND strpos(${x}, '@') <= 65`,
  uri: (x) => `regexp_full_match(${x}, ${str(`[A-Za-z][A-Za-z0-9+.-]*:${URI_CHARS}`)})`,
  "uri-reference": (x) => `regexp_full_match(${x}, ${str(URI_CHARS)})`,
};

// ------------------------------------------------------------------------------------------ values against the schema

const numberList = (values: readonly unknown[], cast: (n: number) => string): string | undefined => {
  const numbers = values.filter((v): v is number => typeof v === "number");
  return numbers.length === 0 ? undefined : numbers.map(cast).join(", ");
};

/** The constraints a kind checks the way this file translates; any other one flags every value. */
const HANDLED: Readonly<Record<XdmScalar["kind"], readonly string[]>> = {
  string: ["enum", "minLength", "maxLength", "pattern", "format"],
  int: ["enum", "minimum", "maximum"],
  long: ["enum", "minimum", "maximum"],
  double: ["enum", "minimum", "maximum"],
  boolean: ["enum"],
  "date-time": [],
  date: [],
};

/** A non-NULL value `x` of file type `from` passes `type`'s scalar checks (validate.ts compileScalar). */
function scalarOk(x: string, from: FileType, type: XdmScalar): string {
  const c = type.constraints ?? {};
  const keys = Object.keys(c).filter((k) => c[k as keyof typeof c] !== undefined);
  if (keys.some((k) => !HANDLED[type.kind].includes(k))) return FALSE;
  switch (type.kind) {
    case "string": {
      if (from.kind === "instant" || from.kind === "date") return keys.length > 0 ? FALSE : from.kind === "instant" ? instantInRange(x) : dateInRange(x);
      if (from.kind !== "text") return FALSE;
      const checks = keys.length > 0 ? [sameText(x)] : [];
      if (c.enum !== undefined) {
        const strings = c.enum.filter((v): v is string => typeof v === "string");
        checks.push(strings.length === 0 ? FALSE : `${x} IN (${strings.map(str).join(", ")})`);
      }
      if (c.minLength !== undefined) checks.push(`length(${x}) >= ${c.minLength}`);
      if (c.maxLength !== undefined) checks.push(`length(${x}) <= ${c.maxLength}`);
      if (c.pattern !== undefined) {
        const r = translateJavaRegex(c.pattern);
        checks.push(r.ok ? DUCKDB.regexMatches(x, r.re2) : FALSE);
      }
      if (c.format !== undefined) checks.push(FORMATS[c.format]?.(x) ?? FALSE);
      return and(...checks);
    }
    case "int":
    case "long":
    case "double": {
      if (from.kind !== "integer" && !(from.kind === "float" && type.kind === "double")) return FALSE;
      const v = `CAST(${x} AS DOUBLE)`;
      const checks: string[] = [];
      if (type.kind !== "double") {
        const { minimum, maximum } = XDM_INTEGER_RANGES[type.kind];
        checks.push(`TRY_CAST(${x} AS BIGINT) BETWEEN ${minimum} AND ${maximum}`);
      } else if (from.kind === "float" && keys.length > 0) checks.push(`NOT isnan(${x})`);
      if (c.minimum !== undefined) checks.push(`${v} >= ${DUCKDB.double(c.minimum)}`);
      if (c.maximum !== undefined) checks.push(`${v} <= ${DUCKDB.double(c.maximum)}`);
      if (c.enum !== undefined) {
        const list = numberList(c.enum, (n) => DUCKDB.double(n));
        checks.push(list === undefined ? FALSE : `${v} IN (${list})`);
      }
      return and(...checks);
    }
    case "boolean": {
      if (from.kind !== "boolean") return FALSE;
      if (c.enum === undefined) return TRUE;
      const allowed = c.enum.filter((v): v is boolean => typeof v === "boolean");
      return allowed.length === 0 ? FALSE : `${x} IN (${allowed.map(String).join(", ")})`;
    }
    case "date-time":
      if (from.kind === "integer") return TRUE;
      if (from.kind === "float") return `isfinite(${x})`;
      if (from.kind === "text") return dateTimeText(x);
      return from.kind === "instant" ? instantInRange(x) : FALSE;
    case "date":
      if (from.kind === "text") return dateText(x);
      return from.kind === "date" ? dateInRange(x) : FALSE;
  }
}

/** The fields of a struct against an object's fields (or every field against a map's values): each NULL or passing. */
function structFieldsOk(x: string, from: Extract<FileType, { kind: "struct" }>, typeOf: (name: string) => XdmType | undefined, depth: number): string {
  return and(
    ...[...from.fields].map(([name, f]) => {
      const type = name === PROTO ? undefined : typeOf(name);
      const value = field(x, name);
      return or(`${value} IS NULL`, type === undefined ? FALSE : valueOk(value, f, type, depth));
    }),
  );
}

/** A non-NULL value `x` of file type `from` (as the reader reads it) passes validate.ts's `check` against `type`. */
function valueOk(x: string, from: FileType, type: XdmType, depth: number): string {
  switch (type.kind) {
    case "object":
      return from.kind === "struct" ? structFieldsOk(x, from, (name) => type.fields.get(name), depth) : FALSE;
    case "array": {
      if (from.kind !== "list") return FALSE;
      const item = `pl_v${depth}`;
      return everyItem(x, item, valueOk(item, from.items, type.items, depth + 1));
    }
    case "map": {
      if (from.kind === "struct") return structFieldsOk(x, from, () => type.values, depth);
      if (from.kind !== "map") return FALSE;
      const e = `pl_v${depth}`;
      const value = valueOk(`${e}.value`, from.values, type.values, depth + 1);
      // Text keys are property names; other keys are read as text, instants and dates flagged.
      const key = from.keys.kind === "text" ? plainKeys(x) : from.keys.kind === "instant" || from.keys.kind === "date" ? FALSE : TRUE;
      const entries = value === TRUE ? TRUE : `len(list_filter(map_entries(${x}), lambda ${e}: ${e}.value IS NOT NULL AND NOT ${sure(value)})) = 0`;
      return and(key, entries);
    }
    default:
      return scalarOk(x, from, type);
  }
}

// ------------------------------------------------------------------------------------------ rows

/**
 * The identityMap gives a primary identity (identity-key.ts primaryIdentity): exactly, for a map of text keys (no
 * `__proto__`, none repeated: the reader's object would keep the last) to lists of structs with a text `id`.
 */
function primaryOk(columns: FileColumns, declared: string | undefined): string {
  const from = columns.get("identityMap");
  if (from?.kind !== "map" || from.keys.kind !== "text" || from.values.kind !== "list" || from.values.items.kind !== "struct") return FALSE;
  const item = from.values.items;
  if (item.fields.get("id")?.kind !== "text") return FALSE;
  const m = DUCKDB.ident("identityMap");
  const items = `flatten(list_filter(map_values(${m}), lambda pl_l: pl_l IS NOT NULL))`;
  const withId = `list_filter(${items}, lambda pl_i: pl_i IS NOT NULL AND pl_i.id IS NOT NULL)`;
  const flagged = item.fields.get("primary")?.kind === "boolean" ? `len(list_filter(${withId}, lambda pl_i: pl_i."primary")) > 0` : FALSE;
  // ASCII keys only: their lower case is JavaScript's; any other key is not counted (the row flagged, if it mattered).
  const inDeclared =
    declared === undefined
      ? FALSE
      : `len(list_filter(map_entries(${m}), lambda pl_e: lower(pl_e.key) = ${str(declared.toLowerCase())} AND strlen(pl_e.key) = length(pl_e.key) AND pl_e.value[1].id IS NOT NULL)) > 0`;
  const keys = `map_keys(${m})`;
  return and(
    `${m} IS NOT NULL`,
    plainKeys(m),
    `len(list_distinct(${keys})) = len(${keys})`,
    or(flagged, inDeclared, `len(${withId}) = 1`),
  );
}

/** The SQL test of one row of a file with these columns, true only when toFragment surely takes the row. */
function rowOkSql(columns: FileColumns, schema: XdmObject, kind: Dataset["kind"], declaredNamespace: string | undefined): string {
  const col = (name: string): string => DUCKDB.ident(name);
  const meta = columns.get(META);
  const ingest = meta?.kind === "struct" ? meta.fields.get("ingestTime") : undefined;
  if (meta?.kind !== "struct" || ingest === undefined) return FALSE;
  const ingestSql = field(col(META), "ingestTime");
  // The system metadata is not validated, but the reader converts all of it.
  const parts = [`${ingestSql} IS NOT NULL`, epochValue(ingestSql, ingest), convertible(col(META), meta, 0)];
  for (const [name, from] of columns) {
    if (name === META) continue;
    const type = name === PROTO ? undefined : schema.fields.get(name);
    parts.push(or(`${col(name)} IS NULL`, type === undefined ? FALSE : valueOk(col(name), from, type, 0)));
  }
  parts.push(primaryOk(columns, declaredNamespace));
  if (kind === "event") {
    const id = columns.get("_id");
    const ts = columns.get("timestamp");
    parts.push(id?.kind === "text" ? `${col("_id")} IS NOT NULL` : FALSE);
    parts.push(ts === undefined ? FALSE : and(`${col("timestamp")} IS NOT NULL`, epochValue(col("timestamp"), ts)));
  }
  return sure(and(...parts));
}

// ------------------------------------------------------------------------------------------ the file as both readers see it

/** Whether parquet-wasm's Arrow type for a column is what the reader converts, with the shape and classes DuckDB reads. */
function sameAsArrow(arrow: DataType, duck: FileType): boolean {
  if (DataType.isStruct(arrow)) {
    if (duck.kind !== "struct" || arrow.children.length !== duck.fields.size) return false;
    const names = [...duck.fields.keys()];
    return arrow.children.every((f: Field, i: number) => f.name === names[i] && sameAsArrow(f.type, duck.fields.get(f.name)!));
  }
  if (DataType.isMap(arrow)) {
    const entry = arrow.children[0]!.type as DataType;
    return duck.kind === "map" && DataType.isStruct(entry) && sameAsArrow(entry.children[0]!.type, duck.keys) && sameAsArrow(entry.children[1]!.type, duck.values);
  }
  if (DataType.isList(arrow)) return duck.kind === "list" && sameAsArrow(arrow.children[0]!.type, duck.items);
  if (DataType.isUtf8(arrow)) return duck.kind === "text";
  if (DataType.isBool(arrow)) return duck.kind === "boolean";
  if (DataType.isInt(arrow)) return duck.kind === "integer";
  if (DataType.isFloat(arrow)) return duck.kind === "float" && arrow.precision !== Precision.HALF;
  if (DataType.isTimestamp(arrow)) return duck.kind === "instant";
  if (DataType.isDate(arrow)) return duck.kind === "date" && arrow.unit === DateUnit.DAY;
  return false;
}

/** No two names of a struct (or of the columns) equal ignoring case, at any depth. */
function distinctNames(names: Iterable<string>, types: Iterable<FileType>): boolean {
  const lower = [...names].map((n) => n.toLowerCase());
  if (new Set(lower).size !== lower.length) return false;
  for (const t of types) {
    if (t.kind === "struct" && !distinctNames(t.fields.keys(), t.fields.values())) return false;
    if (t.kind === "list" && !distinctNames([], [t.items])) return false;
    if (t.kind === "map" && !distinctNames([], [t.keys, t.values])) return false;
  }
  return true;
}

/** The file's Arrow schema as parquet-wasm reads it, or undefined when it does not open. */
async function arrowSchema(path: string): Promise<Schema | undefined> {
  const thread = DecodeThread.acquire();
  try {
    const opened = await thread.request({ op: "open", path });
    if (!opened.ok) return undefined;
    await thread.request({ op: "close" });
    return tableFromIPC(opened.schema!).schema;
  } catch {
    return undefined;
  } finally {
    thread.release();
  }
}

/** Runs `query`, or undefined when DuckDB fails on it (the file is then left to JavaScript); a cancel is thrown. */
async function rowsOrUndefined(session: SqlSession, query: string): Promise<Array<Record<string, unknown>> | undefined> {
  try {
    return await session.rows(query);
  } catch (e) {
    if (e instanceof SqlEngineError) return undefined;
    throw e;
  }
}

/**
 * The SQL test of a row of `file` (over `read_parquet` of its path), or undefined when the file is not Parquet, not
 * readable as listed, or holds what this check does not judge. JSON Lines files are left to JavaScript: DuckDB's JSON
 * reader casts values and takes JSON that JSON.parse refuses, so SQL cannot see the text the reference validates.
 */
export async function parquetRowTest(session: SqlSession, file: DataFile): Promise<string | undefined> {
  if (!file.rel.endsWith(".parquet") || file.dataset.schema === undefined) return undefined;
  try {
    checkReadable(file.path, { listed: file.listed });
  } catch {
    return undefined;
  }
  const path = str(file.path);
  const described = await rowsOrUndefined(session, `SELECT pl_name, pl_type FROM ${DUCKDB.describeParquet(file.path)}`);
  const chunks = await rowsOrUndefined(session, `SELECT DISTINCT compression, encodings FROM parquet_metadata(${path})`);
  const arrow = described && chunks && (await arrowSchema(file.path));
  if (described === undefined || chunks === undefined || arrow === undefined) return undefined;
  const decodable = chunks.every((c) => COMPRESSIONS.has(String(c["compression"])) && String(c["encodings"]).split(", ").every((e) => ENCODINGS.has(e)));
  const columns: FileColumns = new Map(described.map((r) => [String(r["pl_name"]), fileTypeOfDuckDb(String(r["pl_type"]))]));
  const names = [...columns.keys()];
  const same = arrow.fields.length === names.length && arrow.fields.every((f, i) => f.name === names[i] && sameAsArrow(f.type, columns.get(f.name)!));
  if (!decodable || !same || !distinctNames(columns.keys(), columns.values())) return undefined;
  return rowOkSql(columns, file.dataset.schema.type, file.dataset.kind, file.dataset.entry.primaryIdentityNamespace);
}

/** The rows of a Parquet file when DuckDB finds none that JavaScript might refuse, else undefined (validate it in JavaScript). */
export async function clearedBySql(session: SqlSession, file: DataFile): Promise<number | undefined> {
  const ok = await parquetRowTest(session, file);
  if (ok === undefined || ok === FALSE) return undefined;
  const counted = await rowsOrUndefined(session, `SELECT count(*) AS n, count(*) FILTER (WHERE NOT ${ok}) AS flagged FROM read_parquet(${str(file.path)})`);
  const row = counted?.[0];
  return row === undefined || Number(row["flagged"]) !== 0 ? undefined : Number(row["n"]);
}
