/** `profile-lab segment-job`: evaluate segment definitions and update segmentMembership. */
import { runSegmentJob } from "../../engine/run-segment-job.js";
import { readJsonFile } from "../../io/json-file.js";
import { SegmentError } from "../../segment/segment-error.js";
import { parseSegmentJobRequest } from "../../segment/segment-job-list.js";
import { asOfOf, memoryOf, sandboxOf, statusModelOf, stringOption, workersOf } from "../args.js";
import type { CommandRun } from "../command.js";
import { cancelOnInterrupt } from "../interrupt.js";
import { printJson, printSegmentJob } from "../print.js";
import { progressReporter } from "../progress.js";

/** The segment ids of a POST /segment/jobs body; an unknown one is named with the file and its JSON path. */
function requestedSegments(file: string, known: ReadonlySet<string>): string[] {
  const body = readJsonFile(file);
  const ids = parseSegmentJobRequest(body, file);
  ids.forEach((id, i) => {
    if (id === "*" || known.has(id)) return;
    const jsonPath = Array.isArray(body) ? `$[${i}].segmentId` : `$.segments[${i}].segmentId`;
    throw new SegmentError("SEG-J001", `unknown segment "${id}"; known segments: ${[...known].join(", ") || "none"}`, { file, jsonPath });
  });
  return ids;
}

export const run: CommandRun = async (args, io) => {
  const sandbox = sandboxOf(args);
  const requestFile = stringOption(args, "request");
  const segmentIds = requestFile !== undefined ? requestedSegments(requestFile, new Set(sandbox.segments.map((s) => s.definition.id))) : (args.values["segment"] as string[] | undefined);
  const options = { segmentIds, asOf: asOfOf(args, undefined), statusModel: statusModelOf(args), memoryBytes: memoryOf(args), ...workersOf(args) };
  const progress = progressReporter("segment job");
  const interrupt = cancelOnInterrupt(sandbox.dir, progress.onProgress);
  const job = await runSegmentJob(sandbox, { ...options, onProgress: interrupt.onProgress }).finally(() => {
    interrupt.dispose();
    progress.done();
  });
  if (args.values["json"]) printJson(io, job);
  else printSegmentJob(io, sandbox, job);
  return 0;
};
