/**
 * The one path policy: every file profile-lab reads or writes for a sandbox is resolved here, and must stay
 * inside the sandbox folder.
 *
 * - Paths written in the sandbox's own files (sandbox.json `files`) are relative to the sandbox folder: an
 *   absolute path is IO-X001, a path whose `..` leads out of the folder IO-X002.
 * - Symbolic links are followed only while they stay inside: a file or folder whose real path (every link
 *   resolved) is outside the sandbox's real path is IO-X003. A link from inside to inside is allowed (a
 *   `datasets/current.jsonl` pointing at this month's file): it reaches nothing the sandbox does not hold.
 *   So is a sandbox folder that is itself a link; its `.profile-lab/` linked elsewhere is not.
 * - Ids that become file or folder names (dataset, batch, job ids, membership generations) must be
 *   identifiers: IO-X004.
 * - Only regular files are read (a FIFO blocks the reader, a device never ends: IO-F003), and none longer than
 *   its reader can hold (IO-F004).
 *
 * Files the user names on the command line (`--request ../x.json`, `--out`) are the user's choice: they are not
 * confined to the sandbox, but are still read only when they are regular files within the reader's limit.
 * Errors name paths, never the content of a file that was refused.
 */
import { existsSync, lstatSync, readlinkSync, realpathSync, statSync, type Stats } from "node:fs";
import { basename, dirname, isAbsolute, join, normalize, relative, resolve, sep } from "node:path";
import type { SourceLocation } from "../xdm/errors.js";
import { unopenableDataFile, type ListedAt } from "./data-file.js";
import { IoError } from "./io-error.js";

/**
 * The longest JSON text read as one string: a whole JSON document (sandbox definitions, requests) or one JSON
 * Lines line (one record or event). Ours: far above any real definition or record, and far below what V8 can
 * hold as one string (`buffer.constants.MAX_STRING_LENGTH`, 512 MiB) and parse without exhausting its heap.
 */
export const MAX_JSON_TEXT_BYTES = 64 * 1024 * 1024;

/** The longest id used as a file or folder name: NAME_MAX of Linux and macOS file systems. */
export const MAX_NAME_LENGTH = 255;

/** Letters, digits, `.`, `_`, `-`, starting with a letter or digit: no separator, no `..`, no hidden name. */
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Whether `id` can be used as a file or folder name (see IDENTIFIER, MAX_NAME_LENGTH). */
export function isIdentifier(id: string): boolean {
  return id.length <= MAX_NAME_LENGTH && IDENTIFIER.test(id);
}

/** `id` when it can be a file or folder name, else IO-X004 naming `what` (`dataset id`) at `at`. */
export function checkIdentifier(id: string, what: string, at: SourceLocation = {}): string {
  if (isIdentifier(id)) return id;
  const why = id.length > MAX_NAME_LENGTH ? `is ${id.length} characters long (at most ${MAX_NAME_LENGTH})` : "is not an identifier";
  throw new IoError("IO-X004", `${what} ${JSON.stringify(id.slice(0, 80))} ${why}: use letters, digits, '.', '_' and '-', starting with a letter or digit`, at);
}

/**
 * A path written in a sandbox file (a sandbox.json `files` entry), joined under `sandboxDir`. Absolute paths
 * (IO-X001) and paths whose `..` climb out of the folder (IO-X002) are refused at `at`.
 */
export function entryPath(sandboxDir: string, entry: string, at: SourceLocation): string {
  if (isAbsolute(entry)) {
    throw new IoError("IO-X001", `absolute paths are not allowed in a sandbox: write ${JSON.stringify(entry)} relative to the sandbox folder (and copy the file into it)`, at);
  }
  const normal = normalize(entry);
  if (entry.includes("\0") || normal === ".." || normal.startsWith(`..${sep}`)) {
    throw new IoError("IO-X002", `${JSON.stringify(entry)} leads out of the sandbox folder: data files must be inside it`, at);
  }
  return join(sandboxDir, normal);
}

