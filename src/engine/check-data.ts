/**
 * `check --data`: every row of every data file validated as the jobs validate it, with every problem counted
 * instead of the first stopping the job. The first `maxErrors` problems are listed; all are counted and
 * grouped by file and JSON path. Files are streamed as the jobs stream them (JSON Lines line by line,
 * Parquet batch by batch), so memory stays flat whatever their size; a file that cannot be read is one
 * problem for that file and the check goes on with the next.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { parseJson } from "../io/json-file.js";
import { readLines } from "../io/jsonl.js";
import { unopenableDataFile } from "../io/data-file.js";
import { ProfileLabError } from "../xdm/errors.js";
import type { JsonObject } from "../xdm/types.js";
import { recordIssues } from "../xdm/validate.js";
import { dataFiles, type DataFile } from "./data-files.js";
import { fileRows, toFragment } from "./load-data.js";
import { SandboxError } from "./sandbox-error.js";
import type { Sandbox } from "./sandbox.js";

export interface DataCheckOptions {
  /** How many problems to list in the report (all are counted). Default 100. */
  readonly maxErrors?: number;
  /** Dataset ids (or names) to check; default: every profile and event dataset. */
  readonly datasets?: readonly string[];
  /** Called when a file starts and ends and every few thousand rows. */
  readonly onProgress?: (progress: DataCheckProgress) => void;
  /** Stops the check between rows; the report then says `complete: false`. */
  readonly signal?: AbortSignal;
}

export interface DataCheckProgress {
  /** The file being read, as listed in sandbox.json. */
  readonly file: string;
  /** 0-based index of that file among the `files` checked. */
  readonly fileIndex: number;
  readonly files: number;
  /** Rows checked in this file so far. */
  readonly fileRows: number;
  /** Rows checked in every file so far. */
  readonly rowsChecked: number;
  readonly badRows: number;
  readonly errorCount: number;
}

/**
 * One problem: a bad row's (a row can have several, one per JSON path) or a whole file's (missing, a
 * directory, not Parquet, damaged).
 */
export type DataIssue = RowIssue | FileIssue;

export interface RowIssue {
  readonly kind: "row";
  /** IO-D001 (the row breaks its schema or lacks what a fragment needs) or IO-J001 (malformed JSON). */
  readonly code: string;
  readonly message: string;
  readonly datasetId: string;
  /** The data file, as listed in sandbox.json (relative to the sandbox). */
  readonly file: string;
  /** JSON Lines: 1-based line in the file. */
  readonly line?: number;
  /** Parquet: 1-based row in the file. */
  readonly row?: number;
  /** Malformed JSON: 1-based column in the line. */
  readonly column?: number;
  /** JSON path of the offending value in the row (absent for malformed JSON). */
  readonly jsonPath?: string;
}

export interface FileIssue {
  readonly kind: "file";
  /** IO-F001 missing or unreadable, IO-F003 a directory, IO-P001 not Parquet or truncated, IO-P002/IO-P003 columns that do not decode. */
  readonly code: string;
  readonly message: string;
  readonly datasetId: string;
  readonly file: string;
  /** JSON path of the file's entry in sandbox.json, e.g. `$.datasets[1].files[0]`. */
  readonly entry: string;
}

/** A file's problems at one JSON path (array indexes as `[*]`) with one code. */
export interface DataPathReport {
  /** Null for malformed JSON lines, which have no path. */
  readonly jsonPath: string | null;
  readonly code: string;
  /** Problems at this path, all of them (past `maxErrors` too). */
  readonly count: number;
  /** The first few of them. */
  readonly examples: readonly RowIssue[];
}

