/**
 * The worker side of the shard pool: each task names a sandbox, a job and one spilled shard; the worker opens
 * the sandbox once, loads only that shard and returns the shard's result. (The export's encoder thread runs
 * encode-worker.ts, which needs none of this.) Errors come back as data (see `answer`), so a bad line still
 * names its file, line and JSON path.
 */
import type { StatusModel } from "../segment/membership.js";
import { JobControl, type JobKind } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { cancelled, type ShardProgress } from "./job-progress.js";
import { assignShards, loadShard, spillFile, type ShardAssignment, type ShardFiles, type SpillFileTask } from "./partition.js";
import { openSandbox, type Sandbox } from "./sandbox.js";
import { batchSpecs, exportContext, exportShard, RowFiles, type ExportShardResult } from "./export-shard.js";
import { evaluateShard, segmentPlan, type SegmentPlan, type SegmentShardResult } from "./segment-shard.js";
import { storeShardProgress } from "./shard-runner.js";
import { answer, type WorkerAnswer } from "./worker-answer.js";

export interface SegmentShardTask {
  readonly sandboxDir: string;
  readonly segmentIds: readonly string[] | undefined;
  readonly asOf: number;
  readonly statusModel: StatusModel;
  readonly jobId: string;
  readonly shard: ShardFiles;
  readonly partFile: string;
  /** The shard's progress, read by the job's thread (see storeShardProgress). */
  readonly progress: Int32Array;
}

const sandboxes = new Map<string, Sandbox>();
const plans = new Map<string, SegmentPlan>();

/**
 * The sandbox at `dir`, opened once per thread; `withSegments: false` for the spill's passes, which copy data
 * and need no compiled segment (the job's thread has checked them).
 */
function sandboxAt(dir: string, withSegments = true): Sandbox {
  const key = `${withSegments}\n${dir}`;
  let sandbox = sandboxes.get(key);
  if (sandbox === undefined) sandboxes.set(key, (sandbox = openSandbox(dir, { segments: withSegments })));
  return sandbox;
}

/** Stores the shard's progress where the job's thread reads it, and stops if the job was cancelled. */
function shardCheckpoint(kind: JobKind, jobId: string | number, sandbox: Sandbox, progress: Int32Array): (p: ShardProgress) => void {
  const control = new JobControl(new SandboxState(sandbox.dir).root);
  return (p) => {
    storeShardProgress(progress, p);
    if (control.cancelRequested(kind, jobId)) throw cancelled(kind, jobId);
  };
}

export async function segmentShard(task: SegmentShardTask): Promise<WorkerAnswer<SegmentShardResult>> {
  return answer(async () => {
    const sandbox = sandboxAt(task.sandboxDir);
    const planKey = `${task.sandboxDir}\n${JSON.stringify(task.segmentIds ?? null)}`;
    let plan = plans.get(planKey);
    if (plan === undefined) plans.set(planKey, (plan = segmentPlan(sandbox, task.segmentIds)));
    const shard = loadShard(sandbox, task.shard);
    const checkpoint = shardCheckpoint("segment-jobs", task.jobId, sandbox, task.progress);
    return evaluateShard(sandbox, plan, shard, { asOf: task.asOf, statusModel: task.statusModel, checkpoint }, task.partFile, task.shard.nextMembership);
  });
}

export interface ExportShardTask {
  readonly sandboxDir: string;
  readonly body: unknown;
  readonly requestFile: string | undefined;
  readonly statusModel: StatusModel;
  readonly asOf: number;
  readonly jobId: number;
  readonly shard: ShardFiles;
  /** One JSON Lines file per batch for the shard's rows. */
  readonly rowFiles: readonly string[];
  readonly progress: Int32Array;
}

export async function exportShardTask(task: ExportShardTask): Promise<WorkerAnswer<ExportShardResult>> {
  return answer(async () => {
    const sandbox = sandboxAt(task.sandboxDir);
    const context = exportContext(sandbox, task.body, task.statusModel, task.requestFile);
    const shard = loadShard(sandbox, task.shard);
    const checkpoint = shardCheckpoint("export-jobs", task.jobId, sandbox, task.progress);
    const rows = new RowFiles(task.rowFiles);
    try {
      return await exportShard(sandbox, context, batchSpecs(sandbox, context.plan, task.jobId), shard, task.asOf, rows.sink, checkpoint);
    } finally {
      rows.close();
    }
  });
}

export interface SpillFileWorkerTask {
  readonly sandboxDir: string;
  readonly task: SpillFileTask;
  /** Rows copied by every task of the pass, read by the job's thread for progress. */
  readonly rowsCopied: Int32Array;
}

export async function spillFileTask({ sandboxDir, task, rowsCopied }: SpillFileWorkerTask): Promise<WorkerAnswer<void>> {
  return answer(() => spillFile(sandboxAt(sandboxDir, false), task, rowsCopied));
}

export interface AssignShardsTask {
  readonly sandboxDir: string;
  readonly count: number;
  readonly dir: string;
  /** The membership generation to re-cut (undefined: none committed yet). */
  readonly generation: string | undefined;
  /** Rows read so far, read by the job's thread for progress. */
  readonly rowsRead: Int32Array;
}

export async function assignShardsTask({ sandboxDir, count, dir, generation, rowsRead }: AssignShardsTask): Promise<WorkerAnswer<ShardAssignment>> {
  return answer(() => assignShards(sandboxAt(sandboxDir, false), count, dir, generation, rowsRead));
}
