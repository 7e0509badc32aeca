/**
 * The DuckDB dialect (checked against @duckdb/node-api 1.5.6): Python-style lambdas (`lambda x: …`; the arrow
 * form is deprecated), `list_*` functions, `MAP {…}` and `{'k': v}` literals, RE2 regexes, naive TIMESTAMPs
 * holding UTC wall-clock time (so no function depends on the session's TimeZone).
 */
import type { TimeUnit } from "../pql/ast.js";
import { civil, MS_PER_DAY } from "../pql/calendar.js";
import { SqlDialect, type DialectRegex } from "./dialect.js";
import { translateJavaRegex } from "../pql/index.js";
import { isAscii, PQL_LOWER_MACRO } from "./duckdb-lower.js";
import { re2GroupCount } from "./re2.js";
import type { SqlType } from "./types.js";

/** DuckDB keywords that cannot be used unquoted as a column or struct field name (duckdb_keywords(), 1.5.6). */
const KEYWORDS = new Set(
  (
    "all analyse analyze and any array as asc asymmetric both case cast check collate column constraint create default " +
    "deferrable desc describe distinct do else end except false fetch for foreign from group having in initially intersect " +
    "into lambda lateral leading limit not null offset on only or order pivot pivot_longer pivot_wider placing primary " +
    "qualify references returning select show some summarize symmetric table then to trailing true union unique unpivot " +
    "using variadic when where window with anti asof at authorization binary by collation columns concurrently cross " +
    "freeze full generated glob ilike inner is isnull join left like map natural notnull outer overlaps positional right " +
    "semi similar struct tablesample try_cast unpack verbose between bigint bit boolean char character coalesce dec decimal " +
    "exists extract float grouping grouping_id inout int integer interval national nchar none nullif numeric out overlay " +
    "position precision real row setof smallint substring time timestamp treat trim values varchar"
  ).split(" "),
);

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** Intervals DuckDB prints and reads naturally, largest unit first. */
const INTERVAL_UNITS: ReadonlyArray<readonly [number, string]> = [
  [MS_PER_DAY, "DAY"],
  [3_600_000, "HOUR"],
  [60_000, "MINUTE"],
  [1000, "SECOND"],
];

/** RFC 3339 date-time as the reference's parser accepts it (src/xdm/time.ts). */
export const RFC3339 = "\\d{4}-\\d{2}-\\d{2}[Tt ]([01]\\d|2[0-3]):[0-5]\\d:([0-5]\\d|60)(\\.\\d{1,9})?([Zz]|[+-]([01]\\d|2[0-3]):?[0-5]\\d)";

/** The RFC 3339 parse of the reference (src/xdm/time.ts): a cheap reject first, then the exact shape. */
function stringTimestampBody(s: string): string {
  const int = (from: number, len: number): string => `CAST(substr(${s}, ${from}, ${len}) AS BIGINT)`;
  const offset = (group: number): string => `regexp_extract(${s}, '([+-])(\\d{2}):?(\\d{2})$', ${group})`;
  const offsetMinutes =
    `CASE ${offset(1)} WHEN '-' THEN -1 WHEN '+' THEN 1 ELSE 0 END * ` +
    `(coalesce(TRY_CAST(${offset(2)} AS BIGINT), 0) * 60 + coalesce(TRY_CAST(${offset(3)} AS BIGINT), 0))`;
  const msOfDay =
    `${int(12, 2)} * 3600000 + ${int(15, 2)} * 60000 + least(${int(18, 2)}, 59) * 1000 + ` +
    `CAST(rpad(regexp_extract(${s}, '^.{19}\\.(\\d{1,3})', 1), 3, '0') AS BIGINT) - (${offsetMinutes}) * 60000`;
  return (
    `CASE WHEN ${s} NOT LIKE '____-__-__%' THEN NULL ` +
    `WHEN regexp_full_match(${s}, '\\d{4}-\\d{2}-\\d{2}') THEN CAST(TRY_CAST(${s} AS DATE) AS TIMESTAMP) ` +
    `WHEN regexp_full_match(${s}, '${RFC3339}') THEN CAST(TRY_CAST(substr(${s}, 1, 10) AS DATE) AS TIMESTAMP) + to_milliseconds(${msOfDay}) END`
  );
}

