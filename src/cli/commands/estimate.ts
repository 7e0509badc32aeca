/** `profile-lab estimate --pql <PQL> | --segment <id or name>`: the audience size from a sample, with a 95 % interval, nothing written. */
import { estimate } from "../../engine/preview.js";
import { asOfOf, intOption, sandboxOf, statusModelOf } from "../args.js";
import { UsageError, type CommandRun } from "../command.js";
import { count, printJson } from "../print.js";
import { previewTarget } from "./preview.js";

export const run: CommandRun = async (args, io) => {
  const sampleSize = intOption(args, "sample-size");
  if (sampleSize === 0) throw new UsageError("--sample-size must be at least 1");
  const target = previewTarget(args);
  const sandbox = sandboxOf(args);
  const r = await estimate(sandbox, { ...target, asOf: asOfOf(args, sandbox.manifest.referenceTime), statusModel: statusModelOf(args), ...(sampleSize !== undefined ? { sampleSize } : {}) });
  if (args.values["json"]) {
    printJson(io, r);
    return 0;
  }
  const [low, high] = r.confidenceRange;
  io.out(`About ${count(r.estimatedSize)} profiles (95% interval ${count(low)}–${count(high)}, standard error ${count(r.standardError)}) as of ${r.asOf}, merge policy ${r.mergePolicyId}`);
  io.out(`Sample: ${count(r.profilesReadSoFar)} of ${count(r.totalRows)} profiles read, ${count(r.profilesMatchedSoFar)} matched`);
  return 0;
};
