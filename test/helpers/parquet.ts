/** Reads exported Parquet back with DuckDB, the independent reader of the test suite. */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { join } from "node:path";
import type { ExportJob } from "../../src/export/export-job.js";

let connection: Promise<DuckDBConnection> | undefined;

export async function query(sql: string): Promise<Record<string, unknown>[]> {
  connection ??= DuckDBInstance.create(":memory:").then((db) => db.connect());
  return (await (await connection).runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
}

/** The glob of a batch's part files in a sandbox's lake. */
export function batchGlob(sandboxDir: string, job: ExportJob, batchId: string): string {
  return join(sandboxDir, ".profile-lab/lake/datasets", job.destination.datasetId, "batches", batchId, "*.parquet");
}

/** Column names of a batch's Parquet schema. */
export async function columns(glob: string): Promise<string[]> {
  return (await query(`DESCRIBE SELECT * FROM read_parquet('${glob}')`)).map((r) => r["column_name"] as string);
}
