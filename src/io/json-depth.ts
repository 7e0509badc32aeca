/**
 * The nesting depth of JSON text, measured without parsing it: JSON.parse takes any depth, but the error
 * locator that runs after it fails (json-file.ts) and the walkers over a parsed value recurse, so text nested
 * deeper than MAX_DATA_DEPTH is refused first, at the line and column where it goes too deep.
 */
import { MAX_DATA_DEPTH } from "../xdm/limits.js";
import { IoError } from "./io-error.js";

const QUOTE = 34;
const BACKSLASH = 92;
const NEWLINE = 10;

/**
 * Throws IoError IO-J002 at the line and column (1-based, lines counted from `lineOffset` + 1) of the first
 * `{` or `[` outside strings that opens level MAX_DATA_DEPTH + 1. A linear scan with no recursion.
 */
export function checkJsonDepth(text: string, file?: string, lineOffset = 0): void {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) {
        const d = text.charCodeAt(i);
        if (d === BACKSLASH) i++;
        else if (d === NEWLINE) {
          line++;
          lineStart = i + 1;
        }
      }
    } else if (c === 123 || c === 91) {
      if (++depth > MAX_DATA_DEPTH) {
        throw new IoError("IO-J002", `JSON nested deeper than ${MAX_DATA_DEPTH.toLocaleString("en-US")} levels of objects and arrays (the limit on data)`, {
          ...(file !== undefined ? { file } : {}),
          line: line + lineOffset,
          column: i - lineStart + 1,
        });
      }
    } else if (c === 125 || c === 93) depth--;
    else if (c === NEWLINE) {
      line++;
      lineStart = i + 1;
    }
  }
}
