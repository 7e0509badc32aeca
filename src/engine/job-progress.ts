/**
 * Progress and cancellation checkpoints of a running job: at each shard start and every PROGRESS_EVERY
 * profiles the job reports how far it is and stops if a cancel was requested.
 */
import { JobControl, type JobKind } from "../store/job-control.js";
import { ProfileLabError } from "../xdm/errors.js";

export const PROGRESS_EVERY = 1000;

export interface JobProgress {
  readonly kind: JobKind;
  readonly jobId: string | number;
  /** The shard being processed (0-based). */
  readonly shard: number;
  /** Profiles processed so far by the job (under every merge policy it evaluates). */
  readonly profiles: number;
}

export class JobCancelledError extends ProfileLabError {
  override readonly name = "JobCancelledError";
}

/** A checkpoint function for one job. */
export function progressCheck(kind: JobKind, jobId: string | number, control: JobControl, onProgress?: (event: JobProgress) => void): (shard: number, profiles: number) => void {
  return (shard, profiles) => {
    onProgress?.({ kind, jobId, shard, profiles });
    if (control.cancelRequested(kind, jobId)) {
      throw new JobCancelledError("CANCELLED", `${kind === "export-jobs" ? "export" : "segment"} job ${jobId} was cancelled on request; nothing it wrote was committed`);
    }
  };
}
