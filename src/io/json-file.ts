/**
 * JSON documents read with positions: a syntax error names the file, line and column, not a byte offset.
 */
import { readFileSync } from "node:fs";
import { IoError } from "./io-error.js";

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

/** Parses JSON text; on a syntax error throws IoError `IO-J001` at the line and column of the fault. */
export function parseJson(text: string, file: string, lineOffset = 0): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const { offset, expected } = locateJsonError(text);
    const at = lineColumnAt(text, offset);
    const found = offset < text.length ? `found ${JSON.stringify(text.slice(offset, offset + 12))}` : "found the end of the input";
    throw new IoError("IO-J001", `malformed JSON: expected ${expected}, ${found}`, { file, line: at.line + lineOffset, column: at.column });
  }
}

/** Reads and parses a JSON file; a missing file is IoError `IO-F001`. */
export function readJsonFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError("IO-F001", code === "ENOENT" ? "file not found" : `cannot read file (${code ?? String(e)})`, { file });
  }
  return parseJson(text, file);
}
