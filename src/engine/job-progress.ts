/**
 * Progress and cancellation checkpoints of a running job. Every long loop of a job calls its checkpoint now
 * and then (every PROGRESS_EVERY profiles or rows, every STEP_EVERY items of cheaper loops): the checkpoint
 * reports where the job is and stops it if a cancel was requested. In the job's own thread it also lets the
 * event loop run every YIELD_EVERY_MS, so that a signal handler (Ctrl-C), a server's requests and timers
 * are seen within a fraction of a second however long the job runs.
 */
import { JobControl, type JobKind } from "../store/job-control.js";
import { ProfileLabError } from "../xdm/errors.js";

/** Profiles (or data rows) between two checkpoints of a loop that does real work on each. */
export const PROGRESS_EVERY = 1000;

/** Items between two checkpoints of a cheap loop (an identity graph, grouping, sorting out). */
export const STEP_EVERY = 16_384;

/** The longest a job in the event loop's thread runs without letting it turn. */
export const YIELD_EVERY_MS = 50;

/**
 * What a job is doing: `reading` the data files, linking `identities` (the graph of all datasets, then each
 * merge policy's profiles), `evaluating` a segment job's segments or `merging` an export's profiles (merged,
 * filtered and written one by one), then `writing` the result.
 */
export type JobStage = "reading" | "identities" | "evaluating" | "merging" | "writing";

export interface JobProgress {
  readonly kind: JobKind;
  readonly jobId: string | number;
  readonly stage: JobStage;
  /**
   * How far the stage is in rows: data rows read (`reading`, with the previous memberships), rows linked
   * (`identities`: each pass over the rows counts), memberships written.
   */
  readonly rows: number;
  /** The stage's rows in all, when known. */
  readonly totalRows?: number;
  /**
   * Profiles gone through, counted as the job's result counts them. A segment job counts the profiles of
   * the merge policy it is on (`policy` of `policies`; its result's totalProfiles is the largest policy's
   * count). An export counts the profiles it merged; `exported` the ones it wrote.
   */
  readonly profiles: number;
  /** Profiles in all (of the policy being evaluated), when known. */
  readonly totalProfiles?: number;
  /** The merge policy being worked on, 1-based, and how many the job has. */
  readonly policy?: number;
  readonly policies?: number;
  /** An export's profiles exported so far (its result's totalExportedProfileCounter). */
  readonly exported?: number;
  /**
   * What the job is doing, in words, where it counts no rows or profiles: on DuckDB, the statement running
   * ("merging the profiles of merge policy …"). Progress lines and a cancel's message say it instead of counts.
   */
  readonly step?: string;
}

/** A job's progress without its identity, as the stages report it. */
export type StageProgress = Omit<JobProgress, "kind" | "jobId">;

/** Where the work on the job's data is, as the code doing it reports it (in-memory-job.ts makes it the job's). */
export interface ShardProgress {
  readonly stage: JobStage;
  readonly rows?: number;
  readonly totalRows?: number;
  /** Index of the merge policy being worked on among the job's policies (0-based). */
  readonly policy?: number;
  readonly profiles?: number;
  readonly totalProfiles?: number;
  readonly exported?: number;
}

/**
 * Reports progress and throws JobCancelledError to stop the job. It returns a promise now and then, after
 * letting the event loop run: await it (awaiting nothing costs nothing).
 */
export type Checkpoint<P> = (progress: P) => void | Promise<void>;

export class JobCancelledError extends ProfileLabError {
  override readonly name = "JobCancelledError";
}

/** A macrotask's wait: timers, I/O callbacks and signal handlers run before it ends. */
export function turnEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The checkpoint of one job in its own thread: lets the event loop run if YIELD_EVERY_MS have passed since it
 * last did, reports progress, then stops the job if a cancel was requested (say by the Ctrl-C handler that
 * just ran). `clock` is a monotonic clock in ms.
 */
