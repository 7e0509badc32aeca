/**
 * JSON documents read with positions: a syntax error names the file, line and column, not a byte offset.
 */
import { readFileSync } from "node:fs";
import { unopenableDataFile } from "./data-file.js";
import { IoError } from "./io-error.js";
import { checkJsonDepth } from "./json-depth.js";
import { checkReadable, MAX_JSON_TEXT_BYTES } from "./sandbox-path.js";

/** Line and column (1-based) of a character offset in `text`. */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * Where JSON text first goes wrong, and what was expected there. JSON.parse's messages do not always carry
 * a position on Node 20, so a small recursive-descent scan finds it (only run after JSON.parse failed).
 */
export function locateJsonError(text: string): { offset: number; expected: string } {
  let i = 0;
  const fail = (expected: string): never => {
    throw { offset: i, expected };
  };
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const string = (): void => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text.charCodeAt(i) < 0x20) fail("a closing quote (raw control character in string)");
      if (text[i] === "\\") {
        i++;
        if (text[i] === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail("four hex digits after \\u");
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? "")) fail("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
      }
      i++;
    }
    if (i >= text.length) fail("a closing quote");
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      ws();
      if (text[i] === "}") return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail("a property name in double quotes");
        string();
        ws();
        if (text[i] !== ":") fail("':' after the property name");
        i++;
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") return void i++;
        else fail("',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") return void i++;
        else fail("',' or ']'");
      }
    }
    if (c === '"') return string();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (m === null) fail("a value (object, array, string, number, true, false or null)");
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail("the end of the document");
  } catch (e) {
    if (typeof e === "object" && e !== null && "offset" in e) return e as { offset: number; expected: string };
    throw e;
  }
  return { offset: text.length, expected: "valid JSON" };
}

/**
 * What stands where JSON text goes wrong, described without quoting it: a file that was refused or does not
 * parse may hold anything (a password file listed by mistake), and no error shows a file's content. JSON's own
 * punctuation is shown; letters, digits and anything else only by their kind.
 */
function foundAt(text: string, offset: number): string {
  if (offset >= text.length) return "found the end of the input";
  const c = text[offset]!;
  if (/^[{}[\],:"'`]$/.test(c)) return `found ${JSON.stringify(c)}`;
  if (/^\p{L}$/u.test(c)) return "found a letter";
  if (/^[0-9+\-.]$/.test(c)) return "found a digit or sign";
  if (/^[\u0000-\u001f\u007f]$/.test(c)) return "found a control character";
  return "found another character";
}

/** Parses JSON text; on a syntax error throws IoError `IO-J001` at the line and column of the fault. */
export function parseJson(text: string, file: string, lineOffset = 0): unknown {
  try {
    return JSON.parse(text);
  } catch {
    checkJsonDepth(text, file, lineOffset);
    const { offset, expected } = locateJsonError(text);
    const at = lineColumnAt(text, offset);
    throw new IoError("IO-J001", `malformed JSON: expected ${expected}, ${foundAt(text, offset)}`, { file, line: at.line + lineOffset, column: at.column });
  }
}

/**
 * Reads and parses a JSON file: a regular file of at most MAX_JSON_TEXT_BYTES (IO-F001 missing, IO-F003 not a
 * file, IO-F004 too large), inside `sandboxDir` when given (IO-X003; see sandbox-path.ts) — omitted only for
 * a file the user named on the command line.
 */
export function readJsonFile(file: string, sandboxDir?: string): unknown {
  checkReadable(file, { ...(sandboxDir !== undefined ? { sandboxDir } : {}), maxBytes: MAX_JSON_TEXT_BYTES, reader: "a JSON document" });
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw unopenableDataFile(file, e);
  }
  return parseJson(text, file);
}
