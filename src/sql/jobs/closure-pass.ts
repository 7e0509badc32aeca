/**
 * The segments of a policy the SQL back end refuses but the closure compiler answers for (closureAnswers), evaluated
 * by the closure compiler over the merged rows DuckDB hands back: only the columns they read, streamed in chunks,
 * each row converted to the values the JS merge gives (fromDuckDbJson), the decisions appended to a table that the
 * policy's pass joins (segment-job-sql.ts). `inSegment` reads the row's xSegments — the memberships before the run,
 * as the SQL pass and the reference read them — so these decisions and the SQL's need no order between them.
 */
import type { PqlExpr } from "../../pql/ast.js";
import { compileSegmentSet, type CompiledSegmentSet, type PqlSchema, type SegmentDefinitionExpression } from "../../pql/index.js";
import type { JsonObject } from "../../xdm/types.js";
import { fromDuckDbJson } from "../duckdb-values.js";
import { DUCKDB } from "../duckdb.js";
import { fieldUseOf } from "../merge/field-use.js";
import { MERGED_COLUMNS } from "../merge/merge-profiles.js";
import type { SqlSession } from "../merge/session.js";
import { ROW_SHAPE_NAMES } from "../row-shape.js";
import { listOf, sqlTypeOfXdm, structOf, structOfXdm, type SqlType } from "../types.js";

const d = DUCKDB;
/** The decisions of the closure's segments: (kid, c0, c1, …), `cj` the closure's j-th segment. */
export const CLOSURE_TABLE = "pl_closure";
/** Rows handed to the closure compiler at a time: bounded memory however many profiles. */
const CLOSURE_CHUNK_ROWS = 8192;

export interface ClosureSegment {
  /** Its place in the policy's pass (its `s<i>` column). */
  readonly index: number;
  readonly expression: SegmentDefinitionExpression;
  readonly file?: string;
  readonly ast: PqlExpr;
}

export interface ClosurePass {
  /** The segments' places in the policy's pass, in the closure's order. */
  readonly indexes: readonly number[];
  readonly decide: CompiledSegmentSet;
  /** The profile columns they read, typed as the merged table holds them. */
  readonly profile: SqlType & { readonly kind: "struct" };
  /** The events' type when they read events. */
  readonly events: SqlType | undefined;
}

/**
 * The closure's part of a policy's pass: `schema` is the whole schema (what the reference compiles against),
 * `pruned` the one the merged table is cut to (it holds at least what these segments read).
 */
export function closurePass(segments: readonly ClosureSegment[], schema: PqlSchema, pruned: PqlSchema): ClosurePass {
  const use = fieldUseOf(
    segments.map((s) => s.ast),
    schema,
  );
  const read = use.profile;
  const columns = [...pruned.profile.fields].filter(([name]) => read === true || read.has(name)).map(([name, t]) => [name, sqlTypeOfXdm(t)] as const);
  return {
    indexes: segments.map((s) => s.index),
    decide: compileSegmentSet(
      segments.map((s) => s.expression),
      schema,
      (i) => segments[i]!.file ?? "",
    ),
    profile: structOf(columns) as SqlType & { kind: "struct" },
    events: use.event === undefined ? undefined : listOf(structOfXdm(pruned.event)),
  };
}

export interface ClosureRunOptions {
  readonly now: number;
  /** Segment names to ids, for `inSegment("<name>")`. */
  readonly idsByName: ReadonlyMap<string, string>;
}

/** Creates CLOSURE_TABLE, empty, for the decisions of `pass` (runClosurePass appends them). */
export async function createClosureTable(session: SqlSession, pass: ClosurePass): Promise<void> {
  await session.run(`CREATE OR REPLACE TABLE ${CLOSURE_TABLE} (kid BIGINT${pass.indexes.map((_, j) => `, c${j} BOOLEAN`).join("")})`);
}

/**
 * Appends to CLOSURE_TABLE (createClosureTable) the decisions for every row of `rows` (the pass's view of the merged
 * profiles, or of one run of them), keyed by the profile's key id.
 */
export async function runClosurePass(session: SqlSession, pass: ClosurePass, rows: string, options: ClosureRunOptions): Promise<void> {
  const names = [...pass.profile.fields.keys()];
  const segments = d.ident(ROW_SHAPE_NAMES.segments);
  const events = pass.events === undefined ? "NULL" : `r.${d.ident(ROW_SHAPE_NAMES.events)}`;
  const select = `SELECT r.${d.ident(MERGED_COLUMNS.keyId)}, r.${segments}, ${events}${names.map((n) => `, r.${d.ident(n)}`).join("")} FROM ${d.ident(rows)} AS r`;
  const { now, idsByName } = options;
  // The decisions are kept until the rows are all read (a few bytes a profile; the rows themselves are not kept):
  // DuckDB ends a streamed result when its connection runs another statement, so nothing is appended before.
  const kids: number[] = [];
  const decisions: boolean[][] = pass.indexes.map(() => []);
  for await (const chunk of session.rowChunks(select, CLOSURE_CHUNK_ROWS)) {
    for (const row of chunk) {
      // The segments the profile was in before this run, as a set only when a segment asks (inSegment).
      let before: Set<string> | undefined;
      const profile: Record<string, unknown> = {};
      names.forEach((n, i) => (profile[n] = row[3 + i]));
      const decided = pass.decide({
        profile: fromDuckDbJson(profile, pass.profile) as JsonObject,
        events: pass.events === undefined ? [] : (fromDuckDbJson(row[2], pass.events) as JsonObject[]),
        now,
        inSegment: (ref) => (before ??= new Set(row[1] as string[])).has(idsByName.get(ref) ?? ref),
      });
      kids.push(Number(row[0]));
      decided.forEach((q, j) => decisions[j]!.push(q));
    }
  }
  await session.appendColumns(CLOSURE_TABLE, [{ type: "bigint", values: kids }, ...decisions.map((values) => ({ type: "boolean" as const, values }))]);
}

/** The pass's columns the closure decided, as a REPLACE list over the pass's rows joined to CLOSURE_TABLE `c`. */
export function closureColumns(pass: ClosurePass): string {
  return pass.indexes.map((i, j) => `c.c${j} AS s${i}`).join(", ");
}
