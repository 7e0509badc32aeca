/**
 * `profile-lab check`: every error of every segment definition before any data is read, and with `--data`
 * every row of every dataset against its schema.
 */
import { checkSandboxData, formatDataCheck, formatDataIssue, type DataCheckReport } from "../../engine/check-data.js";
import { checkSandboxSegments, openSandbox, type SegmentCheckResult } from "../../engine/sandbox.js";
import { closureAnswers, type SqlCompileError } from "../../sql/errors.js";
import { duckdbRefusal } from "../../sql/merge/segment-pass.js";
import { intOption } from "../args.js";
import type { CliIo, CommandRun, ParsedArgs } from "../command.js";
import { printJson } from "../print.js";
import { countReporter } from "../progress.js";

/** A checked definition, and why the SQL back end does not compile it when it does not (valid definitions only). */
type Checked = SegmentCheckResult & { readonly duckdbRefusal?: SqlCompileError };

function engineFields(valid: boolean, refusal: SqlCompileError | undefined): Record<string, unknown> {
  if (!valid) return { engines: [] };
  if (refusal === undefined) return { engines: ["duckdb", "reference"], duckdbBackEnd: "sql" };
  const duckdbRefusal = { code: refusal.code, message: refusal.message, location: refusal.location };
  return closureAnswers(refusal) ? { engines: ["duckdb", "reference"], duckdbBackEnd: "closure", duckdbRefusal } : { engines: ["reference"], duckdbRefusal };
}

function segmentJson(results: readonly Checked[]): unknown[] {
  return results.map(({ file, definition, check, duckdbRefusal }) => ({
    segmentId: definition.id,
    name: definition.name,
    file,
    valid: check.errors.length === 0,
    errors: check.errors.map((e) => ({ code: e.code, message: e.message, location: e.location })),
    evaluationInfo: check.eligibility && { batch: { enabled: true }, continuous: { enabled: check.eligibility.streaming }, synchronous: { enabled: check.eligibility.edge } },
    reasons: check.eligibility?.reasons ?? [],
    // Not platform fields: which of profile-lab's job engines run the definition, which back end decides it on DuckDB
    // (`sql`, or `closure`: the closure compiler over DuckDB's rows), and why SQL does not when it does not.
    ...engineFields(check.errors.length === 0, duckdbRefusal),
  }));
}

function printSegments(io: CliIo, results: readonly Checked[]): void {
  for (const { definition, check, duckdbRefusal } of results) {
    const e = check.eligibility;
    const where = e ? `batch${e.streaming ? ", streaming" : ""}${e.edge ? ", edge" : ""}` : "does not parse";
    io.out(`${check.errors.length ? "✗" : "✓"} ${definition.name} (${definition.id}): ${where}`);
    for (const error of check.errors) io.out(error.format().replace(/^/gm, "    "));
    if (e && !check.errors.length && e.reasons.length) io.out(`    not streaming/edge: ${e.reasons.join("; ")}`);
    if (duckdbRefusal !== undefined) {
      const how = closureAnswers(duckdbRefusal) ? "DuckDB engine, closure compiler over DuckDB's rows" : "reference engine only";
      io.out(`    ${how}: ${duckdbRefusal.format().replace(/\n/g, "\n    ")}`);
    }
  }
  const failed = results.filter((r) => r.check.errors.length > 0).length;
  io.out(`\n${results.length - failed} of ${results.length} segment definitions are valid`);
}

/** Every row of every dataset (the sandbox's definitions are read without its segments, so a broken one does not stop this). */
async function checkData(args: ParsedArgs): Promise<DataCheckReport> {
  const sandbox = openSandbox(args.values["sandbox"] as string, { segments: false });
  const progress = countReporter("check --data", "files");
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  process.once("SIGINT", abort);
  try {
    return await checkSandboxData(sandbox, {
      maxErrors: intOption(args, "max-errors")!,
      signal: controller.signal,
      onProgress: (p) => progress.onProgress(p.fileIndex, p.files),
    });
  } finally {
    process.off("SIGINT", abort);
    progress.done();
  }
}

function printData(io: CliIo, report: DataCheckReport): void {
  io.out(`\n${formatDataCheck(report)}`);
  // The summary shows a few examples per path; the list shows every problem up to --max-errors.
  const shown = report.byFile.reduce((n, f) => n + f.paths.reduce((m, p) => m + p.examples.length, 0) + (f.unreadable ? 1 : 0), 0);
  if (shown >= report.errorCount) return;
  io.out(`\nEvery problem${report.truncated ? ` (the first ${report.errors.length} of ${report.errorCount.toLocaleString("en-US")}; --max-errors for more)` : ""}:`);
  for (const issue of report.errors) io.out(`  ${formatDataIssue(issue)}`);
}

export const run: CommandRun = async (args, io) => {
  const segments: Checked[] = checkSandboxSegments(args.values["sandbox"] as string, args.values["segment"] as string[] | undefined).map((r) => {
    const refusal = r.check.errors.length === 0 ? duckdbRefusal(r) : undefined;
    return refusal === undefined ? r : { ...r, duckdbRefusal: refusal };
  });
  const data = args.values["data"] === true ? await checkData(args) : undefined;
  const valid = segments.every((r) => r.check.errors.length === 0) && (data === undefined || data.valid);
  if (args.values["json"]) {
    printJson(io, data === undefined ? segmentJson(segments) : { segments: segmentJson(segments), data });
  } else {
    printSegments(io, segments);
    if (data !== undefined) printData(io, data);
  }
  return valid ? 0 : 1;
};