export interface DataFileReport {
  /** As listed in sandbox.json. */
  readonly file: string;
  readonly datasetId: string;
  readonly datasetName: string;
  readonly format: "jsonl" | "parquet";
  /** Rows read and checked (up to the point where an unreadable file stopped). */
  readonly rowsChecked: number;
  readonly badRows: number;
  /** Problems in this file, its `unreadable` one included. */
  readonly errorCount: number;
  /** Why the file could not be read (at all, or past `rowsChecked` rows). */
  readonly unreadable?: FileIssue;
  /** Row problems by JSON path and code, most frequent first. */
  readonly paths: readonly DataPathReport[];
  /** Row problems at paths beyond the first MAX_PATHS_PER_FILE distinct ones: counted, not grouped. */
  readonly ungrouped: number;
}

export interface DataCheckReport {
  readonly sandbox: string;
  /** No problem found and every file read to its end. */
  readonly valid: boolean;
  /** False when `signal` stopped the check before the last row. */
  readonly complete: boolean;
  readonly maxErrors: number;
  /** Data files checked. */
  readonly files: number;
  readonly rowsChecked: number;
  /** Rows with at least one problem, all of them. */
  readonly badRows: number;
  /** Files that could not be read (to their end). */
  readonly unreadableFiles: number;
  /** Every problem found: a row's each, a file's one. */
  readonly errorCount: number;
  /** The first `maxErrors` problems, in file then row order. */
  readonly errors: readonly DataIssue[];
  /** Whether more problems were found than listed. */
  readonly truncated: boolean;
  readonly byFile: readonly DataFileReport[];
}

/** Examples kept for each JSON path of a file. */
export const EXAMPLES_PER_PATH = 3;
/** Distinct JSON paths grouped per file (memory stays flat on data with random field names). */
export const MAX_PATHS_PER_FILE = 100;
/** Rows between progress reports (and turns of the event loop, so a signal or Ctrl-C is seen). */
const PROGRESS_ROWS = 10_000;

/** The files to check: every data file, or those of the datasets named by id or name. */
function filesToCheck(sandbox: Sandbox, datasets: readonly string[] | undefined): DataFile[] {
  const all = dataFiles(sandbox);
  if (datasets === undefined) return all;
  const ids = new Set<string>();
  for (const wanted of datasets) {
    const found = sandbox.datasets.find((d) => d.entry.id === wanted) ?? sandbox.datasets.find((d) => d.entry.name === wanted);
    if (found === undefined) {
      const known = sandbox.datasets.map((d) => `${d.entry.id} (${d.entry.name})`).join(", ");
      throw new SandboxError("SBX-004", `unknown dataset "${wanted}"; the sandbox's datasets: ${known || "none"}`, { file: `${sandbox.dir}/sandbox.json`, jsonPath: "$.datasets" });
    }
    ids.add(found.entry.id);
  }
  return all.filter((f) => ids.has(f.dataset.entry.id));
}

/** A JSON path with array indexes as `[*]` (map keys kept), so the same field of every item groups together. */
export function pathGroup(jsonPath: string): string {
  return jsonPath.replace(/\["(?:[^"\\]|\\.)*"\]|\[\d+\]/g, (m) => (m.startsWith('["') ? m : "[*]"));
}

/** A row as the jobs read it: its value, or the malformed JSON problem of its line. */
type CheckedRow = { readonly line: number; readonly value: unknown; readonly error?: undefined } | { readonly line: number; readonly error: ProfileLabError };

/** Every row of `file`, read as the jobs read it; a JSON Lines line that does not parse is a row problem, not the end. */
async function* rowsOf(file: DataFile): AsyncGenerator<CheckedRow> {
  if (file.rel.endsWith(".parquet")) {
    yield* fileRows(file);
    return;
  }
  for await (const { line, text } of readLines(file.path, file.listed)) {
    let value: unknown;
    try {
      value = parseJson(text, file.rel, line - 1);
    } catch (e) {
      if (!(e instanceof ProfileLabError)) throw e;
      yield { line, error: e };
      continue;
    }
    yield { line, value };
  }
}

