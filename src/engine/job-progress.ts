/**
 * Progress and cancellation checkpoints of a running job: at each shard start and every PROGRESS_EVERY
 * profiles the job reports how far it is and stops if a cancel was requested.
 */
import { JobControl, type JobKind } from "../store/job-control.js";
import { ProfileLabError } from "../xdm/errors.js";

export const PROGRESS_EVERY = 1000;

/**
 * What a job is doing: reading every dataset for the identity graph (`identities`, spill pass 1), writing
 * rows to shard files (`spill`, pass 2), or going through the profiles (`profiles`).
 */
export type JobStage = "identities" | "spill" | "profiles";

export interface JobProgress {
  readonly kind: JobKind;
  readonly jobId: string | number;
  readonly stage: JobStage;
  /** Data rows read so far in the `identities` and `spill` stages. */
  readonly rows: number;
  /** Data rows in all, known from the `spill` stage on. */
  readonly totalRows?: number;
  readonly shardsDone: number;
  readonly shards: number;
  /** Profiles processed so far by the job (under every merge policy it evaluates). */
  readonly profiles: number;
}

/** A job's progress without its identity, as the stages report it. */
export type StageProgress = Omit<JobProgress, "kind" | "jobId">;

export class JobCancelledError extends ProfileLabError {
  override readonly name = "JobCancelledError";
}

/** A checkpoint function for one job: reports progress, then stops the job if a cancel was requested. */
export function progressCheck(kind: JobKind, jobId: string | number, control: JobControl, onProgress?: (event: JobProgress) => void): (p: StageProgress) => void {
  return (p) => {
    onProgress?.({ kind, jobId, ...p });
    if (control.cancelRequested(kind, jobId)) throw cancelled(kind, jobId);
  };
}

/** The error that stops a cancelled job. */
export function cancelled(kind: JobKind, jobId: string | number): JobCancelledError {
  return new JobCancelledError("CANCELLED", `${kind === "export-jobs" ? "export" : "segment"} job ${jobId} was cancelled on request; nothing it wrote was committed`);
}
