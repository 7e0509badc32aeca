/**
 * The export's Parquet encoder thread (a pool of one): it holds the batches' writers of a job across tasks and
 * appends the shard workers' row files to them in shard order, its heap capped like a shard worker's. It is
 * handed the rows' type, so it loads the Parquet writer alone, not the engine.
 */
import { rmSync } from "node:fs";
import { BatchWriter, finishBatches, type FinishedBatches } from "../export/batch-writer.js";
import { frameLines } from "../io/line-frames.js";
import type { XdmObject } from "../xdm/xdm-type.js";
import { answer, type WorkerAnswer } from "./worker-answer.js";

const encoders = new Map<number, BatchWriter[]>();

export interface EncodeRowsTask {
  readonly jobId: number;
  /** The export's row type (ExportContext.rowType). */
  readonly rowType: XdmObject;
  /** Each batch's staging folder. */
  readonly batchDirs: readonly string[];
  readonly rowsPerFile: number;
  /** One shard's rows for each batch (frame files), appended then removed. */
  readonly rowFiles: readonly string[];
}

export async function encodeRowsTask(task: EncodeRowsTask): Promise<WorkerAnswer<void>> {
  return answer(async () => {
    let writers = encoders.get(task.jobId);
    if (writers === undefined) encoders.set(task.jobId, (writers = task.batchDirs.map((dir) => new BatchWriter(dir, task.rowType, task.rowsPerFile))));
    for (let i = 0; i < task.rowFiles.length; i++) {
      for (const { text } of frameLines(task.rowFiles[i]!)) await writers[i]!.write(text);
      rmSync(task.rowFiles[i]!);
    }
  });
}

export async function finishEncodingTask({ jobId }: { readonly jobId: number }): Promise<WorkerAnswer<FinishedBatches>> {
  return answer(async () => {
    const writers = encoders.get(jobId) ?? [];
    encoders.delete(jobId);
    return finishBatches(writers);
  });
}
