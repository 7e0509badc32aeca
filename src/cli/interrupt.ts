/**
 * Ctrl-C during a job: the first press asks the job to stop at its next checkpoint (so it ends FAILED or
 * CANCELLED with nothing half-written), a second press quits at once.
 */
import type { JobProgress } from "../engine/job-progress.js";
import { JobControl } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";

export interface Interruptible {
  readonly onProgress: (p: JobProgress) => void;
  dispose(): void;
}

export function cancelOnInterrupt(sandboxDir: string, onProgress: (p: JobProgress) => void): Interruptible {
  let interrupted = false;
  const handler = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write("\ncancelling at the next checkpoint… (Ctrl-C again to quit at once)\n");
  };
  process.on("SIGINT", handler);
  const control = new JobControl(new SandboxState(sandboxDir).root);
  return {
    onProgress(p) {
      onProgress(p);
      if (interrupted) control.requestCancel(p.kind, p.jobId);
    },
    dispose: () => void process.off("SIGINT", handler),
  };
}
