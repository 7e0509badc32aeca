/** `profile-lab check`: every error of every segment definition before any data is read. */
import { checkSandboxSegments } from "../../engine/sandbox.js";
import type { CommandRun } from "../command.js";
import { printJson } from "../print.js";

export const run: CommandRun = async (args, io) => {
  const results = checkSandboxSegments(args.values["sandbox"] as string, args.values["segment"] as string[] | undefined);
  const failed = results.filter((r) => r.check.errors.length > 0).length;
  if (args.values["json"]) {
    printJson(
      io,
      results.map(({ file, definition, check }) => ({
        segmentId: definition.id,
        name: definition.name,
        file,
        valid: check.errors.length === 0,
        errors: check.errors.map((e) => ({ code: e.code, message: e.message, location: e.location })),
        evaluationInfo: check.eligibility && { batch: { enabled: true }, continuous: { enabled: check.eligibility.streaming }, synchronous: { enabled: check.eligibility.edge } },
        reasons: check.eligibility?.reasons ?? [],
      })),
    );
  } else {
    for (const { definition, check } of results) {
      const e = check.eligibility;
      const where = e ? `batch${e.streaming ? ", streaming" : ""}${e.edge ? ", edge" : ""}` : "does not parse";
      io.out(`${check.errors.length ? "✗" : "✓"} ${definition.name} (${definition.id}): ${where}`);
      for (const error of check.errors) io.out(error.format().replace(/^/gm, "    "));
      if (e && !check.errors.length && e.reasons.length) io.out(`    not streaming/edge: ${e.reasons.join("; ")}`);
    }
    io.out(`\n${results.length - failed} of ${results.length} segment definitions are valid`);
  }
  return failed > 0 ? 1 : 0;
};
