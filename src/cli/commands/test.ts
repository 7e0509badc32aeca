/** `profile-lab test [name-filter]`: runs the sandbox's segment tests (tests/*.yaml|json) and reports pass or fail. */
import { jsonReport, junitReport, prettyReport, REPORTERS, type ReporterName } from "../../testing/reporters.js";
import { runSegmentTests } from "../../testing/run-tests.js";
import { sandboxOf, stringOption } from "../args.js";
import { UsageError, type CommandRun } from "../command.js";
import { explanationText } from "../explain-text.js";

function reporterOf(value: string | undefined, json: boolean): ReporterName {
  if (json) return "json";
  const name = value ?? "pretty";
  if (!(REPORTERS as readonly string[]).includes(name)) throw new UsageError(`--reporter must be ${REPORTERS.join(", ")}, not "${name}"`);
  return name as ReporterName;
}

export const run: CommandRun = async (args, io) => {
  const reporter = reporterOf(stringOption(args, "reporter"), args.values["json"] === true);
  const sandbox = sandboxOf(args);
  const filter = args.positionals[0];
  const summary = await runSegmentTests(sandbox, filter !== undefined ? { filter } : {});
  if (reporter === "json") io.out(jsonReport(summary));
  else if (reporter === "junit") io.out(junitReport(summary, sandbox.manifest.name, explanationText));
  else io.out(prettyReport(summary, explanationText));
  return summary.failed + summary.errors > 0 ? 1 : 0;
};