/** Every problem of one row: the one that stops a job first, then the rest of its schema problems. */
function rowProblems(file: DataFile, row: CheckedRow): { jsonPath?: string; code: string; message: string; column?: number }[] {
  if (row.error) return [{ code: row.error.code, message: row.error.message, ...(row.error.location.column !== undefined ? { column: row.error.location.column } : {}) }];
  const { dataset, rel } = file;
  try {
    toFragment(dataset, row.value, rel, row.line, 0);
    return [];
  } catch (e) {
    if (!(e instanceof ProfileLabError)) throw e;
    const first = { code: e.code, message: e.message, jsonPath: e.location.jsonPath ?? "$" };
    const value = row.value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return [first];
    const { _acp_system_metadata: _, ...data } = value as JsonObject;
    const rest = recordIssues(data, dataset.schema!.type)
      .filter((i) => i.path !== first.jsonPath)
      .map((i) => ({ code: "IO-D001", message: `${i.message} (dataset "${dataset.entry.name}")`, jsonPath: i.path }));
    return [first, ...rest];
  }
}

/** Whether a reader's error is about the file (its content or its path), not a bug. */
function fileProblem(file: DataFile, e: unknown): ProfileLabError | undefined {
  if (e instanceof ProfileLabError) return e;
  if (typeof (e as NodeJS.ErrnoException | undefined)?.code === "string") return unopenableDataFile(file.path, e, file.listed);
  return undefined;
}

interface PathTally {
  readonly jsonPath: string | null;
  readonly code: string;
  count: number;
  readonly examples: RowIssue[];
}

/** Checks every row of the sandbox's data files (or some datasets') and reports every problem, up to `maxErrors` listed. */
export async function checkSandboxData(sandbox: Sandbox, options: DataCheckOptions = {}): Promise<DataCheckReport> {
  const maxErrors = options.maxErrors ?? 100;
  if (!Number.isInteger(maxErrors) || maxErrors < 0) throw new ProfileLabError("CHK-O001", `the number of errors to list must be a whole number, 0 or more (not ${maxErrors})`);
  const files = filesToCheck(sandbox, options.datasets);
  const errors: DataIssue[] = [];
  const byFile: DataFileReport[] = [];
  let rowsChecked = 0;
  let badRows = 0;
  let errorCount = 0;
  let unreadableFiles = 0;
  let complete = true;
  const list = (issue: DataIssue): void => {
    errorCount++;
    if (errors.length < maxErrors) errors.push(issue);
  };

  for (let fileIndex = 0; fileIndex < files.length && complete; fileIndex++) {
    if (options.signal?.aborted) {
      complete = false;
      break;
    }
    const file = files[fileIndex]!;
    const datasetId = file.dataset.entry.id;
    const parquet = file.rel.endsWith(".parquet");
    const tallies = new Map<string, PathTally>();
    let fileRowsChecked = 0;
    let fileBadRows = 0;
    let fileErrors = 0;
    let ungrouped = 0;
    let unreadable: FileIssue | undefined;
    const progress = (): void =>
      options.onProgress?.({ file: file.rel, fileIndex, files: files.length, fileRows: fileRowsChecked, rowsChecked, badRows, errorCount });
    progress();
    try {
      for await (const row of rowsOf(file)) {
        const problems = rowProblems(file, row);
        fileRowsChecked++;
        rowsChecked++;
        if (problems.length > 0) {
          fileBadRows++;
          badRows++;
          for (const p of problems) {
            const issue: RowIssue = {
              kind: "row",
              code: p.code,
              message: p.message,
              datasetId,
              file: file.rel,
              ...(parquet ? { row: row.line } : { line: row.line }),
              ...(p.column !== undefined ? { column: p.column } : {}),
              ...(p.jsonPath !== undefined ? { jsonPath: p.jsonPath } : {}),
            };
            fileErrors++;
            list(issue);
            const jsonPath = p.jsonPath === undefined ? null : pathGroup(p.jsonPath);
            const key = `${p.code} ${jsonPath ?? ""}`;
            let tally = tallies.get(key);
            if (tally === undefined && tallies.size < MAX_PATHS_PER_FILE) tallies.set(key, (tally = { jsonPath, code: p.code, count: 0, examples: [] }));
            if (tally === undefined) ungrouped++;
            else if (++tally.count <= EXAMPLES_PER_PATH) tally.examples.push(issue);
          }
        }
        if (fileRowsChecked % PROGRESS_ROWS === 0) {
          progress();
          await nextTurn();
          if (options.signal?.aborted) {
            complete = false;
            break;
          }
        }
      }
    } catch (e) {
      const problem = fileProblem(file, e);
      if (problem === undefined) throw e;
      unreadable = { kind: "file", code: problem.code, message: problem.message, datasetId, file: file.rel, entry: file.listed.jsonPath };
      unreadableFiles++;
      fileErrors++;
      list(unreadable);
    }
    progress();
    byFile.push({
      file: file.rel,
      datasetId,
      datasetName: file.dataset.entry.name,
      format: parquet ? "parquet" : "jsonl",
      rowsChecked: fileRowsChecked,
      badRows: fileBadRows,
      errorCount: fileErrors,
      ...(unreadable ? { unreadable } : {}),
      paths: [...tallies.values()].sort((a, b) => b.count - a.count).map(({ jsonPath, code, count, examples }) => ({ jsonPath, code, count, examples })),
      ungrouped,
    });
  }
  return {
    sandbox: sandbox.dir,
    valid: complete && errorCount === 0,
    complete,
    maxErrors,
    files: byFile.length,
    rowsChecked,
    badRows,
    unreadableFiles,
    errorCount,
    errors,
    truncated: errorCount > errors.length,
    byFile,
  };
}

