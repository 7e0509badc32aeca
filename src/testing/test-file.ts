/**
 * Segment test files: YAML (or JSON, which YAML reads too) parsed with positions, validated against
 * TEST_FILE_SCHEMA, every problem reported with the file, line and column of the node it is about and a source
 * frame. The parsed file keeps its positions so that later errors (an unknown segment, a bad row) are located too.
 */
import { readFileSync } from "node:fs";
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { checkReadable, MAX_JSON_TEXT_BYTES } from "../io/sandbox-path.js";
import { sourceFrame } from "../pql/errors.js";
import { schemaProblems } from "../requests/validate.js";
import { ProfileLabError, type SourceLocation } from "../xdm/errors.js";
import { TEST_FILE_SCHEMA, type TestFile } from "./test-file-schema.js";

export class TestFileError extends ProfileLabError {
  override readonly name = "TestFileError";
}

/** A step of a path into the file: an object key or an array index. */
export type PathStep = string | number;

export interface ParsedTestFile {
  /** The file as given (relative to the working directory when found by the runner). */
  readonly file: string;
  readonly test: TestFile;
  /** The location of the node at `path` (or of its deepest ancestor that exists), for an error about it. */
  locate(path: readonly PathStep[]): Required<Pick<SourceLocation, "file" | "line" | "column">>;
  /** An error about the node at `path`: its location and a source frame under the message. */
  error(code: string, message: string, path: readonly PathStep[]): TestFileError;
}

const STEP = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;

/** Our `$.a[0]["b c"]` JSON path as steps. */
export function pathSteps(jsonPath: string): PathStep[] {
  const steps: PathStep[] = [];
  for (const m of jsonPath.slice(1).matchAll(STEP)) steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  return steps;
}

/** The text range of the node at `path`: a map entry's key (so "unknown field" and "wrong value" point at the line's field), an item itself. */
function rangeAt(root: Node | null, path: readonly PathStep[]): [number, number] {
  let node: unknown = root;
  let range: [number, number] = [0, 0];
  const take = (n: unknown): void => {
    const r = (n as Node | null)?.range;
    if (r) range = [r[0], r[1]];
  };
  take(node);
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (pair === undefined) break;
      take(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof step === "number" && node.items[step] !== undefined) {
      node = node.items[step];
      take(node);
    } else break;
  }
  return range;
}

/** Parses and validates a test file's text; throws a TestFileError naming the first problem (the others in its detail). */
export function parseTestFile(text: string, file: string): ParsedTestFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const spanOf = (start: number, end: number) => {
    const a = lineCounter.linePos(start);
    const b = lineCounter.linePos(Math.max(start, end));
    return { start: { line: a.line, column: a.col, offset: start }, end: { line: b.line, column: b.col, offset: end } };
  };
  const located = (code: string, message: string, start: number, end: number, more?: string): TestFileError => {
    const span = spanOf(start, end);
    const frame = sourceFrame(text, span);
    return new TestFileError(code, message, { file, line: span.start.line, column: span.start.column }, more ? `${frame}\n${more}` : frame);
  };
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const firstLine = syntax.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw located("TST-F001", `not valid YAML: ${firstLine}`, syntax.pos[0], syntax.pos[1]);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const locate = (path: readonly PathStep[]): { file: string; line: number; column: number } => {
    const [start] = rangeAt(doc.contents, path);
    const at = lineCounter.linePos(start);
    return { file, line: at.line, column: at.col };
  };
  const error = (code: string, message: string, path: readonly PathStep[]): TestFileError => located(code, message, ...rangeAt(doc.contents, path));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw error("TST-F002", "a test file holds one test: an object with runs (and name, rows, …)", []);
  const { problems, truncated } = schemaProblems(TEST_FILE_SCHEMA, "TST-F002", value);
  if (problems.length > 0) {
    const [first, ...rest] = problems;
    const others = rest.slice(0, 9).map((p) => {
      const at = locate(pathSteps(p.jsonPath));
      return `  also ${file}:${at.line}:${at.column}: ${p.message}`;
    });
    const more = rest.length - others.length + truncated;
    if (more > 0) others.push(`  … and ${more} more problem${more === 1 ? "" : "s"}`);
    throw located(first!.code, first!.message, ...rangeAt(doc.contents, pathSteps(first!.jsonPath)), others.join("\n") || undefined);
  }
  return { file, test: value as TestFile, locate, error };
}

/** Reads and parses a test file (an unreadable file is a located error too). */
export function readTestFile(path: string, file = path): ParsedTestFile {
  // A regular file within the limit of one document: a FIFO would block, a device never end.
  checkReadable(path, { maxBytes: MAX_JSON_TEXT_BYTES, reader: "a test file" });
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new TestFileError("TST-F003", `cannot read the test file: ${e instanceof Error ? e.message : String(e)}`, { file });
  }
  return parseTestFile(text, file);
}
