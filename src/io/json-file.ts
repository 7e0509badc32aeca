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

/** Parses JSON text; on a syntax error throws IoError `IO-J001` at the line and column of the fault. */
export function parseJson(text: string, file: string, lineOffset = 0): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(message);
    const at = m ? lineColumnAt(text, Number(m[1])) : undefined;
    const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
    throw new IoError("IO-J001", `malformed JSON: ${reason}`, {
      file,
      line: at ? at.line + lineOffset : lineOffset || undefined,
      column: at?.column,
    });
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
