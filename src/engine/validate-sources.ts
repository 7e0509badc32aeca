/**
 * The data check a DuckDB job runs before DuckDB reads anything: every row of the sandbox's profile and event
 * datasets parsed and validated exactly as the row engine's jobs do (the same readers, `toFragment`, the same
 * coded, located errors), because DuckDB's own readers cast values and drop unknown fields silently. Files are
 * validated in parallel on worker threads; the error a job reports is the first bad row in load order, whichever
 * thread finds one first.
 *
 * With a DuckDB session (`sql`), Parquet files are first checked in SQL (sql-precheck.ts): a file in which DuckDB
 * finds no row JavaScript might refuse is clean without being read here; the others are validated as above.
 *
 * Like git's index, a file that validated clean is not read again while its stat (size, modification and change
 * times, inode), its dataset's schema digest and the validator's version are those recorded in
 * `.profile-lab/validated.json`.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkReadable } from "../io/sandbox-path.js";
import type { SqlSession } from "../sql/merge/session.js";
import { writeJsonAtomic } from "../store/atomic-file.js";
import { SandboxState } from "../store/sandbox-state.js";
import { checkedWhile, type Checkpoint, type StageProgress } from "./job-progress.js";
import { dataFiles, type DataFile } from "./data-files.js";
import { workerHeapBytes } from "./memory-budget.js";
import { moduleDigest } from "./module-digest.js";
import type { Dataset, Sandbox } from "./sandbox.js";
import { WorkerPool } from "./worker-pool.js";
import type { ValidateFileTask } from "./validate-worker.js";

export interface ValidateSourcesOptions {
  /** Threads validating files: 1 validates them one after the other in this thread. */
  readonly workers: number;
  /** Called as rows are validated (`reading`), in this thread and every 250 ms while workers run; throws to cancel. */
  readonly checkpoint?: Checkpoint<StageProgress>;
  /** Skip files recorded clean and unchanged, and record the files found clean. */
  readonly cache: boolean;
  /** A DuckDB session to check Parquet files in first (the job's: its threads, memory limit and cancel). */
  readonly sql?: SqlSession;
}

export interface SourcesValidation {
  /** Data files of the sandbox's profile and event datasets. */
  readonly files: number;
  /** Files read and validated by this call. */
  readonly validated: number;
  /** Of those, files found clean by the SQL check alone (never read in JavaScript). */
  readonly bySql: number;
  /** Files skipped: recorded clean and unchanged. */
  readonly cached: number;
  /** Rows validated by this call. */
  readonly rows: number;
}

// ------------------------------------------------------------------------------------------ the cache

/** Where clean files are recorded, under the sandbox's state folder. */
const CACHE_FILE = "validated.json";

/** What a clean file was validated as: its stat, its dataset's digest and the validator's version. */
interface CleanFile {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  readonly ino: number;
  readonly dataset: string;
  readonly validator: string;
}

interface CacheDocument {
  readonly files: Record<string, CleanFile>;
}

/**
 * The modules whose code decides whether a row is valid (parsing, the validator, timestamps, formats, patterns,
 * identities, what a fragment needs, the SQL pre-check that clears files): the validator's version is a digest of
 * their text, so a change to any of them makes every file validate again.
 */
const VALIDATOR_MODULES = [
  "../io/json-file",
  "../io/json-depth",
  "../io/jsonl",
  "../io/parquet-reader",
  "../xdm/validate",
  "../xdm/time",
  "../xdm/formats",
  "../xdm/limits",
  "../pql/regex",
  "../identity/identity-key",
  "./load-data",
  "./sql-precheck",
];

let validatorDigest: string | undefined;

function validatorVersion(): string {
  validatorDigest ??= moduleDigest(import.meta.url, VALIDATOR_MODULES);
  return validatorDigest;
}

/** What validating a row depends on besides its file: the dataset's class, primary namespace and schema type. */
function datasetDigest(dataset: Dataset): string {
  const type = JSON.stringify(dataset.schema?.type, (_, v: unknown) => (v instanceof Map ? [...v] : v));
  return createHash("sha256")
    .update(JSON.stringify([dataset.kind, dataset.entry.primaryIdentityNamespace ?? null, type]))
    .digest("hex")
    .slice(0, 16);
}

/** What says a file is unchanged, as git's index does: its size, modification and change times, and inode. */
export type FileStat = Pick<CleanFile, "size" | "mtimeMs" | "ctimeMs" | "ino">;

