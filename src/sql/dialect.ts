/**
 * A SQL dialect: every piece of SQL text that differs between engines. The PQL → SQL compiler (compiler.ts) builds
 * all its SQL through these methods, so another engine (Spark SQL next) is one more subclass, not a fork — the
 * shape of kysely's query compilers and sqlglot's generators. Standard SQL lives here as defaults; a dialect
 * overrides only what differs and implements the list, lambda, map, regex and calendar functions, which SQL does
 * not standardise.
 *
 * Conventions every dialect keeps: a Boolean expression may be NULL where PQL says false (the compiler wraps it with
 * isTrue/isNotTrue where that matters); timestamps are UTC wall-clock TIMESTAMPs at millisecond precision; list
 * indexes passed in are 1-based.
 */
import type { TimeUnit } from "../pql/ast.js";
import type { SqlType } from "./types.js";

/** A regex in the engine's syntax (and its number of capture groups), or why the engine cannot run it with the reference's meaning. */
export type DialectRegex = { readonly ok: true; readonly pattern: string; readonly groups: number } | { readonly ok: false; readonly message: string };

export abstract class SqlDialect {
  abstract readonly name: string;
  /** False when the engine matches column and struct field names ignoring case (so `sku` and `SKU` collide). */
  abstract readonly caseSensitiveNames: boolean;

  /**
   * Statements to run once on a connection before any compiled SQL (helper macros the compiled SQL calls, so that
   * it stays readable); a dialect without macros inlines its helpers instead and returns none.
   */
  prelude(): readonly string[] {
    return [];
  }

