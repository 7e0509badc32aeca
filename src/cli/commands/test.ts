/** `profile-lab test [name-filter]`: runs the sandbox's segment tests (tests/*.yaml|json) and reports pass or fail; `--watch` reruns them on changes. */
import type { Sandbox } from "../../engine/sandbox.js";
import { jsonReport, junitReport, prettyReport, REPORTERS, type ReporterName } from "../../testing/reporters.js";
import { runSegmentTests, type TestSummary } from "../../testing/run-tests.js";
import { watchSegmentTests } from "../../testing/watch.js";
import { ProfileLabError } from "../../xdm/errors.js";
import { sandboxOf, stringOption } from "../args.js";
import { UsageError, type CliIo, type CommandRun } from "../command.js";
import { explanationText } from "../explain-text.js";

function reporterOf(value: string | undefined, json: boolean): ReporterName {
  if (json) return "json";
  const name = value ?? "pretty";
  if (!(REPORTERS as readonly string[]).includes(name)) throw new UsageError(`--reporter must be ${REPORTERS.join(", ")}, not "${name}"`);
  return name as ReporterName;
}

function report(io: CliIo, reporter: ReporterName, summary: TestSummary, suiteName: string): void {
  if (reporter === "json") io.out(jsonReport(summary));
  else if (reporter === "junit") io.out(junitReport(summary, suiteName, explanationText));
  else io.out(prettyReport(summary, explanationText));
}

const exitCode = (summary: TestSummary): number => (summary.failed + summary.errors > 0 ? 1 : 0);

/** Runs, then reruns on every change until Ctrl-C; exits with the last run's code. */
async function watchTests(io: CliIo, dir: string, reporter: ReporterName, filter: string | undefined): Promise<number> {
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  process.on("SIGINT", onInterrupt);
  let code = 0;
  try {
    await watchSegmentTests(dir, {
      ...(filter !== undefined ? { filter } : {}),
      signal: stop.signal,
      onRun: (summary, cause) => {
        if (cause[0] !== "start") io.out(`\n— rerun after a change to ${cause.join(", ")}`);
        report(io, reporter, summary, dir);
        code = exitCode(summary);
        if (cause[0] === "start") io.err("watching for changes (Ctrl-C to stop)");
      },
      onError: (e, cause) => {
        if (!(e instanceof ProfileLabError)) throw e;
        io.out(`\n— ${cause[0] === "start" ? "cannot start" : `after a change to ${cause.join(", ")}`}: ${e.format()}`);
        code = 1;
      },
    });
  } finally {
    process.off("SIGINT", onInterrupt);
  }
  return code;
}

export const run: CommandRun = async (args, io) => {
  const reporter = reporterOf(stringOption(args, "reporter"), args.values["json"] === true);
  const filter = args.positionals[0];
  if (args.values["watch"] === true) return watchTests(io, args.values["sandbox"] as string, reporter, filter);
  const sandbox: Sandbox = sandboxOf(args);
  const summary = await runSegmentTests(sandbox, filter !== undefined ? { filter } : {});
  report(io, reporter, summary, sandbox.manifest.name);
  return exitCode(summary);
};