/**
 * Run once per connection before compiled SQL: UTC as the session time zone (Parquet's TIMESTAMP(UTC) columns are
 * TIMESTAMP WITH TIME ZONE in DuckDB, and comparing them with the compiled TIMESTAMP literals, or taking their
 * month, goes through the session zone: the reference's calendar is UTC), and the helper macros (TEMP: they live
 * as long as the connection).
 */
const PRELUDE: readonly string[] = [
  "SET TimeZone = 'UTC'",
  `CREATE OR REPLACE TEMP MACRO pql_string_ts(s) AS (${stringTimestampBody("s")})`,
  "CREATE OR REPLACE TEMP MACRO pql_text_key(s) AS {'t': pql_string_ts(s), 's': CASE WHEN pql_string_ts(s) IS NULL THEN s END}",
  "CREATE OR REPLACE TEMP MACRO pql_finite(v) AS nullif(nullif(v, 'Infinity'::DOUBLE), '-Infinity'::DOUBLE)",
  // A string as its UTF-16 code units (lists compare element by element, as JavaScript compares strings).
  "CREATE OR REPLACE TEMP MACRO pql_utf16(s) AS CASE WHEN s = '' THEN []::INTEGER[] ELSE flatten(list_transform(string_split(s, ''), " +
    "lambda c: CASE WHEN unicode(c) > 65535 THEN [55296 + ((unicode(c) - 65536) >> 10), 56320 + ((unicode(c) - 65536) & 1023)] ELSE [unicode(c)] END)) END",
  // JavaScript's toLowerCase (case-insensitive string tests).
  PQL_LOWER_MACRO,
  // JavaScript's String(number) for a DOUBLE: DuckDB writes the same shortest digits but switches to exponents
  // sooner (below 1e-4, not 1e-6), pads exponents (e-07) and writes -0.0; integers past 2^53 are JavaScript's
  // shortest digits padded with zeros, not the exact binary value.
  "CREATE OR REPLACE TEMP MACRO pql_number_text(x) AS CASE WHEN x = 0 THEN '0' " +
    "WHEN x = floor(x) AND abs(x) < 9007199254740992 THEN printf('%.0f', x) " +
    "WHEN abs(x) < 1e21 AND abs(x) >= 1 THEN (CASE WHEN x < 0 THEN '-' ELSE '' END) || CASE WHEN CAST(abs(x) AS VARCHAR) LIKE '%e%' " +
    "THEN rpad(replace(split_part(CAST(abs(x) AS VARCHAR), 'e', 1), '.', ''), CAST(split_part(CAST(abs(x) AS VARCHAR), 'e', 2) AS INTEGER) + 1, '0') " +
    "ELSE regexp_replace(CAST(abs(x) AS VARCHAR), '\\.0$', '') END " +
    "WHEN abs(x) >= 1e-6 AND abs(x) < 1e-4 THEN (CASE WHEN x < 0 THEN '-' ELSE '' END) || '0.' || " +
    "repeat('0', -CAST(split_part(CAST(abs(x) AS VARCHAR), 'e', 2) AS INTEGER) - 1) || replace(split_part(CAST(abs(x) AS VARCHAR), 'e', 1), '.', '') " +
    "ELSE regexp_replace(CAST(x AS VARCHAR), 'e([+-])0*(\\d)', 'e\\1\\2') END",
  // JavaScript's string length: UTF-16 code units (a code point beyond U+FFFF counts twice).
  "CREATE OR REPLACE TEMP MACRO pql_utf16_length(s) AS length(s) + length(regexp_replace(s, '[^\\x{10000}-\\x{10FFFF}]', '', 'g'))",
];