export function fileStat(path: string): FileStat {
  const s = statSync(path);
  return { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
}

/** A file's entry key: the same file listed under two datasets is validated against each. */
const keyOf = (file: DataFile): string => `${file.dataset.entry.id}\n${file.rel}`;

/** The file as the cache would record it now, or undefined when it cannot be read (its reader then says why, in load order). */
function cleanStamp(file: DataFile, digests: Map<Dataset, string>, validator: string): CleanFile | undefined {
  let stat: FileStat;
  try {
    checkReadable(file.path, { listed: file.listed });
    stat = fileStat(file.path);
  } catch {
    return undefined;
  }
  let dataset = digests.get(file.dataset);
  if (dataset === undefined) digests.set(file.dataset, (dataset = datasetDigest(file.dataset)));
  return { ...stat, dataset, validator };
}

function readCache(path: string): CacheDocument {
  try {
    const doc = JSON.parse(readFileSync(path, "utf8")) as CacheDocument;
    return typeof doc === "object" && doc !== null && typeof doc.files === "object" && doc.files !== null ? doc : { files: {} };
  } catch {
    // No cache yet, or a damaged one: every file is validated and the cache written anew.
    return { files: {} };
  }
}

const sameStamp = (a: CleanFile | undefined, b: CleanFile | undefined): boolean =>
  a !== undefined && b !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dataset === b.dataset && a.validator === b.validator;

// ------------------------------------------------------------------------------------------ validating

/**
 * Validates every data file of the sandbox's profile and event datasets (those the cache says are clean and
 * unchanged aside) and throws the error a row-engine job throws for the first bad row or unreadable file in load
 * order: same code, message, file, line or row and JSON path.
 */
export async function validateSources(sandbox: Sandbox, options: ValidateSourcesOptions): Promise<SourcesValidation> {
  const files = dataFiles(sandbox);
  const cachePath = join(new SandboxState(sandbox.dir).root, CACHE_FILE);
  const recorded = options.cache ? readCache(cachePath).files : {};
  const digests = new Map<Dataset, string>();
  const validator = options.cache ? validatorVersion() : "";
  // The stamps are taken before reading: a file changed while it is read has another stamp next time.
  const stamps = files.map((f) => (options.cache ? cleanStamp(f, digests, validator) : undefined));
  const clean = new Set(files.map((_, i) => i).filter((i) => sameStamp(recorded[keyOf(files[i]!)], stamps[i])));
  const todo = files.map((_, i) => i).filter((i) => !clean.has(i));
  if (todo.length === 0) return { files: files.length, validated: 0, bySql: 0, cached: files.length, rows: 0 };
  // The checks and the readers they use (Arrow, parquet-wasm: ~250 ms to load) are loaded only when a file is to be
  // validated: a job over validated data never needs them.
  const [{ clearedBySql }, { validateFile }] = await Promise.all([import("./sql-precheck.js"), import("./validate-worker.js")]);
  let rows = 0;
  let bySql = 0;
  const progress = (done: number): void | Promise<void> => options.checkpoint?.({ stage: "reading", rows: done, profiles: 0 });
  try {
    const { sql } = options;
    if (sql !== undefined) {
      for (const i of todo) {
        const cleared = await clearedBySql(sql, files[i]!);
        if (cleared === undefined) continue;
        clean.add(i);
        bySql++;
        await progress((rows += cleared));
      }
    }
    const inJs = todo.filter((i) => !clean.has(i));
    if (options.workers <= 1 || inJs.length <= 1) {
      for (const i of inJs) {
        rows += await validateFile(files[i]!, (n) => progress(rows + n));
        clean.add(i);
      }
    } else {
      const before = rows;
      rows += await onWorkers(sandbox, inJs, options.workers, (n) => progress(before + n), (i) => clean.add(i));
    }
  } finally {
    if (options.cache) {
      const entries: Record<string, CleanFile> = {};
      files.forEach((f, i) => {
        const stamp = stamps[i];
        if (clean.has(i) && stamp !== undefined) entries[keyOf(f)] = stamp;
      });
      writeJsonAtomic(cachePath, { files: entries } satisfies CacheDocument);
    }
  }
  return { files: files.length, validated: todo.length, bySql, cached: files.length - todo.length, rows };
}

/**
 * Validates the files `todo` (indexes in load order) on a pool of `workers` threads, one file per task. Results
 * are taken in load order, so the first bad file in that order throws, whichever finished first; the pool is
 * then ended with the files still running. Returns the rows validated.
 */
async function onWorkers(sandbox: Sandbox, todo: readonly number[], workers: number, progress: (rows: number) => void | Promise<void>, clean: (i: number) => void): Promise<number> {
  const pool = new WorkerPool(Math.min(workers, todo.length), workerHeapBytes({ workers }), "validating data files");
  // Rows validated so far, counted by the workers.
  const rowsDone = new Int32Array(new SharedArrayBuffer(4));
  try {
    const tasks = todo.map((fileIndex) => {
      const task = pool.run<ValidateFileTask, number>("validateFileTask", { sandboxDir: sandbox.dir, fileIndex, rowsDone });
      task.catch(() => undefined); // awaited (and thrown) in load order below
      return task;
    });
    const inOrder = (async () => {
      let rows = 0;
      for (const [k, task] of tasks.entries()) {
        rows += await task;
        clean(todo[k]!);
      }
      return rows;
    })();
    return await checkedWhile(inOrder, () => progress(Atomics.load(rowsDone, 0)));
  } finally {
    await pool.destroy();
  }
}
