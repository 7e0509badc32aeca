/** The DuckDB baseline's SQL (bench/baseline-duckdb.sql) with its placeholders filled in. */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The generator's datasets, by the placeholder each has in the SQL. */
export const BASELINE_DATASETS = { crm: "CRM Profiles", loyalty: "Loyalty Members", web: "Web Sign-ups", events: "Web and Commerce Events" } as const;

export type BaselineDataset = keyof typeof BASELINE_DATASETS;

/** The SQL, with each dataset read by `tableOf` (a DuckDB table expression) and Parquet written under `out`. */
export function baselineSql(tableOf: (dataset: BaselineDataset) => string, out: string): string {
  let sql = readFileSync(join(import.meta.dirname, "baseline-duckdb.sql"), "utf8");
  for (const key of Object.keys(BASELINE_DATASETS) as BaselineDataset[]) sql = sql.replaceAll(`{{${key}}}`, tableOf(key));
  return sql.replaceAll("{{out}}", out);
}
