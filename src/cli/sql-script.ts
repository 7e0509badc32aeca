/** `--explain-sql`: the statements a job ran on DuckDB, printed as a SQL script. */
import type { JobEngine } from "../engine/job-engine.js";
import type { SqlStatement } from "../sql/jobs/engine-session.js";
import { UsageError, type ParsedArgs } from "./command.js";

/** Whether `--explain-sql` was given; it shows the DuckDB engine's SQL, so it needs `--engine duckdb`. */
export function explainSqlOf(args: ParsedArgs, engine: JobEngine): boolean {
  const explain = args.values["explain-sql"] === true;
  if (explain && engine !== "duckdb") throw new UsageError("--explain-sql shows the SQL of the DuckDB engine: add --engine duckdb");
  return explain;
}

/** The statements as a script: each after a comment with its stage and wall time; work done in JavaScript as comments. */
export function sqlScript(statements: readonly SqlStatement[]): string {
  return statements
    .map((s) => {
      const head = `-- ${s.stage}${s.ms > 0 ? ` (${s.ms < 10 ? s.ms.toFixed(1) : Math.round(s.ms).toLocaleString("en-US")} ms)` : ""}`;
      return s.note ? `${head}\n${s.sql.replace(/^/gm, "-- ")}\n` : `${head}\n${s.sql};\n`;
    })
    .join("\n");
}
