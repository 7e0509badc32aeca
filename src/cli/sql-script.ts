/** `--explain-sql`: the statements a job ran on DuckDB, printed as a SQL script. */
import type { JobEngine } from "../engine/job-engine.js";
import type { SqlStatement } from "../sql/jobs/engine-session.js";
import { engineOf } from "./args.js";
import { UsageError, type ParsedArgs } from "./command.js";

/**
 * `--engine` and whether `--explain-sql` was given. It shows the DuckDB engine's SQL, so it runs the job on DuckDB
 * (a segment DuckDB refuses is then an error, not a fall-back to the reference).
 */
export function jobEngineOf(args: ParsedArgs): { readonly engine?: JobEngine; readonly explain: boolean } {
  const explain = args.values["explain-sql"] === true;
  const engine = engineOf(args);
  if (explain && engine === "reference") throw new UsageError("--explain-sql shows the SQL of the DuckDB engine, not of --engine reference");
  const chosen = explain ? "duckdb" : engine;
  return chosen === undefined ? { explain } : { engine: chosen, explain };
}

/** The statements as a script: each after a comment with its stage and wall time; work done in JavaScript as comments. */
export function sqlScript(statements: readonly SqlStatement[]): string {
  return statements
    .map((s) => {
      const time = s.ms > 0 ? `${s.ms < 10 ? s.ms.toFixed(1) : Math.round(s.ms).toLocaleString("en-US")} ms` : undefined;
      const said = [time, s.failed === undefined ? undefined : `failed: ${s.failed}`].filter((x) => x !== undefined);
      const head = `-- ${s.stage}${said.length > 0 ? ` (${said.join("; ")})` : ""}`;
      return s.note ? `${head}\n${s.sql.replace(/^/gm, "-- ")}\n` : `${head}\n${s.sql};\n`;
    })
    .join("\n");
}

/**
 * `job`, and with `--explain-sql` the statements it ran printed even when it fails (up to the one that failed, marked
 * so), before its error: what a user needs to see where a job stopped.
 */
export async function explainedOnFailure<T>(explain: boolean, statements: readonly SqlStatement[], out: (text: string) => void, job: Promise<T>): Promise<T> {
  try {
    return await job;
  } catch (e) {
    if (explain && statements.length > 0) out(sqlScript(statements));
    throw e;
  }
}
