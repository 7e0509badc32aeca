/**
 * Streams a JSON Lines file one line at a time, so a dataset never has to fit in memory as text.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { unopenableDataFile, type ListedAt } from "./data-file.js";
import { parseJson } from "./json-file.js";
import { checkReadable, MAX_JSON_TEXT_BYTES, tooLarge } from "./sandbox-path.js";

export interface JsonlLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly value: unknown;
}

export interface TextLine {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly text: string;
}

/** Bytes read at a time: large reads and one decode per line are much faster than readline. */
const CHUNK_BYTES = 8 << 20;

/**
 * Yields every non-blank line of `file` as text, unparsed (lines end at LF; a CR before it is dropped).
 * Synchronous reads: callers are CPU-bound loops for which a stream's event-loop turns only add cost.
 * A missing file or a directory is IO-F001/IO-F003, at its sandbox.json entry when `listed` says where it is
 * (and then confined to that sandbox, see sandbox-path.ts); a line over MAX_JSON_TEXT_BYTES is IO-F004.
 */
export function* linesOf(file: string, listed?: ListedAt): Generator<TextLine> {
  checkReadable(file, listed ? { listed } : {});
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw unopenableDataFile(file, e, listed);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw unopenableDataFile(file, info.isDirectory() ? "directory" : "not-a-file", listed);
    let buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, info.size + 1));
    let filled = 0;
    let line = 0;
    for (;;) {
      if (filled === buffer.length) {
        // A line longer than the buffer: grow it, up to one byte over the limit (a line of exactly the limit and its LF fit).
        if (filled > MAX_JSON_TEXT_BYTES) throw tooLarge(`line ${line + 1} (one JSON Lines record)`, filled, MAX_JSON_TEXT_BYTES, { file, line: line + 1 });
        const grown = Buffer.allocUnsafe(Math.min(buffer.length * 2, MAX_JSON_TEXT_BYTES + 1));
        buffer.copy(grown, 0, 0, filled);
        buffer = grown;
      }
      const read = readSync(fd, buffer, filled, buffer.length - filled, null);
      const end = filled + read;
      let start = 0;
      for (let nl = buffer.indexOf(10, start); nl !== -1 && nl < end; nl = buffer.indexOf(10, start)) {
        line++;
        const stop = nl > start && buffer[nl - 1] === 13 ? nl - 1 : nl;
        const text = buffer.toString("utf8", start, stop);
        start = nl + 1;
        if (text.trim() !== "") yield { line, text };
      }
      if (read === 0) {
        if (start < end) {
          const text = buffer.toString("utf8", start, end);
          if (text.trim() !== "") yield { line: line + 1, text };
        }
        return;
      }
      buffer.copy(buffer, 0, start, end);
      filled = end - start;
    }
  } finally {
    closeSync(fd);
  }
}

/** `linesOf` for async loops. */
export async function* readLines(file: string, listed?: ListedAt): AsyncGenerator<TextLine> {
  yield* linesOf(file, listed);
}

/** Yields every non-blank line of `file` parsed; malformed JSON throws with file, line and column. */
export async function* readJsonl(file: string, listed?: ListedAt): AsyncGenerator<JsonlLine> {
  for await (const { line, text } of readLines(file, listed)) yield { line, value: parseJson(text, file, line - 1) };
}
