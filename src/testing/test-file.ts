/**
 * Segment test files: YAML (or JSON, which YAML reads too) parsed with positions, validated against
 * TEST_FILE_SCHEMA, every problem reported with the file, line and column of the node it is about and a source
 * frame. The parsed file keeps its positions so that later errors (an unknown segment, a bad row) are located too.
 */
import { readFileSync } from "node:fs";
import { checkReadable, MAX_JSON_TEXT_BYTES } from "../io/sandbox-path.js";
import { parseLocatedDocument, pathSteps, type DocumentKind, type PathStep } from "../requests/yaml-document.js";
import { ProfileLabError, type SourceLocation } from "../xdm/errors.js";
import { TEST_FILE_SCHEMA, type TestFile } from "./test-file-schema.js";

export class TestFileError extends ProfileLabError {
  override readonly name = "TestFileError";
}

export type { PathStep };
export { pathSteps };

export interface ParsedTestFile {
  /** The file as given (relative to the working directory when found by the runner). */
  readonly file: string;
  readonly test: TestFile;
  /** The location of the node at `path` (or of its deepest ancestor that exists), for an error about it. */
  locate(path: readonly PathStep[]): Required<Pick<SourceLocation, "file" | "line" | "column">>;
  /** An error about the node at `path`: its location and a source frame under the message. */
  error(code: string, message: string, path: readonly PathStep[]): TestFileError;
}

const TEST_FILE: DocumentKind<TestFileError> = {
  schema: TEST_FILE_SCHEMA,
  syntaxCode: "TST-F001",
  shapeCode: "TST-F002",
  rootMessage: "a test file holds one test: an object with runs (and name, rows, …)",
  makeError: (code, message, location, detail) => new TestFileError(code, message, location, detail),
};

/** Parses and validates a test file's text; throws a TestFileError naming the first problem (the others in its detail). */
export function parseTestFile(text: string, file: string): ParsedTestFile {
  const doc = parseLocatedDocument<TestFile, TestFileError>(text, file, TEST_FILE);
  return { file, test: doc.value, locate: doc.locate, error: doc.error };
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
