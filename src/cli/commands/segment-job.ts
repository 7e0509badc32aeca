/** `profile-lab segment-job`: evaluate segment definitions and update segmentMembership. */
import { findSegment } from "../../engine/sandbox.js";
import { runSegmentJob } from "../../engine/run-segment-job.js";
import type { SqlStatement } from "../../sql/jobs/engine-session.js";
import { explainedOnFailure, jobEngineOf, sqlScript } from "../sql-script.js";
import { parseSegmentJobRequest } from "../../segment/segment-job-list.js";
import { asOfOf, memoryOf, requestOf, sandboxOf, statusModelOf, stringOption, workersOf } from "../args.js";
import type { CommandRun } from "../command.js";
import { cancelOnInterrupt } from "../interrupt.js";
import { printJson, printSegmentJob } from "../print.js";
import { progressReporter } from "../progress.js";

export const run: CommandRun = async (args, io) => {
  const sandbox = sandboxOf(args);
  const requestFile = stringOption(args, "request");
  const known = new Set(sandbox.segments.map((s) => s.definition.id));
  // --segment takes ids or exact names (a request body, as on the platform, ids only); an unknown one is left to the job's own error.
  const refs = args.values["segment"] as string[] | undefined;
  const request = requestFile === undefined ? undefined : requestOf(requestFile);
  const segmentIds = request !== undefined ? parseSegmentJobRequest(request.body, request.file, known) : refs?.map((ref) => findSegment(sandbox, ref)?.definition.id ?? ref);
  const { explain, ...engine } = jobEngineOf(args);
  const options = { segmentIds, asOf: asOfOf(args, undefined), statusModel: statusModelOf(args), ...engine, memoryBytes: memoryOf(args), ...workersOf(args) };
  const statements: SqlStatement[] = [];
  const progress = progressReporter("segment job");
  const interrupt = cancelOnInterrupt(sandbox.dir, progress.onProgress);
  const running = runSegmentJob(sandbox, { ...options, onProgress: interrupt.onProgress, ...(explain ? { onSql: (s: SqlStatement) => statements.push(s) } : {}) }).finally(() => {
    interrupt.dispose();
    progress.done();
  });
  const job = await explainedOnFailure(explain, statements, (text) => io.out(text), running);
  if (explain) {
    io.out(sqlScript(statements));
    io.err(`segment job ${job.id}: ${job.status}`);
  } else if (args.values["json"]) printJson(io, job);
  else printSegmentJob(io, sandbox, job);
  return 0;
};
