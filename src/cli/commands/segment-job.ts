/** `profile-lab segment-job`: evaluate segment definitions and update segmentMembership. */
import { findSegment } from "../../engine/evaluate.js";
import { runSegmentJob } from "../../engine/run-segment-job.js";
import type { SqlStatement } from "../../sql/jobs/engine-session.js";
import { parseSegmentJobRequest } from "../../segment/segment-job-list.js";
import { asOfOf, engineOf, memoryOf, requestOf, sandboxOf, statusModelOf, stringOption, workersOf } from "../args.js";
import { UsageError, type CommandRun } from "../command.js";
import { cancelOnInterrupt } from "../interrupt.js";
import { printJson, printSegmentJob } from "../print.js";
import { progressReporter } from "../progress.js";

/** The statements as a script: each after a comment with its stage and wall time; work done in JavaScript as comments. */
function sqlScript(statements: readonly SqlStatement[]): string {
  return statements
    .map((s) => {
      const head = `-- ${s.stage}${s.ms > 0 ? ` (${s.ms < 10 ? s.ms.toFixed(1) : Math.round(s.ms).toLocaleString("en-US")} ms)` : ""}`;
      return s.note ? `${head}\n${s.sql.replace(/^/gm, "-- ")}\n` : `${head}\n${s.sql};\n`;
    })
    .join("\n");
}

export const run: CommandRun = async (args, io) => {
  const sandbox = sandboxOf(args);
  const requestFile = stringOption(args, "request");
  const known = new Set(sandbox.segments.map((s) => s.definition.id));
  // --segment takes ids or exact names (a request body, as on the platform, ids only); an unknown one is left to the job's own error.
  const refs = args.values["segment"] as string[] | undefined;
  const request = requestFile === undefined ? undefined : requestOf(requestFile);
  const segmentIds = request !== undefined ? parseSegmentJobRequest(request.body, request.file, known) : refs?.map((ref) => findSegment(sandbox, ref)?.definition.id ?? ref);
  const options = { segmentIds, asOf: asOfOf(args, undefined), statusModel: statusModelOf(args), engine: engineOf(args), memoryBytes: memoryOf(args), ...workersOf(args) };
  const explain = args.values["explain-sql"] === true;
  if (explain && options.engine !== "duckdb") throw new UsageError("--explain-sql shows the SQL of the DuckDB engine: add --engine duckdb");
  const statements: SqlStatement[] = [];
  const progress = progressReporter("segment job");
  const interrupt = cancelOnInterrupt(sandbox.dir, progress.onProgress);
  const job = await runSegmentJob(sandbox, { ...options, onProgress: interrupt.onProgress, ...(explain ? { onSql: (s: SqlStatement) => statements.push(s) } : {}) }).finally(() => {
    interrupt.dispose();
    progress.done();
  });
  if (explain) {
    io.out(sqlScript(statements));
    io.err(`segment job ${job.id}: ${job.status}`);
  } else if (args.values["json"]) printJson(io, job);
  else printSegmentJob(io, sandbox, job);
  return 0;
};
