/**
 * The worker side of the shard pool: each task names a sandbox, a job and one spilled shard; the worker opens
 * the sandbox once, loads only that shard and returns the shard's result. Errors come back as data (see
 * `answer`), so a bad line still names its file, line and JSON path.
 */
import type { StatusModel } from "../segment/membership.js";
import { JobControl } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { progressCheck } from "./job-progress.js";
import { loadShard, type ShardFiles } from "./partition.js";
import { openSandbox, type Sandbox } from "./sandbox.js";
import { evaluateShard, segmentPlan, type SegmentPlan, type SegmentShardResult } from "./segment-shard.js";
import { answer, type WorkerAnswer } from "./shard-runner.js";

export interface SegmentShardTask {
  readonly sandboxDir: string;
  readonly segmentIds: readonly string[] | undefined;
  readonly asOf: number;
  readonly statusModel: StatusModel;
  readonly jobId: string;
  readonly shard: ShardFiles;
  readonly partFile: string;
  /** Profiles done per shard, read by the job's thread for progress. */
  readonly progress: Int32Array;
}

const sandboxes = new Map<string, Sandbox>();
const plans = new Map<string, SegmentPlan>();

function sandboxAt(dir: string): Sandbox {
  let sandbox = sandboxes.get(dir);
  if (sandbox === undefined) sandboxes.set(dir, (sandbox = openSandbox(dir)));
  return sandbox;
}

export async function segmentShard(task: SegmentShardTask): Promise<WorkerAnswer<SegmentShardResult>> {
  return answer(async () => {
    const sandbox = sandboxAt(task.sandboxDir);
    const planKey = `${task.sandboxDir}\n${JSON.stringify(task.segmentIds ?? null)}`;
    let plan = plans.get(planKey);
    if (plan === undefined) plans.set(planKey, (plan = segmentPlan(sandbox, task.segmentIds)));
    const control = new JobControl(new SandboxState(sandbox.dir).root);
    const check = progressCheck("segment-jobs", task.jobId, control);
    const checkpoint = (profiles: number): void => {
      Atomics.store(task.progress, task.shard.index, profiles);
      check(task.shard.index, profiles);
    };
    const shard = loadShard(sandbox, task.shard);
    return evaluateShard(sandbox, plan, shard, { asOf: task.asOf, statusModel: task.statusModel, checkpoint }, task.partFile);
  });
}