const count = (n: number): string => n.toLocaleString("en-US");
const plural = (n: number, one: string, many = `${one}s`): string => `${count(n)} ${n === 1 ? one : many}`;

/** One problem as the CLI prints errors: `CODE where: message`. */
export function formatDataIssue(issue: DataIssue): string {
  if (issue.kind === "file") return `${issue.code} ${issue.file} (sandbox.json at ${issue.entry}): ${issue.message}`;
  const at = issue.row !== undefined ? ` row ${issue.row}` : `:${issue.line}${issue.column !== undefined ? `:${issue.column}` : ""}`;
  return `${issue.code} ${issue.file}${at}${issue.jsonPath ? ` at ${issue.jsonPath}` : ""}: ${issue.message}`;
}

/** The report as text: each file with its problems by JSON path and a few examples, then the totals. */
export function formatDataCheck(report: DataCheckReport): string {
  const out: string[] = [];
  for (const f of report.byFile) {
    const bad = f.errorCount > 0;
    const rows = f.unreadable ? `${plural(f.rowsChecked, "row")} read` : plural(f.rowsChecked, "row");
    out.push(`${bad ? "✗" : "✓"} ${f.file} (${f.datasetName}): ${rows}${f.badRows > 0 ? `, ${count(f.badRows)} bad` : ""}`);
    for (const p of f.paths) {
      out.push(`    ${p.jsonPath ?? "(malformed JSON)"}  ${p.code}  ×${count(p.count)}`);
      for (const e of p.examples) out.push(`      ${formatDataIssue(e)}`);
      if (p.count > p.examples.length) out.push(`      … ${count(p.count - p.examples.length)} more`);
    }
    if (f.ungrouped > 0) out.push(`    … ${plural(f.ungrouped, "problem")} at other paths`);
    if (f.unreadable) out.push(`    ${formatDataIssue(f.unreadable)}`);
  }
  const totals = `${plural(report.rowsChecked, "row")} in ${plural(report.files, "file")}`;
  if (report.valid) out.push(`\nEvery row is valid: ${totals}.`);
  else {
    const unreadable = report.unreadableFiles > 0 ? `, ${plural(report.unreadableFiles, "file")} unreadable` : "";
    out.push(`\n${plural(report.errorCount, "problem")}: ${plural(report.badRows, "bad row")}${unreadable}; checked ${totals}${report.complete ? "" : " (stopped early)"}.`);
  }
  return out.join("\n");
}
