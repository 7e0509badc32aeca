/**
 * Streams a JSON Lines file one parsed line at a time, so a dataset never has to fit in memory as text.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { IoError } from "./io-error.js";
import { parseJson } from "./json-file.js";

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

/** Yields every non-blank line of `file` as text, unparsed. */
export async function* readLines(file: string): AsyncGenerator<TextLine> {
  const stream = createReadStream(file, { encoding: "utf8" });
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", reject);
  });
  try {
    await opened;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError("IO-F001", code === "ENOENT" ? "data file not found" : `cannot read data file (${code ?? String(e)})`, { file });
  }
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      yield { line, text };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/** Yields every non-blank line of `file` parsed; malformed JSON throws with file, line and column. */
export async function* readJsonl(file: string): AsyncGenerator<JsonlLine> {
  for await (const { line, text } of readLines(file)) yield { line, value: parseJson(text, file, line - 1) };
}
