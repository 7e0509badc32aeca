/**
 * All segments of a merge policy in one pass over its merged-profiles table: one SELECT with one Boolean column
 * per segment. `inSegment` reads the row's `xSegments` (the segments the profile was in before the run), as the
 * reference's segment job does (src/engine/segment-shard.ts evaluates against the prior snapshot), so the columns do
 * not depend on one another and need no evaluation order.
 */
import { pqlJsonToAst, parsePql, type PqlSchema, type SegmentDefinitionExpression } from "../../pql/index.js";
import type { SegmentDefinition } from "../../xdm/types.js";
import type { PqlExpr } from "../../pql/ast.js";
import { compilePqlPredicateToSql } from "../compiler.js";
import { closureAnswers, SqlCompileError, type SqlErrorCode } from "../errors.js";
import { countedEventNodes, type EventCounts } from "../event-counts.js";
import type { SqlDialect } from "../dialect.js";
import { DUCKDB } from "../duckdb.js";
import { ROW_SHAPE_NAMES } from "../row-shape.js";
import { MERGED_COLUMNS } from "./merge-profiles.js";
import type { SqlSession } from "./session.js";

export interface PassSegment {
  readonly id: string;
  /** For the error of a segment the SQL back end cannot run. */
  readonly name?: string;
  readonly expression: SegmentDefinitionExpression;
  /** The definition's file, for located errors. */
  readonly file?: string;
  /** Its expression already parsed (astOf), when the caller has it. */
  readonly parsed?: { readonly ast: PqlExpr; readonly text: string | undefined };
}

export interface SegmentPassOptions {
  readonly schema: PqlSchema;
  /** The evaluation instant, epoch ms. */
  readonly now: number;
  readonly dialect?: SqlDialect;
  /**
   * Segment names to ids: `inSegment("<name>")` is resolved to the id, as the reference resolves it, and the row's
   * `xSegments` holds ids only (a name that is also another segment's id must not match that segment).
   */
  readonly segmentIdsByName?: ReadonlyMap<string, string>;
  /**
   * The pass's counted event conditions (event-counts.ts): a segment's counted nodes read their counts from the row's
   * EVENT_COUNTS_COLUMN, their conditions added here. Undefined: everything is compiled over the events list.
   */
  readonly eventCounts?: EventCounts;
}

/** The segment's PQL as an AST (and its text, for error frames). */
export function astOf(segment: PassSegment): { readonly ast: PqlExpr; readonly text: string | undefined } {
  if (segment.parsed !== undefined) return segment.parsed;
  const e = segment.expression;
  return e.format === "pql/json" ? { ast: pqlJsonToAst(e.value, segment.file), text: undefined } : { ast: parsePql(e.value, segment.file), text: e.value };
}

/**
 * The SELECT of the profile keys and one Boolean column per segment (`s0`, `s1`, … in the order given), in profile
 * order. A segment the SQL back end cannot compile throws its coded SqlCompileError.
 */
export function segmentPassSql(table: string, segments: readonly PassSegment[], options: SegmentPassOptions): string {
  const dialect = options.dialect ?? DUCKDB;
  return passSql(
    table,
    segments.map((s) => compileSegmentSql(s, options, dialect)),
    dialect,
  );
}

/**
 * The pass's SELECT over `table`: the profile key (`pl_key`), or with `byKeyId` its key id (`pl_kid`: what a job joins
 * on; a join of 24M profiles on their keys' text took 14.8 s at 10M persons), and the given Boolean columns as `s0`,
 * `s1`, …, in profile order.
 */
export function passSql(table: string, columns: readonly string[], dialect: SqlDialect = DUCKDB, byKeyId = false): string {
  const alias = ROW_SHAPE_NAMES.alias;
  const key = byKeyId ? `${alias}.${dialect.ident(MERGED_COLUMNS.keyId)} AS pl_kid` : `${alias}.${dialect.ident(MERGED_COLUMNS.key)} AS pl_key`;
  const selected = [key, ...columns.map((c, i) => `${c} AS s${i}`)];
  return `SELECT ${selected.join(", ")} FROM ${dialect.ident(table)} AS ${dialect.ident(alias)} ORDER BY ${alias}.${dialect.ident(MERGED_COLUMNS.order)}`;
}

/**
 * The segment's predicate in SQL. A construct the SQL back end cannot run exactly is its coded error (SQL-U…), located
 * in the definition, saying which segment and what runs it instead: the closure compiler over DuckDB's rows
 * (closureAnswers), else only the reference engine.
 */
export function compileSegmentSql(s: PassSegment, options: SegmentPassOptions, dialect: SqlDialect = options.dialect ?? DUCKDB): string {
  const byName = options.segmentIdsByName;
  const { ast, text } = astOf(s);
  const counts = options.eventCounts;
  const mark = counts?.size ?? 0;
  try {
    return compilePqlPredicateToSql(ast, {
      schema: options.schema,
      now: options.now,
      dialect,
      ...(counts === undefined ? {} : { eventCounts: { nodes: countedEventNodes(ast), counts } }),
      ...(byName === undefined ? {} : { inSegment: (ref: string) => dialect.listContains(dialect.field(ROW_SHAPE_NAMES.alias, ROW_SHAPE_NAMES.segments), dialect.string(byName.get(ref) ?? ref)) }),
      ...(text === undefined ? {} : { text }),
      ...(s.file === undefined ? {} : { file: s.file }),
    });
  } catch (e) {
    counts?.truncate(mark);
    if (!(e instanceof SqlCompileError)) throw e;
    const segment = s.name === undefined ? `"${s.id}"` : `"${s.name}" (${s.id})`;
    const message = closureAnswers(e)
      ? `segment ${segment} is not compiled to SQL: ${e.message}; the DuckDB engine evaluates it with the closure compiler over the rows DuckDB hands back`
      : `segment ${segment} cannot run on the DuckDB engine: ${e.message}; the reference engine runs it (--engine reference)`;
    const error = new SqlCompileError(e.code as SqlErrorCode, message, e.span, text, s.file);
    // Line and column point into the PQL text of the definition file.
    throw text === undefined ? error : error.inJsonValue("$.expression.value");
  }
}

/** The keys of the profiles that qualify for each segment (by id), in profile order, from one pass. */
export async function evaluateSegmentPass(session: SqlSession, table: string, segments: readonly PassSegment[], options: SegmentPassOptions): Promise<Map<string, string[]>> {
  const rows = await session.rows(segmentPassSql(table, segments, options));
  const out = new Map<string, string[]>(segments.map((s) => [s.id, []]));
  for (const row of rows) segments.forEach((s, i) => row[`s${i}`] === true && out.get(s.id)!.push(String(row["pl_key"])));
  return out;
}

/**
 * Why the SQL back end does not compile a definition the checker accepted, or undefined when it does: the few
 * constructs it refuses rather than compile differently. closureAnswers says whether the DuckDB engine still runs it
 * (with the closure compiler over its rows) or only the reference engine does.
 */
export function duckdbRefusal(checked: { readonly file: string; readonly definition: SegmentDefinition; readonly schema: PqlSchema }): SqlCompileError | undefined {
  const { file, definition, schema } = checked;
  try {
    compileSegmentSql({ id: definition.id, name: definition.name, expression: definition.expression, file }, { schema, now: Date.now() });
    return undefined;
  } catch (e) {
    if (e instanceof SqlCompileError) return e;
    throw e;
  }
}
