/** `profile-lab export --request <file.json>`: an export job from the platform's request body. */
import { basename } from "node:path";
import { runExportJob } from "../../engine/run-export-job.js";
import { asOfOf, intOption, memoryOf, requestOf, sandboxOf, statusModelOf, workersOf } from "../args.js";
import { requireString, UsageError, type CommandRun } from "../command.js";
import { cancelOnInterrupt } from "../interrupt.js";
import { printExport, printExportWarnings, printJson } from "../print.js";
import { progressReporter } from "../progress.js";
import { explainedOnFailure, jobEngineOf, sqlScript } from "../sql-script.js";
import type { SqlStatement } from "../../sql/jobs/engine-session.js";

export const run: CommandRun = async (args, io) => {
  const { file: requestFile, body } = requestOf(requireString(args, "request"));
  const sandbox = sandboxOf(args);
  const rowsPerFile = intOption(args, "rows-per-file");
  if (rowsPerFile === 0) throw new UsageError("--rows-per-file must be at least 1");
  const { explain, ...engine } = jobEngineOf(args);
  const options = { asOf: asOfOf(args, undefined), statusModel: statusModelOf(args), ...engine, requestFile, memoryBytes: memoryOf(args), ...workersOf(args), ...(rowsPerFile !== undefined ? { rowsPerFile } : {}) };
  const statements: SqlStatement[] = [];
  const progress = progressReporter("export job");
  const interrupt = cancelOnInterrupt(sandbox.dir, progress.onProgress);
  const running = runExportJob(sandbox, body, { ...options, onProgress: interrupt.onProgress, ...(explain ? { onSql: (s: SqlStatement) => statements.push(s) } : {}) }).finally(() => {
    interrupt.dispose();
    progress.done();
  });
  const result = await explainedOnFailure(explain, statements, (text) => io.out(text), running);
  printExportWarnings(io, result);
  if (explain) {
    io.out(sqlScript(statements));
    io.err(`export job ${result.job.id}: ${result.job.status}`);
  } else if (args.values["json"]) printJson(io, result.job);
  else printExport(io, sandbox, result, basename(requestFile));
  return 0;
};
