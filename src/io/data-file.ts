/**
 * A dataset's data file as a whole: a missing path or a directory where a file should be is a mistake in
 * sandbox.json, so when the caller says where the file is listed the error points at that entry.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { IoError } from "./io-error.js";

/** Where a data file is listed: `sandbox.json`, the JSON path of its entry and the entry's text. */
export interface ListedAt {
  /** Path of the manifest (`<sandbox>/sandbox.json`). */
  readonly manifest: string;
  /** e.g. `$.datasets[1].files[0]`. */
  readonly jsonPath: string;
  /** The path as written in the entry, relative to the sandbox. */
  readonly entry: string;
}

/** Names a data file listed in a manifest's `datasets[i].files[j]`. */
export function listedAt(manifest: string, datasetIndex: number, fileIndex: number, entry: string): ListedAt {
  return { manifest, jsonPath: `$.datasets[${datasetIndex}].files[${fileIndex}]`, entry };
}

/** A few names inside a folder, for the hint of a directory listed as a data file. */
function someFiles(dir: string, entry: string): string {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".parquet") || n.endsWith(".jsonl")).sort();
  } catch {
    return "";
  }
  if (names.length === 0) return "";
  const shown = names.slice(0, 2).map((n) => JSON.stringify(join(entry, n)));
  return ` (${shown.join(", ")}${names.length > 2 ? `, … ${names.length} files` : ""})`;
}

/**
 * The error for a file that cannot be opened: IO-F001 when it is missing or unreadable, IO-F003 when the path
 * is a directory (or another non-file: a FIFO, a device, a socket). A data file is located at its sandbox.json
 * entry when `listed` is given; any other file at its path.
 */
export function unopenableDataFile(path: string, cause: "directory" | "not-a-file" | NodeJS.ErrnoException | unknown, listed?: ListedAt): IoError {
  const where = listed ? { file: listed.manifest, jsonPath: listed.jsonPath } : { file: path };
  const name = listed ? JSON.stringify(listed.entry) : "the path";
  const errno = typeof cause === "object" && cause !== null ? (cause as NodeJS.ErrnoException).code : undefined;
  if (cause === "directory" || errno === "EISDIR") {
    return listed
      ? new IoError("IO-F003", `${name} is a directory, not a data file: list the files inside it one by one${someFiles(path, listed.entry)}`, where)
      : new IoError("IO-F003", "the path is a directory, not a file", where);
  }
  if (cause === "not-a-file") {
    return new IoError("IO-F003", `${name} is not a regular file (a device, FIFO or socket?): ${listed ? "list data files only" : "only regular files are read"}`, where);
  }
  if (errno === "ENOENT") {
    return new IoError("IO-F001", listed ? `data file ${name} not found (${path}): correct the path or remove the entry` : "file not found", where);
  }
  const why = errno ?? (cause instanceof Error ? cause.message : String(cause));
  return new IoError("IO-F001", listed ? `cannot read data file ${name} (${why})` : `cannot read file (${why})`, where);
}
