/**
 * The SQL back end: checked PQL ASTs → SQL expressions over one row per profile (row-shape.ts), for a
 * dialect (DuckDB first), and the merge of a sandbox's datasets into such rows per merge policy (merge/). The
 * closure compiler in src/pql and the JS merge in src/merge are the reference; test/sql holds the two equal.
 */
export { compilePqlPredicateToSql, compilePqlToSql } from "./compiler.js";
export type { CompiledSql, SqlCompileOptions } from "./compiler.js";
export { SqlDialect } from "./dialect.js";
export type { DialectRegex } from "./dialect.js";
export { DUCKDB, DuckDbDialect } from "./duckdb.js";
export { fromDuckDbJson } from "./duckdb-values.js";
export { SQL_ERROR_CODES, SqlCompileError } from "./errors.js";
export type { SqlErrorCode } from "./errors.js";
export { re2GroupCount } from "./re2.js";
export { createRowTableSql, literalOf, profileRowSql, ROW_SHAPE_NAMES, rowColumns } from "./row-shape.js";
export type { RowShapeNames } from "./row-shape.js";
export { describeSqlType, sqlTypeOfXdm } from "./types.js";
export type { SqlType } from "./types.js";
export { DuckDbSession } from "./merge/duckdb-session.js";
export type { ComponentMethod } from "./merge/identities.js";
export { MERGED_COLUMNS } from "./merge/merge-profiles.js";
export { evaluateSegmentPass, segmentPassSql } from "./merge/segment-pass.js";
export type { PassSegment, SegmentPassOptions } from "./merge/segment-pass.js";
export type { SqlSession } from "./merge/session.js";
export { mergeSourcesOf } from "./merge/sources.js";
export type { MergeSources, SourceDataset, SourceFile } from "./merge/sources.js";
export { SqlMerge } from "./merge/sql-merge.js";
export type { SqlMergeOptions, StageTime } from "./merge/sql-merge.js";