  /** `sql` in parentheses unless it is one term already (a name, a literal, a call, a parenthesised expression). */
  protected paren(sql: string): string {
    if (/^[\w."]+$/.test(sql) || /^'[^']*'$/.test(sql)) return sql;
    if ((sql.startsWith("(") || /^[\w.]+\(/.test(sql)) && closesAtEnd(sql)) return sql;
    return `(${sql})`;
  }

  // ------------------------------------------------------------ identifiers and literals

  /** An identifier, quoted only when it must be (a keyword, upper case, punctuation). */
  abstract ident(name: string): string;

  string(s: string): string {
    return `'${s.replace(/'/g, "''")}'`;
  }

  integer(n: number): string {
    return Number.isSafeInteger(n) ? String(n) : this.double(n);
  }

  abstract double(n: number): string;

  boolean(b: boolean): string {
    return b ? "TRUE" : "FALSE";
  }

  /** NULL, typed when a type is known (engines need it inside lists and structs). */
  null(t?: SqlType): string {
    return t === undefined || t.kind === "null" ? "NULL" : this.cast("NULL", t);
  }

  /** A TIMESTAMP literal at epoch milliseconds (UTC). */
  abstract timestamp(ms: number): string;

  /** A DATE literal at the UTC day starting at epoch milliseconds `ms`. */
  abstract date(ms: number): string;

  /** The engine's name of a type. */
  abstract typeName(t: SqlType): string;

  cast(sql: string, t: SqlType): string {
    return `CAST(${sql} AS ${this.typeName(t)})`;
  }

  /** A list of the given items (already SQL); typed so that an empty list has its element type. */
  abstract list(items: readonly string[], itemType: SqlType): string;

  /** A struct value with these fields, in order. */
  abstract struct(fields: ReadonlyArray<readonly [string, string]>): string;

  /** A map with string keys (already SQL) and values; typed so that an empty map has its value type. */
  abstract map(entries: ReadonlyArray<readonly [string, string]>, valueType: SqlType): string;

  // ------------------------------------------------------------ logic (standard SQL)

  and(ps: readonly string[]): string {
    return ps.length === 1 ? (ps[0] as string) : `(${ps.join(" AND ")})`;
  }

  or(ps: readonly string[]): string {
    return ps.length === 1 ? (ps[0] as string) : `(${ps.join(" OR ")})`;
  }

  not(p: string): string {
    return `NOT ${this.paren(p)}`;
  }

  /** TRUE when p is TRUE, FALSE when it is FALSE or NULL. */
  isTrue(p: string): string {
    return `${this.paren(p)} IS TRUE`;
  }

  /** TRUE when p is FALSE or NULL: PQL's `not`, where a missing value counts as false. */
  isNotTrue(p: string): string {
    return `${this.paren(p)} IS NOT TRUE`;
  }

  isNull(v: string): string {
    return `${this.paren(v)} IS NULL`;
  }

  isNotNull(v: string): string {
    return `${this.paren(v)} IS NOT NULL`;
  }

  coalesce(vs: readonly string[]): string {
    return `coalesce(${vs.join(", ")})`;
  }

  caseWhen(branches: ReadonlyArray<readonly [string, string]>, otherwise?: string): string {
    if (branches.length === 0) return otherwise ?? "NULL";
    const whens = branches.map(([w, t]) => `WHEN ${w} THEN ${t}`).join(" ");
    return `CASE ${whens}${otherwise === undefined ? "" : ` ELSE ${otherwise}`} END`;
  }

  compare(op: "=" | "!=" | "<" | "<=" | ">" | ">=", a: string, b: string): string {
    return `${a} ${op === "!=" ? "<>" : op} ${b}`;
  }

  /** Equality where NULL equals NULL (group keys). */
  notDistinct(a: string, b: string): string {
    return `${a} IS NOT DISTINCT FROM ${b}`;
  }

  inList(v: string, items: readonly string[], negate: boolean): string {
    return `${v} ${negate ? "NOT IN" : "IN"} (${items.join(", ")})`;
  }

  // ------------------------------------------------------------ numbers

  toDouble(v: string): string {
    return `CAST(${v} AS DOUBLE)`;
  }

  arithmetic(op: "+" | "-" | "*" | "/" | "%", a: string, b: string): string {
    return `(${a} ${op} ${b})`;
  }

  nullIfZero(v: string): string {
    return `nullif(${v}, 0)`;
  }

  /** NULL for ±infinity (PQL arithmetic gives a missing value where JavaScript would give Infinity). */
  abstract finite(v: string): string;

  negate(v: string): string {
    return `(- ${v})`;
  }

  // ------------------------------------------------------------ structs and maps

  /** A struct field. */
  field(struct: string, name: string): string {
    return `${struct}.${this.ident(name)}`;
  }

  abstract mapGet(map: string, key: string): string;
  abstract mapKeys(map: string): string;
  abstract mapValues(map: string): string;
  /** A map from a list of STRUCT(key, value); keys are distinct. */
  abstract mapFromEntries(list: string): string;

  // ------------------------------------------------------------ lists and lambdas

  /** A lambda with these parameter names. */
  abstract lambda(params: readonly string[], body: string): string;
  /** The index a two-parameter lambda (element, index) sees for the first element (DuckDB 1, Spark 0). */
  abstract readonly lambdaIndexBase: number;
  abstract listFilter(list: string, lambda: string): string;
  abstract listTransform(list: string, lambda: string): string;
  /** One level of nesting removed: LIST(LIST(T)) → LIST(T); NULL inner lists are skipped. */
  abstract flatten(list: string): string;
  /** The number of elements; NULL for a NULL list. */
  abstract listLength(list: string): string;
  /** The number of elements that are not NULL; NULL for a NULL list. */
  abstract listCount(list: string): string;
  /** The number of distinct elements that are not NULL; NULL for a NULL list. */
  abstract listDistinctCount(list: string): string;
  /** The element at a 1-based index, NULL past the end. */
  abstract listElement(list: string, index1: string): string;
  /** Elements from..to (1-based, inclusive). */
  abstract listSlice(list: string, from1: string, to1: string): string;
  /** TRUE when some element equals v (NULL when v is NULL). */
  abstract listContains(list: string, v: string): string;
  /** The 1-based position of the first element equal to v (NULL equals NULL), 0 or NULL when absent. */
  abstract listPosition(list: string, v: string): string;
  /** Every element of b is in a. */
  abstract listHasAll(a: string, b: string): string;
  /** Some element of b is in a. */
  abstract listHasAny(a: string, b: string): string;
  /** sum/avg/min/max of the non-NULL elements; NULL when there are none. */
  abstract listAggregate(fn: "sum" | "avg" | "min" | "max", list: string): string;
  /** Sorted ascending (or descending), NULLs last; structs compare field by field. */
  abstract listSort(list: string, descending: boolean): string;
  /** Fold: `lambda` takes (accumulator, element). */
  abstract listReduce(list: string, lambda: string, initial: string): string;

  // ------------------------------------------------------------ strings

  abstract contains(s: string, t: string): string;
  abstract startsWith(s: string, t: string): string;
  abstract endsWith(s: string, t: string): string;

  /**
   * Strings ordered as the reference orders them (by UTF-16 code unit): `a op b` where the engine's own order (by
   * code point) can differ, i.e. when a character in U+E000–U+FFFF meets one beyond U+FFFF.
   */
  abstract utf16Compare(op: "<" | "<=" | ">" | ">=", a: string, b: string): string;

  /** A DOUBLE as JavaScript's String(number) writes it (map keys made from numbers). */
  abstract numberText(x: string): string;

  /** The length of a string in UTF-16 code units, as JavaScript counts (PQL's limits are stated so). */
  abstract utf16Length(s: string): string;

  lower(s: string): string {
    return `lower(${s})`;
  }

  /** Each element of `list` lower-cased as `lower` does: `of`, over the element named `x`, is the string it holds. */
  listLower(list: string, x: string, of: string): string {
    return this.listTransform(list, this.lambda([x], this.lower(of)));
  }

  /** SQL LIKE with `%` and `_` always wildcards and no escape character (PQL has none). */
  like(s: string, pattern: string): string {
    return `${s} LIKE ${pattern}`;
  }

  /** A cheap test true for every string that may be a timestamp (YYYY-MM-DD…), the reference's own quick reject. */
  maybeTimestamp(s: string): string {
    return `${s} LIKE '____-__-__%'`;
  }

  /**
   * The engine's pattern for a PQL regex (Java syntax, with the meaning the reference gives it); "test" is a yes/no
   * search (`matches`), "extract" also needs the match itself (`regexGroup`).
   */
  abstract regex(java: string, purpose: "test" | "extract"): DialectRegex;
  /** A search (not a whole-string match) for a pattern returned by regex(). */
  abstract regexMatches(s: string, pattern: string): string;
  /** Capture group `group` of the first match (the caller guards for no match). */
  abstract regexExtract(s: string, pattern: string, group: number): string;

  // ------------------------------------------------------------ time

  /** The instant a string holds when it is an RFC 3339 date-time or a YYYY-MM-DD date (as the reference reads them), else NULL. */
  abstract stringToTimestamp(s: string): string;
  /**
   * A value equal for two strings exactly when the reference's equality holds: the same instant when both are
   * timestamps, the same text otherwise.
   */
  abstract textKey(s: string): string;
  /** Epoch ms (a number) as a TIMESTAMP, clamped to ±`limit` ms. */
  abstract epochMsToTimestamp(ms: string, limit: number): string;
  abstract timestampToEpochMs(ts: string): string;
  /** An instant of any timestamp type as a TIMESTAMP in whole milliseconds, toward zero (as a JavaScript Date holds it). */
  abstract wholeMilliseconds(ts: string): string;
  /** An instant as JavaScript's `toISOString` writes it (`2024-05-01T10:00:00.000Z`), for years 0–9999. */
  abstract isoText(ts: string): string;
  abstract dateToTimestamp(d: string): string;
  /** ts + n milliseconds (n a JavaScript number). */
  abstract addMilliseconds(ts: string, n: number): string;
  /** ts + n calendar months, clamping the day to the target month's length and keeping the time of day. */
  abstract addMonths(ts: string, n: number): string;
  /** The start of the UTC calendar granule containing ts; weeks start on Sunday, decades/centuries/millennia on multiples of 10/100/1000 years. */
  abstract startOf(ts: string, unit: TimeUnit): string;
  abstract datePart(part: "year" | "month" | "day", ts: string): string;
  /** The UTC midnight starting y-m-d, or NULL when there is no such day (or an argument is not an integer). */
  abstract makeDate(y: string, m: string, d: string): string;

  // ------------------------------------------------------------ reading datasets and merging (src/sql/merge)

  /**
   * A JSON Lines file as a table with exactly these top-level columns, typed (never inferred), plus `pl_row`: the
   * row's 1-based number in the file. Timestamps are read with their offsets (an RFC 3339 `+02:00` is an instant).
   */
  abstract readJsonLines(path: string, columns: ReadonlyArray<readonly [string, SqlType]>): string;
  /**
   * Parquet files of one schema as one table of their columns, plus `pl_row` (the row's 1-based number in its file)
   * and `pl_path` (its file, as given).
   */
  abstract readParquet(paths: readonly string[]): string;
  /** The top-level columns of a Parquet file as the engine reads them: rows of `pl_name` and `pl_type` (the engine's type name). */
  abstract describeParquet(path: string): string;
  /** An error raised with this message when evaluated (a value that must not occur; branches not taken raise nothing). */
  abstract fail(message: string): string;
  /** The value of `v` on the row where `by` is largest, among rows where `v` is not NULL (an aggregate). */
  abstract argMax(v: string, by: string): string;
  /** The values of `v` as a list ordered by `by` (an aggregate; NULLs kept). */
  abstract orderedList(v: string, by: readonly string[]): string;
  /** The values of `v` as a list ordered by `key`, a scalar no two rows of a group share (an aggregate; NULLs kept). */
  abstract listOrderedByKey(v: string, key: string): string;
  /** The map from the values of `k` to those of `v`, its entries ordered by `key`, a value no two rows of a group share (an aggregate). */
  abstract mapOrderedByKey(k: string, v: string, key: string): string;
  /**
   * One scalar that orders as the pair (`high`, `low`) does, a NULL `high` last: `high` a BIGINT below 2^62 in
   * magnitude, `low` a non-negative BIGINT. Aggregates and sorts over one scalar cost a fraction of those over a struct.
   */
  abstract pairOrder(high: string, low: string): string;
  /**
   * One scalar that orders as the tuple of `fields` does: each a value and its width in bits, the value an integer in
   * [0, 2^width) (a boolean counts as 0 or 1), the widths at most 126 in all.
   */
  abstract tupleOrder(fields: ReadonlyArray<readonly [value: string, bits: number]>): string;
  /** The list in reverse order. */
  abstract listReverse(list: string): string;
  /** The value of `v` on the row where `by` is smallest (an aggregate). */
  abstract argMin(v: string, by: string): string;
  /** A map as a list of STRUCT(key, value), in the map's order. */
  abstract mapEntries(map: string): string;
  /** The last element of a list; NULL for an empty list. */
  abstract listLast(list: string): string;
  /** A list's elements as rows (in a SELECT list, beside columns of the same row). */
  abstract unnest(list: string): string;
  /** The 1-based positions of a list's elements as rows, in step with `unnest` of the same list. */
  abstract unnestIndex(list: string): string;
  /**
   * A row's 0-based place in its table as the table was filled (selected straight from the table): a table made by
   * a sorted SELECT numbers its rows in that order, where a window's row_number over the whole table sorts on one thread.
   */
  abstract readonly tableRowIndex: string;
  /** TRUE when a string holds a character from U+E000 up: only such strings can order differently by UTF-16 code unit than by code point. */
  abstract mayOrderOtherwiseInUtf16(s: string): string;
  /** The engine's 64-bit hash of the values together, of any types: equal values hash alike (others may too). */
  abstract hash(values: readonly string[]): string;
}

/** True when the parenthesis opened at the first `(` closes at the last character (strings skipped). */
function closesAtEnd(sql: string): boolean {
  if (!sql.endsWith(")")) return false;
  let depth = 0;
  let inString = false;
  for (let i = sql.indexOf("("); i < sql.length; i++) {
    const c = sql[i];
    if (inString) {
      if (c === "'") inString = false;
      continue;
    }
    if (c === "'") inString = true;
    else if (c === "(") depth++;
    else if (c === ")") {
      depth--;
      if (depth === 0) return i === sql.length - 1;
    }
  }
  return false;
}