function isInside(root: string, real: string): boolean {
  const rel = relative(root, real);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function errnoOf(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Links followed at most while resolving one path, as the kernel's own limit (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;

/** lstat, undefined for a path that does not exist (or has a file where a folder should be: ENOTDIR). */
function lstatOf(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if (errnoOf(e) === "ENOTDIR") return undefined;
    throw e;
  }
}

/**
 * The real path `path` names: every link resolved, a link whose target does not exist (yet) followed all the
 * same (a write through it would create its target), missing parts kept as written. Walks up with lstat, which
 * does not throw for a missing path: thrown errors cost far more than the calls.
 */
function realPathOf(path: string, links = 0): string {
  const info = lstatOf(path);
  if (info === undefined) {
    const parent = dirname(path);
    return parent === path ? path : join(realPathOf(parent, links), basename(path));
  }
  if (info.isSymbolicLink() && !existsSync(path)) {
    if (links >= MAX_LINKS) throw Object.assign(new Error("too many levels of symbolic links"), { code: "ELOOP" });
    return realPathOf(resolve(dirname(path), readlinkSync(path)), links + 1);
  }
  return realpathSync.native(path);
}

/**
 * `path` (inside `sandboxDir`) when every existing part of it resolves inside the sandbox's real path, else
 * IO-X003 at `at`: checked before a file is read or written, or a folder created, listed or removed. Returns
 * the path as given, so errors and records keep the names the user knows.
 */
export function confined(sandboxDir: string, path: string, at: SourceLocation = { file: path }): string {
  let real: string;
  let root: string;
  try {
    root = realPathOf(resolve(sandboxDir));
    real = realPathOf(resolve(path));
  } catch (e) {
    // A loop of links (ELOOP) or a part that cannot be searched (EACCES): nothing known to be inside.
    throw new IoError("IO-X003", `cannot resolve the path's symbolic links (${errnoOf(e) ?? String(e)}); inside a sandbox, links must lead to files inside it`, at);
  }
  if (!isInside(root, real)) {
    throw new IoError("IO-X003", `a symbolic link leads out of the sandbox (to ${real}): files must be inside the sandbox folder ${root}`, at);
  }
  return path;
}

/** What a file read checks besides the file being regular. */
export interface ReadCheck {
  /**
   * The sandbox the file must stay in: by default, for a data file listed in a sandbox.json, that sandbox;
   * none for a file the user named on the command line.
   */
  readonly sandboxDir?: string;
  /** The reader's limit in bytes (a whole JSON document); omitted for readers that stream. */
  readonly maxBytes?: number;
  /** Where a data file is listed (its sandbox.json entry), where its errors point. */
  readonly listed?: ListedAt;
  /** The reader, for the size error: `a JSON document`. */
  readonly reader?: string;
}

/** IO-F004: more bytes than a reader holds at once, at `at`. */
export function tooLarge(what: string, bytes: number, limit: number, at: SourceLocation): IoError {
  const mib = (n: number): string => `${(n / (1024 * 1024)).toLocaleString("en-US", { maximumFractionDigits: 1 })} MiB`;
  return new IoError("IO-F004", `${what} is ${bytes > limit ? mib(bytes) : `over ${mib(limit)}`}; the limit is ${mib(limit)} (${limit.toLocaleString("en-US")} bytes): split it into smaller pieces`, at);
}

/**
 * Checks a file before it is opened: inside its sandbox (see ReadCheck.sandboxDir), a regular file (a missing file is
 * IO-F001, a directory, FIFO or device IO-F003, without opening it) of at most `check.maxBytes`.
 */
export function checkReadable(path: string, check: ReadCheck = {}): void {
  const at: SourceLocation = check.listed ? { file: check.listed.manifest, jsonPath: check.listed.jsonPath } : { file: path };
  const sandboxDir = check.sandboxDir ?? (check.listed && dirname(check.listed.manifest));
  if (sandboxDir !== undefined) confined(sandboxDir, path, at);
  let info: Stats;
  try {
    info = statSync(path);
  } catch (e) {
    throw unopenableDataFile(path, e, check.listed);
  }
  if (!info.isFile()) throw unopenableDataFile(path, info.isDirectory() ? "directory" : "not-a-file", check.listed);
  if (check.maxBytes !== undefined && info.size > check.maxBytes) {
    const name = check.listed ? JSON.stringify(check.listed.entry) : "the file";
    throw tooLarge(`${name}${check.reader ? ` (${check.reader})` : ""}`, info.size, check.maxBytes, at);
  }
}
