/**
 * Ctrl-C during a job: the first press asks the job to stop at its next checkpoint (so it ends FAILED or
 * CANCELLED with nothing half-written), a second press quits at once. A job in this thread lets the event
 * loop run at its checkpoints (job-progress.ts), so the handler runs within a fraction of a second.
 */
import type { JobProgress } from "../engine/job-progress.js";
import { JobControl, type JobKind } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";

export interface Interruptible {
  readonly onProgress: (p: JobProgress) => void;
  dispose(): void;
}

export function cancelOnInterrupt(sandboxDir: string, onProgress: (p: JobProgress) => void): Interruptible {
  const control = new JobControl(new SandboxState(sandboxDir).root);
  let interrupted = false;
  // The job the last checkpoint came from: asked to stop as soon as Ctrl-C is pressed.
  let running: { readonly kind: JobKind; readonly jobId: string | number } | undefined;
  const handler = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("\ncancelling at the next checkpoint… (Ctrl-C again to quit at once)\n");
    if (running !== undefined) control.requestCancel(running.kind, running.jobId);
  };
  process.on("SIGINT", handler);
  return {
    onProgress(p) {
      if (running?.kind !== p.kind || running.jobId !== p.jobId) running = { kind: p.kind, jobId: p.jobId };
      // A job that started after the press (an export's segmentation run first) is stopped as well.
      if (interrupted) control.requestCancel(p.kind, p.jobId);
      onProgress(p);
    },
    dispose: () => void process.off("SIGINT", handler),
  };
}
