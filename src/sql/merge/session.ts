/**
 * What the SQL merge needs from an engine connection: statements, small result sets, and integer columns
 * streamed out and appended back (the identity union-find runs in JavaScript over integer ids the engine hands
 * out and takes back; keys are hashed there too). The DuckDB connection is one (duckdb-session.ts). A streamed
 * result (intChunks, strings, rowChunks) is read to its end before the session runs anything else.
 */
/** A column of rows to append, given whole: text (VARCHAR), whole numbers (BIGINT, within ±2^53) or BOOLEAN; null is NULL. */
export type AppendColumn =
  | { readonly type: "varchar"; readonly values: readonly (string | null)[] }
  | { readonly type: "bigint"; readonly values: readonly (number | null)[] }
  | { readonly type: "boolean"; readonly values: readonly (boolean | null)[] };

export interface SqlSession {
  run(sql: string): Promise<void>;
  /**
   * Runs statements that do not depend on one another, each on one engine thread, as many at once as the session has
   * threads (one at a time, on all of them, where it can run only one), and tells `done` as each ends (its place in `statements`, its time, and its error when it failed):
   * statements that use several threads poorly (a COPY sorting and writing a file) end sooner side by side.
   * Rejects with the first failure, once the statements still running have stopped.
   */
  runEach(statements: readonly string[], done?: (index: number, ms: number, error?: unknown) => void): Promise<void>;
  /** A small result as JSON-like row objects. */
  rows(sql: string): Promise<Array<Record<string, unknown>>>;
  /** The INTEGER columns of a query, chunk by chunk (NULLs as -1). */
  intChunks(sql: string): AsyncIterable<Int32Array[]>;
  /** Appends rows to an existing table of INTEGER columns, given column-wise. */
  appendInts(table: string, columns: readonly Int32Array[]): Promise<void>;
  /** Appends rows to an existing table whose columns have the given types, given column-wise (no SQL text per value). */
  appendColumns(table: string, columns: readonly AppendColumn[]): Promise<void>;
  /** The first column of a query as strings, chunk by chunk (for work done in JavaScript over large results). */
  strings(sql: string): AsyncIterable<string[]>;
  /** A large result as rows of JSON-like values (as `rows` gives them, by column position), `size` rows at a time (the last chunk fewer). */
  rowChunks(sql: string, size: number): AsyncIterable<unknown[][]>;
  /** Tells a trace of the statements (`--explain-sql`) what was done between them, where one is kept. */
  note?(what: string): void;
}
