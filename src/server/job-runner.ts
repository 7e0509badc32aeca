/**
 * Jobs run asynchronously, as on the platform: a POST records the job as NEW (the library's createSegmentJob /
 * createExportJob, after checking the request) and answers with it at once; the job runs in this process when
 * one of `maxRunning` slots is free (PROCESSING, then SUCCEEDED, FAILED or CANCELLED), first come first served.
 *
 * A queued job that is cancelled ends at once without running; one whose run fails before it starts (a
 * segment deleted while it waited) ends FAILED with the library's error. On shutdown queued jobs end as
 * cancelled by the stop, and every running job is asked to stop and awaited. A server killed outright leaves
 * its jobs claimed by a dead process: the library's job recovery records them FAILED (INTERRUPTED) when the
 * sandbox is next opened (the next server does so at start).
 */
import { JobCancelledError } from "../engine/job-progress.js";
import type { ExportJob } from "../export/export-job.js";
import { toJobError, type SegmentJob } from "../segment/segment-job.js";
import { JobControl, type JobKind } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { HttpError } from "./errors.js";

/** A job recorded NEW, waiting for a slot. */
export interface QueuedJob {
  readonly dir: string;
  readonly kind: JobKind;
  readonly id: string | number;
  /** Runs the job (the library's run adopting the NEW record); calls `onStart` once it is PROCESSING. */
  readonly run: (onStart: () => void) => Promise<unknown>;
}

/**
 * Jobs waiting at most: past it a POST is refused with 429. Each holds its request in memory and a claim file
 * until it runs, and creating a job reads every claim (the library's job recovery): about 0.1 ms per job
 * waiting.
 */
export const MAX_QUEUED_JOBS = 1000;

/**
 * Records a job that never started as ended with `error`, and releases its claim: a segment job CANCELLED
 * when it was cancelled, otherwise FAILED; an export job FAILED (the platform's export jobs have no
 * CANCELLED status: a cancelled one ends FAILED with the code CANCELLED, as a running one does).
 */
function endUnstarted(job: QueuedJob, error: unknown, now: number): void {
  const state = new SandboxState(job.dir);
  const errors = [toJobError(error)];
  const ended = (creationTime: number) => ({ errors, updateTime: now, metrics: { totalTime: { startTimeInMs: creationTime, endTimeInMs: now, totalTimeInMs: now - creationTime } } });
  if (job.kind === "segment-jobs") {
    const jobs = state.records<SegmentJob>("segment-jobs");
    const record = jobs.get(String(job.id));
    const status = error instanceof JobCancelledError ? "CANCELLED" : "FAILED";
    if (record?.status === "NEW") jobs.put(record.id, { ...record, ...ended(record.creationTime), status, updateEpoch: Math.floor(now / 1000) });
  } else {
    const jobs = state.records<ExportJob>("export-jobs");
    const record = jobs.get(String(job.id));
    if (record?.status === "NEW") jobs.put(record.id, { ...record, ...ended(record.creationTime), status: "FAILED" });
  }
  new JobControl(state.root).release(job.kind, job.id);
}

function keyOf(dir: string, kind: JobKind, id: string | number): string {
  return `${dir}\0${kind}\0${String(id)}`;
}

export class JobRunner {
  private readonly queue: QueuedJob[] = [];
  private readonly running = new Map<QueuedJob, Promise<void>>();
  /** The keys (keyOf) of the jobs waiting or running. */
  private readonly held = new Set<string>();
  private stopping = false;

  constructor(
    private readonly maxRunning: number,
    private readonly clock: () => number,
    private readonly onFailure: (error: unknown) => void,
    private readonly maxQueued: number = MAX_QUEUED_JOBS,
  ) {}

  /** Whether a POST may queue one more job (checked before the job is recorded); 503 while stopping, 429 when the queue is full. */
  admit(): void {
    if (this.stopping) throw new HttpError(503, "PLAB-503", "the server is stopping; no new job is accepted");
    if (this.queue.length >= this.maxQueued) throw new HttpError(429, "PLAB-429", `${this.queue.length} jobs are waiting to run; try again when fewer are`);
  }

  /** Queues a job recorded NEW; it starts as soon as a slot is free (after this request has been answered). */
  submit(job: QueuedJob): void {
    this.queue.push(job);
    this.held.add(keyOf(job.dir, job.kind, job.id));
    setImmediate(() => this.next());
  }

  private next(): void {
    while (!this.stopping && this.running.size < this.maxRunning && this.queue.length > 0) {
      const job = this.queue.shift()!;
      let started = false;
      const done = job
        .run(() => (started = true))
        .then(
          () => undefined,
          // After the start a failure is recorded by the library; before it, the job is still NEW.
          (e: unknown) => (started ? this.onFailure(e) : endUnstarted(job, e, this.clock())),
        )
        .finally(() => {
          this.running.delete(job);
          this.held.delete(keyOf(job.dir, job.kind, job.id));
          this.next();
        });
      this.running.set(job, done);
    }
  }

  /** Whether this runner holds the job, waiting or running. */
  holds(dir: string, kind: JobKind, id: string | number): boolean {
    return this.held.has(keyOf(dir, kind, id));
  }

  /** Ends a job still waiting for a slot as cancelled, without running it; false when it is not waiting. */
  cancelQueued(dir: string, kind: JobKind, id: string | number): boolean {
    const i = this.queue.findIndex((j) => j.dir === dir && j.kind === kind && String(j.id) === String(id));
    if (i < 0) return false;
    const [job] = this.queue.splice(i, 1);
    this.held.delete(keyOf(dir, kind, id));
    endUnstarted(job!, new JobCancelledError("CANCELLED", `job ${id} was cancelled on request before it started; it did not run`), this.clock());
    return true;
  }

  /** Ends the queued jobs as cancelled by the stop, asks every running job to stop, and waits until they have. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    for (const job of this.queue.splice(0)) {
      this.held.delete(keyOf(job.dir, job.kind, job.id));
      endUnstarted(job, new JobCancelledError("CANCELLED", `job ${job.id} was cancelled before it started: the server stopped`), this.clock());
    }
    for (const job of this.running.keys()) new JobControl(new SandboxState(job.dir).root).requestCancel(job.kind, job.id);
    await Promise.allSettled(this.running.values());
  }
}
