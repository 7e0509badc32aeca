/**
 * Which engine runs a job: `duckdb` reads, merges and evaluates in SQL on an embedded DuckDB; `reference` is the JS
 * merge and the closure compiler (the semantics `explain` and the tests hold DuckDB to), in memory in this thread.
 */
export const JOB_ENGINES = ["duckdb", "reference"] as const;

export type JobEngine = (typeof JOB_ENGINES)[number];