export function progressCheck(
  kind: JobKind,
  jobId: string | number,
  control: JobControl,
  onProgress?: (event: JobProgress) => void,
  clock: () => number = performance.now.bind(performance),
): Checkpoint<StageProgress> {
  let turned = clock();
  const check = (p: StageProgress): void => {
    onProgress?.({ kind, jobId, ...p });
    if (control.cancelRequested(kind, jobId)) throw cancelled(kind, jobId, p);
  };
  return (p) => {
    if (clock() - turned < YIELD_EVERY_MS) return check(p);
    return turnEventLoop().then(() => {
      turned = clock();
      check(p);
    });
  };
}

/**
 * Waits for `task` (work done off this thread, or awaiting I/O), calling `check` every `everyMs`; rejects as
 * soon as a check throws or rejects (a cancel), leaving the task to whoever ends it.
 */
export function checkedWhile<T>(task: Promise<T>, check: () => void | Promise<void>, everyMs = 250): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const stop = (e: unknown): void => {
      clearInterval(timer);
      reject(e);
    };
    const timer = setInterval(() => {
      try {
        check()?.catch(stop);
      } catch (e) {
        stop(e);
      }
    }, everyMs);
    task.then(resolve, reject).finally(() => clearInterval(timer));
  });
}

/**
 * Runs `steps` (a loop cut into steps: each yields how far it is) to its end, calling `checkpoint` at each
 * step; without one, runs it straight through.
 */
export async function paced<T, S>(steps: Generator<S, T>, checkpoint?: (step: S) => void | Promise<void>): Promise<T> {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await checkpoint?.(step.value);
  }
}

/** Runs `steps` to its end in one go, for callers that need no checkpoint (explain, tests). */
export function unpaced<T, S>(steps: Generator<S, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

const count = (n: number): string => n.toLocaleString("en-US");

/**
 * Where a job stood, for the cancel's message: `reading (120,000 rows)`, `identities (merge policy 2 of 3,
 * 45 %)`, `evaluating (merge policy 1 of 3, 4,000 of 64,542 profiles)`, `merging (52,000 profiles, 12,000
 * exported)`, or the DuckDB statement's step.
 */
export function whereJobIs(p: StageProgress): string {
  if (p.step !== undefined) return p.step;
  const parts: string[] = [];
  if (p.policy !== undefined && p.policies !== undefined && p.policies > 1) parts.push(`merge policy ${p.policy} of ${p.policies}`);
  const of = (done: number, total: number | undefined, unit: string): string => `${count(done)}${total !== undefined ? ` of ${count(total)}` : ""} ${unit}`;
  const percent = (done: number, total: number): string => `${total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 100} %`;
  switch (p.stage) {
    case "reading":
      parts.push(of(p.rows, p.totalRows, "rows"));
      break;
    case "identities":
      // The graph of all datasets, then each policy's profiles (the rows gone through more than once).
      if (p.totalRows === undefined) parts.push(of(p.rows, undefined, "rows"));
      else parts.push(...(p.policy === undefined ? ["all datasets"] : p.policies === 1 ? ["merge policy"] : []), percent(p.rows, p.totalRows));
      break;
    case "evaluating":
    case "merging":
      parts.push(of(p.profiles, p.totalProfiles, "profiles"));
      break;
    case "writing":
      if (p.totalRows !== undefined) parts.push(percent(p.rows, p.totalRows));
  }
  if (p.exported !== undefined) parts.push(`${count(p.exported)} exported`);
  return `${p.stage}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}`;
}

/** The error that stops a cancelled job; with where it stood when the job saw the cancel. */
export function cancelled(kind: JobKind, jobId: string | number, at?: StageProgress): JobCancelledError {
  const job = `${kind === "export-jobs" ? "export" : "segment"} job ${jobId}`;
  return new JobCancelledError("CANCELLED", `${job} was cancelled on request${at ? ` while ${whereJobIs(at)}` : ""}; nothing it wrote was committed`);
}
