/**
 * The worker side of validate-sources.ts: each task names a sandbox and one of its data files (by its index in
 * load order); the worker opens the sandbox once per thread and validates the file's rows. A bad row comes back
 * as data with its code and location (see `answer`). `validateFile` is also what the job's thread runs without workers.
 */
import { PROGRESS_EVERY } from "./job-progress.js";
import { dataFiles, type DataFile } from "./data-files.js";
import { fileRows, toFragment } from "./load-data.js";
import { openSandbox, type Sandbox } from "./sandbox.js";
import { answer, type WorkerAnswer } from "./worker-answer.js";

export interface ValidateFileTask {
  readonly sandboxDir: string;
  /** The file's index in `dataFiles(sandbox)`. */
  readonly fileIndex: number;
  /** Rows validated by every task of the job, read by the job's thread for its progress. */
  readonly rowsDone: Int32Array;
}

/** Validates every row of `file` as a job reads it, calling `progress` with the rows done every PROGRESS_EVERY rows; returns the rows. */
export async function validateFile(file: DataFile, progress?: (rows: number) => void | Promise<void>): Promise<number> {
  let rows = 0;
  for await (const { line, value } of fileRows(file)) {
    toFragment(file.dataset, value, file.rel, line, rows);
    if (++rows % PROGRESS_EVERY === 0) await progress?.(rows);
  }
  return rows;
}

const sandboxes = new Map<string, Sandbox>();

export async function validateFileTask(task: ValidateFileTask): Promise<WorkerAnswer<number>> {
  return answer(async () => {
    let sandbox = sandboxes.get(task.sandboxDir);
    if (sandbox === undefined) sandboxes.set(task.sandboxDir, (sandbox = openSandbox(task.sandboxDir, { segments: false })));
    let counted = 0;
    const rows = await validateFile(dataFiles(sandbox)[task.fileIndex]!, (n) => {
      Atomics.add(task.rowsDone, 0, n - counted);
      counted = n;
    });
    Atomics.add(task.rowsDone, 0, rows - counted);
    return rows;
  });
}
