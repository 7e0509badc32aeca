/**
 * Jobs run asynchronously, as on the platform: a POST answers as soon as the job is recorded (PROCESSING),
 * and the job goes on in this process; polling its GET shows the status move on. A request the library
 * refuses before the job starts (an invalid body, an unknown segment) is the POST's error answer. At most
 * `maxRunning` jobs run at once (they share the server's thread and memory); a POST beyond that waits for a
 * running job to end before its job starts. On shutdown every running job is asked to stop and awaited: each
 * stops at its next checkpoint and records how it ended.
 */
import { JobControl, type JobKind } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { HttpError } from "./errors.js";

interface Running {
  readonly dir: string;
  readonly kind: JobKind;
  /** The job's id once it has started. */
  id?: string | number;
  done?: Promise<unknown>;
}

export class JobRunner {
  private readonly running = new Set<Running>();
  /** Jobs holding a slot (started, or about to). */
  private active = 0;
  private stopping = false;
  /** Starts waiting for a free slot, first come first served; a job that ends hands its slot to the first. */
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  private async slot(): Promise<void> {
    if (this.active < this.maxRunning) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next();
    else this.active--;
  }

  private finished(entry: Running): void {
    this.running.delete(entry);
    this.release();
  }

  /**
   * Runs `run` (a library job given the `onStart` hook) and resolves with the job as first recorded; rejects
   * with the library's error when the job does not start.
   */
  async start<J extends { id: string | number }>(dir: string, kind: JobKind, run: (onStart: (job: J) => void) => Promise<unknown>): Promise<J> {
    await this.slot();
    if (this.stopping) {
      this.release();
      throw new HttpError(503, "PLAB-503", "the server is stopping; no new job is started");
    }
    const entry: Running = { dir, kind };
    return new Promise<J>((resolve, reject) => {
      // A segment job starts (and calls this) before run() returns.
      const done = run((job) => {
        entry.id = job.id;
        resolve(job);
      });
      entry.done = done;
      this.running.add(entry);
      // After the start, a failure is the job's (recorded FAILED by the library), not the POST's.
      done.then(
        () => this.finished(entry),
        (e: unknown) => {
          this.finished(entry);
          if (entry.id === undefined) reject(e);
          else this.onFailure(e);
        },
      );
    });
  }

  /** Asks every running job to stop and waits until they have. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const all = [...this.running];
    for (const r of all) if (r.id !== undefined) new JobControl(new SandboxState(r.dir).root).requestCancel(r.kind, r.id);
    await Promise.allSettled(all.map((r) => r.done));
  }
}