export class DuckDbDialect extends SqlDialect {
  readonly name = "duckdb";
  readonly caseSensitiveNames = false;
  readonly lambdaIndexBase = 1;

  ident(name: string): string {
    if (/^[a-z_][a-z0-9_]*$/.test(name) && !KEYWORDS.has(name)) return name;
    return `"${name.replace(/"/g, '""')}"`;
  }

  double(n: number): string {
    const s = String(n);
    if (s.includes("e")) return s;
    // Decimal literals are DECIMAL in DuckDB: cast; beyond 15 significant digits parse the text, which rounds once.
    const digits = s.replace(/^-/, "").replace(".", "").replace(/^0+/, "").length;
    return digits <= 15 ? `${s}::DOUBLE` : `'${s}'::DOUBLE`;
  }

  timestamp(ms: number): string {
    const [y, m, d] = civil(ms);
    if (y < 1 || y > 9999) return `make_timestamp(${BigInt(Math.round(ms)) * 1000n}::BIGINT)`;
    const t = ((ms % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY;
    const h = Math.floor(t / 3_600_000);
    const mi = Math.floor((t % 3_600_000) / 60_000);
    const s = Math.floor((t % 60_000) / 1000);
    const f = t % 1000;
    const time = h === 0 && mi === 0 && s === 0 && f === 0 ? "" : ` ${pad(h)}:${pad(mi)}:${pad(s)}${f === 0 ? "" : `.${pad(f, 3)}`}`;
    return `TIMESTAMP '${pad(y, 4)}-${pad(m)}-${pad(d)}${time}'`;
  }

  date(ms: number): string {
    const [y, m, d] = civil(ms);
    return `DATE '${pad(y, 4)}-${pad(m)}-${pad(d)}'`;
  }

  typeName(t: SqlType): string {
    return this.typeNameAs(t, "TIMESTAMP");
  }

  /** The type's name with `timestamp` as the name of timestamps (reading takes TIMESTAMPTZ, to honour offsets). */
  private typeNameAs(t: SqlType, timestamp: string): string {
    const name = (x: SqlType): string => this.typeNameAs(x, timestamp);
    switch (t.kind) {
      case "null":
        return "INTEGER";
      case "string":
        return "VARCHAR";
      case "integer":
        return "BIGINT";
      case "double":
        return "DOUBLE";
      case "boolean":
        return "BOOLEAN";
      case "timestamp":
        return timestamp;
      case "date":
        return "DATE";
      case "struct":
        return `STRUCT(${[...t.fields].map(([k, ft]) => `${this.quoted(k)} ${name(ft)}`).join(", ")})`;
      case "list":
        return `${name(t.items)}[]`;
      case "map":
        return `MAP(VARCHAR, ${name(t.values)})`;
      case "tuple":
        return `STRUCT(${t.items.map((it, i) => `v${i + 1} ${name(it)}`).join(", ")})`;
      case "group":
        return `STRUCT(k ${name(t.key)}, g ${name(t.items)}[])`;
    }
  }

  private quoted(name: string): string {
    return `"${name.replace(/"/g, '""')}"`;
  }

  override cast(sql: string, t: SqlType): string {
    return `CAST(${sql} AS ${this.typeName(t)})`;
  }

  list(items: readonly string[], itemType: SqlType): string {
    if (items.length === 0) return itemType.kind === "null" ? "[]" : this.cast("[]", { kind: "list", items: itemType });
    return `[${items.join(", ")}]`;
  }

  struct(fields: ReadonlyArray<readonly [string, string]>): string {
    return `{${fields.map(([k, v]) => `${this.string(k)}: ${v}`).join(", ")}}`;
  }

  map(entries: ReadonlyArray<readonly [string, string]>, valueType: SqlType): string {
    if (entries.length === 0) return this.cast("MAP {}", { kind: "map", values: valueType });
    return `MAP {${entries.map(([k, v]) => `${k}: ${v}`).join(", ")}}`;
  }

  finite(v: string): string {
    return `pql_finite(${v})`;
  }

  mapGet(map: string, key: string): string {
    return `${map}[${key}]`;
  }

  mapKeys(map: string): string {
    return `map_keys(${map})`;
  }

  mapValues(map: string): string {
    return `map_values(${map})`;
  }

  mapFromEntries(list: string): string {
    return `map_from_entries(${list})`;
  }

  lambda(params: readonly string[], body: string): string {
    return `lambda ${params.join(", ")}: ${body}`;
  }

  listFilter(list: string, lambda: string): string {
    return `list_filter(${list}, ${lambda})`;
  }

  listTransform(list: string, lambda: string): string {
    return `list_transform(${list}, ${lambda})`;
  }

  flatten(list: string): string {
    return `flatten(${list})`;
  }

  listLength(list: string): string {
    return `len(${list})`;
  }

  listCount(list: string): string {
    return `list_count(${list})`;
  }

  listDistinctCount(list: string): string {
    return `len(list_distinct(${list}))`;
  }

  listElement(list: string, index1: string): string {
    return `list_extract(${list}, ${index1})`;
  }

  listSlice(list: string, from1: string, to1: string): string {
    return `list_slice(${list}, ${from1}, ${to1})`;
  }

  listContains(list: string, v: string): string {
    return `list_contains(${list}, ${v})`;
  }

  listPosition(list: string, v: string): string {
    return `list_position(${list}, ${v})`;
  }

  listHasAll(a: string, b: string): string {
    return `list_has_all(${a}, ${b})`;
  }

  listHasAny(a: string, b: string): string {
    return `list_has_any(${a}, ${b})`;
  }

  listAggregate(fn: "sum" | "avg" | "min" | "max", list: string): string {
    return `list_${fn}(${list})`;
  }

  listSort(list: string, descending: boolean): string {
    return `list_sort(${list}, '${descending ? "DESC" : "ASC"}', 'NULLS LAST')`;
  }

  listReduce(list: string, lambda: string, initial: string): string {
    return `list_reduce(${list}, ${lambda}, ${initial})`;
  }

  contains(s: string, t: string): string {
    return `contains(${s}, ${t})`;
  }

  startsWith(s: string, t: string): string {
    return `starts_with(${s}, ${t})`;
  }

  endsWith(s: string, t: string): string {
    return `ends_with(${s}, ${t})`;
  }

  regex(java: string): DialectRegex {
    // The reference matches with RE2 and gives its translation: DuckDB runs the very same pattern.
    const r = translateJavaRegex(java);
    return r.ok ? { ok: true, pattern: r.re2, groups: re2GroupCount(r.re2) } : r;
  }

  regexMatches(s: string, pattern: string): string {
    return `regexp_matches(${s}, ${this.string(pattern)})`;
  }

  regexExtract(s: string, pattern: string, group: number): string {
    return `regexp_extract(${s}, ${this.string(pattern)}, ${group})`;
  }

  override prelude(): readonly string[] {
    return PRELUDE;
  }

  stringToTimestamp(s: string): string {
    return `pql_string_ts(${s})`;
  }

  override lower(s: string): string {
    return `pql_lower(${s})`;
  }

  // pql_lower in a lambda cost a quarter of the identityMap union (100k, replayed: 0.77–1.05 s against 0.64–0.75 s with
  // lower()); a list all ASCII, tested once, takes lower() (0.63–0.89 s; bench/RESULTS.md).
  override listLower(list: string, x: string, of: string): string {
    const ascii = `list_bool_and(${this.listTransform(list, this.lambda([x], isAscii(of)))})`;
    return `CASE WHEN ${ascii} THEN ${this.listTransform(list, this.lambda([x], `lower(${of})`))} ELSE ${super.listLower(list, x, of)} END`;
  }

  utf16Compare(op: "<" | "<=" | ">" | ">=", a: string, b: string): string {
    // Code point order is UTF-16 order unless a character in U+E000–U+FFFF is involved.
    const high = (x: string): string => `regexp_matches(${x}, '[\\x{E000}-\\x{FFFF}]')`;
    return `CASE WHEN ${high(a)} OR ${high(b)} THEN pql_utf16(${a}) ${op} pql_utf16(${b}) ELSE ${a} ${op} ${b} END`;
  }

  numberText(x: string): string {
    return `pql_number_text(${x})`;
  }

  utf16Length(s: string): string {
    return `pql_utf16_length(${s})`;
  }

  textKey(s: string): string {
    return `pql_text_key(${s})`;
  }

  epochMsToTimestamp(ms: string, limit: number): string {
    return `make_timestamp(CAST(round(greatest(least(${ms}, ${limit}), -${limit}) * 1000) AS BIGINT))`;
  }

  timestampToEpochMs(ts: string): string {
    return `epoch_ms(${ts})`;
  }

  wholeMilliseconds(ts: string): string {
    // epoch_ms truncates toward zero from any precision (TIMESTAMP_NS included) and whatever the session's time zone.
    return `make_timestamp(epoch_ms(${ts}) * 1000)`;
  }

  isoText(ts: string): string {
    return `strftime(${this.wholeMilliseconds(ts)}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
  }

  dateToTimestamp(d: string): string {
    return `CAST(${d} AS TIMESTAMP)`;
  }

  addMilliseconds(ts: string, n: number): string {
    if (n === 0) return ts;
    const abs = Math.abs(n);
    const sign = n < 0 ? "-" : "+";
    for (const [ms, unit] of INTERVAL_UNITS) if (abs % ms === 0) return `(${ts} ${sign} INTERVAL ${abs / ms} ${unit})`;
    return `(${ts} ${sign} to_milliseconds(${abs}))`;
  }

  addMonths(ts: string, n: number): string {
    if (n === 0) return ts;
    const abs = Math.abs(n);
    return `(${ts} ${n < 0 ? "-" : "+"} INTERVAL ${abs % 12 === 0 ? `${abs / 12} YEAR` : `${abs} MONTH`})`;
  }

  startOf(ts: string, unit: TimeUnit): string {
    switch (unit) {
      case "week":
        return `CAST(CAST(${ts} AS DATE) - CAST(dayofweek(${ts}) AS INTEGER) AS TIMESTAMP)`;
      case "decade":
      case "century":
      case "millennium": {
        const span = unit === "decade" ? 10 : unit === "century" ? 100 : 1000;
        return `make_timestamp(CAST(floor(year(${ts}) / ${span}) * ${span} AS BIGINT), 1, 1, 0, 0, 0)`;
      }
      default:
        return `date_trunc('${unit}', ${ts})`;
    }
  }

  datePart(part: "year" | "month" | "day", ts: string): string {
    return `${part}(${ts})`;
  }

  makeDate(y: string, m: string, d: string): string {
    const integral = [y, m, d].map((v) => `${v} = floor(${v})`).join(" AND ");
    return `CASE WHEN ${integral} THEN CAST(try(make_date(CAST(${y} AS BIGINT), CAST(${m} AS BIGINT), CAST(${d} AS BIGINT))) AS TIMESTAMP) END`;
  }

  readJsonLines(path: string, columns: ReadonlyArray<readonly [string, SqlType]>): string {
    const cols = columns.map(([n, t]) => `${this.quoted(n)}: ${this.string(this.typeNameAs(t, "TIMESTAMPTZ"))}`).join(", ");
    // WITH ORDINALITY numbers the rows of one file in file order (row_number() OVER () promises no order).
    return `(SELECT * EXCLUDE (ordinality), ordinality AS pl_row FROM read_json(${this.string(path)}, format = 'newline_delimited', columns = {${cols}}) WITH ORDINALITY)`;
  }

  readParquet(paths: readonly string[]): string {
    // `filename` is the reader's virtual column (a file's own column of that name would hide it: see fileRows).
    return `(SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS pl_row, filename AS pl_path FROM read_parquet([${paths.map((p) => this.string(p)).join(", ")}], file_row_number = true))`;
  }

  describeParquet(path: string): string {
    return `(SELECT column_name AS pl_name, column_type AS pl_type FROM (DESCRIBE SELECT * FROM read_parquet(${this.string(path)})))`;
  }

  fail(message: string): string {
    return `error(${this.string(message)})`;
  }

  argMax(v: string, by: string): string {
    return `arg_max(${v}, ${by}) FILTER (WHERE ${this.paren(v)} IS NOT NULL)`;
  }

  orderedList(v: string, by: readonly string[]): string {
    // list(v ORDER BY …) buffers and sorts group by group, slowly with many small groups (8 s for 20,000 events in
    // 2,600 profiles); sorting each list afterwards is vectorised.
    const keyed = `{${by.map((b, i) => `'k${i}': ${b}`).join(", ")}, 'v': ${v}}`;
    return `list_transform(list_sort(list(${keyed})), lambda pl_x: pl_x.v)`;
  }

  listOrderedByKey(v: string, key: string): string {
    // Grading the keys alone and picking the values by the grades: sorting (key, value) structs costs a third more,
    // and listing them as structs to take them apart again three times more than two lists (the identityMap union's
    // items at 100k: 1.45 → 0.45 s). Two aggregates of one group see its rows in the same order (their states are
    // updated and combined together), so the lists stay aligned.
    return `list_select(list(${v}), list_grade_up(list(${key})))`;
  }

  mapOrderedByKey(k: string, v: string, key: string): string {
    // Keys and values listed apart: a list of (key, value) structs costs a third more to aggregate (segmentMembership
    // at 1M persons: 7.4 → 5.5 CPU-s).
    return `map(${this.listOrderedByKey(k, key)}, ${this.listOrderedByKey(v, key)})`;
  }

  pairOrder(high: string, low: string): string {
    return `CAST(coalesce(${high}, 4611686018427387904) AS HUGEINT) * 18446744073709551616 + ${low}`;
  }

  tupleOrder(fields: ReadonlyArray<readonly [value: string, bits: number]>): string {
    let shift = fields.reduce((sum, [, bits]) => sum + bits, 0);
    if (shift > 126) throw new Error(`an order key of ${shift} bits does not fit a HUGEINT`);
    return fields
      .map(([value, bits]) => {
        shift -= bits;
        const v = `CAST((${value}) AS HUGEINT)`;
        return shift === 0 ? v : `${v} * ${2n ** BigInt(shift)}`;
      })
      .join(" + ");
  }

  listReverse(list: string): string {
    return `list_reverse(${list})`;
  }

  argMin(v: string, by: string): string {
    return `arg_min(${v}, ${by})`;
  }

  mapEntries(map: string): string {
    return `map_entries(${map})`;
  }

  listLast(list: string): string {
    return `list_extract(${list}, -1)`;
  }

  unnest(list: string): string {
    return `unnest(${list})`;
  }

  unnestIndex(list: string): string {
    return `generate_subscripts(${list}, 1)`;
  }

  readonly tableRowIndex = "rowid";

  mayOrderOtherwiseInUtf16(s: string): string {
    return `regexp_matches(${s}, '[\\x{E000}-\\x{10FFFF}]')`;
  }

  hash(values: readonly string[]): string {
    return `hash(${values.join(", ")})`;
  }
}

/** The DuckDB dialect, shared (it holds no state). */
export const DUCKDB: SqlDialect = new DuckDbDialect();
