/**
 * The SQL back end: checked PQL ASTs → SQL expressions over one row per profile (row-shape.ts), for a
 * dialect (DuckDB first). The closure compiler in src/pql is the reference; test/sql holds the two equal on the
 * conformance corpus.
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
