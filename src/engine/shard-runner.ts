/**
 * Runs a job's work shard by shard: in this thread when the data fits in memory as one shard and one worker
 * is asked for, otherwise spilled to disk and run on a pool of worker threads (piscina) — one shard per
 * task, each worker reading only its shard's files, its heap capped at its share of the memory budget.
 * Results come back in shard order whoever ran them. A spill is kept for the next job (spill-cache.ts).
 */
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { ProfileLabError } from "../xdm/errors.js";
import { JobControl, type JobKind } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";
import { checkedWhile, type Checkpoint, type ShardProgress, type StageProgress } from "./job-progress.js";
import {
  DEFAULT_MEMORY_BYTES,
  inputBytes,
  sandboxShardInMemory,
  shardCountFor,
  spillShards,
  workerHeapBytes,
  type Shard,
  type ShardAssignment,
  type ShardFiles,
  type SpilledShards,
} from "./partition.js";
import type { Sandbox } from "./sandbox.js";
import { keepSpill, reuseSpill } from "./spill-cache.js";
import type { AssignShardsTask, SpillFileWorkerTask } from "./shard-worker.js";
import { rebuildError, type WorkerAnswer } from "./worker-answer.js";

/** Input (in JSON Lines bytes) from which jobs use every core unless told how many workers to use. */
const PARALLEL_FROM_BYTES = 256 * 2 ** 20;

/** Whether the sandbox's data is large enough for worker threads to pay for their start (each loads the engine). */
export function worthWorkers(sandbox: Sandbox): boolean {
  return inputBytes(sandbox) >= PARALLEL_FROM_BYTES;
}

/** Workers for a job: as asked, else one per core for large inputs and none (this thread) for small ones. */
export function workersFor(sandbox: Sandbox, asked: number | undefined): number {
  if (asked !== undefined) return asked;
  return worthWorkers(sandbox) ? availableParallelism() : 1;
}

export interface ShardRunOptions {
  /** The job the shards are run for: a spill replaces the kept one only when no other job is running. */
  readonly job: { readonly kind: JobKind; readonly id: string | number };
  /** The membership generation a segment job writes: its shards write their next memberships beside a kept spill. */
  readonly nextMembership?: string;
  readonly memoryBytes?: number;
  /** Each shard worker's heap; by default its share of the budget (an export gives a share to its encoder). */
  readonly heapBytes?: number;
  /** Worker threads for spilled shards. */
  readonly workers: number;
  /** The merge policies the job works under (a segment job's; one for an export): shards count profiles per policy. */
  readonly policies: number;
  /**
   * Reports progress and throws to stop the job: called in this thread as an in-memory shard goes, and every
   * 250 ms while the spill or shards run on workers (a cancel then ends the workers at once).
   */
  readonly checkpoint: Checkpoint<StageProgress>;
}

export interface ShardWork<R> {
  /** Processes the whole sandbox as one shard in this thread, calling `checkpoint` as it goes. */
  here(shard: Shard, checkpoint: Checkpoint<ShardProgress>): R | Promise<R>;
  /**
   * Processes a spilled shard on the pool; the worker stores its progress in `progress` (storeShardProgress).
   * Work that goes on after the shard's profiles are done (an export's encoding) calls `evaluated` then, so
   * that progress counts the shard as done.
   */
  worker(pool: ShardPool, files: ShardFiles, progress: Int32Array, evaluated: () => void): Promise<R>;
}

/**
 * Where a worker keeps its shard's progress for the job's thread: one slot per merge policy of the job (the
 * profiles done under it), then one for the profiles exported.
 */
export function storeShardProgress(slots: Int32Array, p: ShardProgress): void {
  if (p.policy !== undefined && p.profiles !== undefined) Atomics.store(slots, p.policy, p.profiles);
  if (p.exported !== undefined) Atomics.store(slots, slots.length - 1, p.exported);
}

/** The job's progress over the shards' slots: profiles as the result counts them (the largest policy's sum). */
function shardsProgress(progress: Int32Array, shards: number, policies: number): { readonly profiles: number; readonly exported: number } {
  const slots = policies + 1;
  let profiles = 0;
  for (let p = 0; p < policies; p++) {
    let sum = 0;
    for (let s = 0; s < shards; s++) sum += Atomics.load(progress, s * slots + p);
    profiles = Math.max(profiles, sum);
  }
  let exported = 0;
  for (let s = 0; s < shards; s++) exported += Atomics.load(progress, s * slots + policies);
  return { profiles, exported };
}

/** A shard's progress in this thread as the job's: its policy counted from 1. */
function oneShard(p: ShardProgress, policies: number): StageProgress {
  return {
    stage: p.stage,
    rows: p.rows ?? 0,
    ...(p.totalRows !== undefined ? { totalRows: p.totalRows } : {}),
    shardsDone: 0,
    shards: 1,
    profiles: p.profiles ?? 0,
    ...(p.totalProfiles !== undefined ? { totalProfiles: p.totalProfiles } : {}),
    ...(p.policy !== undefined ? { policy: p.policy + 1, policies } : {}),
    ...(p.exported !== undefined ? { exported: p.exported } : {}),
  };
}

/** Runs `work` over every shard and returns the results in shard order. */
export async function runShards<R>(sandbox: Sandbox, options: ShardRunOptions, work: ShardWork<R>): Promise<R[]> {
  const budget = { ...(options.memoryBytes ? { memoryBytes: options.memoryBytes } : {}), workers: options.workers };
  const shards = shardCountFor(sandbox, budget);
  const heap = options.heapBytes ?? workerHeapBytes(budget);
  if (shards === 1) {
    const checkpoint = (p: ShardProgress): void | Promise<void> => options.checkpoint(oneShard(p, options.policies));
    const shard = await sandboxShardInMemory(sandbox, checkpoint);
    return [await work.here(shard, checkpoint)];
  }
  const spilled = await shardsOnDisk(sandbox, options, shards, heap, (pass, read, total) =>
    options.checkpoint({ stage: pass === 1 ? "identities" : "spill", rows: read, ...(total !== undefined ? { totalRows: total } : {}), shardsDone: 0, shards, profiles: 0 }),
  );
  // Each shard's progress, written by the worker running it: see storeShardProgress.
  const slots = options.policies + 1;
  const progress = new Int32Array(new SharedArrayBuffer(4 * shards * slots));
  const exporting = options.job.kind === "export-jobs";
  let shardsDone = 0;
  const state = (): StageProgress => {
    const { profiles, exported } = shardsProgress(progress, shards, options.policies);
    // Once every shard's rows are made, an export's encoder may still be writing them.
    const stage = !exporting ? "evaluating" : shardsDone < shards ? "merging" : "writing";
    return { stage, rows: 0, shardsDone, shards, profiles, ...(exporting ? { exported } : {}) };
  };
  try {
    return await withPool(options.workers, heap, "a shard", (pool) =>
      polled(
        pool,
        Promise.all(
          spilled.shards.map(async (files) => {
            let counted = false;
            const evaluated = (): void => {
              if (!counted) shardsDone++;
              counted = true;
            };
            const result = await work.worker(pool, files, progress.subarray(files.index * slots, (files.index + 1) * slots), evaluated);
            evaluated();
            return result;
          }),
        ),
        () => options.checkpoint(state()),
      ),
    );
  } finally {
    spilled.remove();
  }
}

/**
 * The shards on disk: the kept spill when it holds this data cut into `shards` with the stored memberships,
 * else a new spill, kept for the next job unless another job is running. Each pass of the spill runs on a
 * pool of its own, whose memory (the identity graph; Parquet decoding in wasm, which never shrinks) goes with
 * its threads before the next stage; pass 1 runs alone on one thread and takes the whole budget.
 */
async function shardsOnDisk(
  sandbox: Sandbox,
  options: ShardRunOptions,
  shards: number,
  heap: number,
  spillProgress: (pass: 1 | 2, read: number, total?: number) => void | Promise<void>,
): Promise<SpilledShards> {
  const generation = new SandboxState(sandbox.dir).membership.current();
  const kept = reuseSpill(sandbox, shards, generation, options.nextMembership);
  if (kept !== undefined) return kept;
  const fresh = await spillShards(sandbox, shards, generation, {
    assign: (dir) =>
      withPool(1, options.memoryBytes ?? DEFAULT_MEMORY_BYTES, "reading the identity graph", (pool) => {
        const rowsRead = new Int32Array(new SharedArrayBuffer(4));
        const task: AssignShardsTask = { sandboxDir: sandbox.dir, count: shards, dir, generation, rowsRead };
        return polled(pool, pool.run<AssignShardsTask, ShardAssignment>("assignShardsTask", task), () => spillProgress(1, Atomics.load(rowsRead, 0)));
      }),
    copy: (tasks, fileRows) =>
      withPool(options.workers, heap, "copying rows to shards", (pool) => {
        const total = fileRows.reduce((n, x) => n + x, 0);
        // Rows copied, counted by the workers as they go.
        const rowsCopied = new Int32Array(new SharedArrayBuffer(4));
        const copying = Promise.all(tasks.map((task) => pool.run<SpillFileWorkerTask, void>("spillFileTask", { sandboxDir: sandbox.dir, task, rowsCopied })));
        return polled(pool, copying, () => spillProgress(2, Atomics.load(rowsCopied, 0), total));
      }).then(() => undefined),
  });
  const othersRunning = new JobControl(new SandboxState(sandbox.dir).root).othersRunning(options.job.kind, options.job.id);
  return othersRunning ? fresh : keepSpill(sandbox, fresh, generation, options.nextMembership);
}

/**
 * Waits for a task while calling `check` every 250 ms; a check that throws or rejects (a cancel) ends the
 * pool, so the task stops at once.
 */
function polled<T>(pool: ShardPool, task: Promise<T>, check: () => void | Promise<void>): Promise<T> {
  return checkedWhile(task, check).catch((e: unknown) => {
    void pool.destroy();
    throw e;
  });
}

/** Runs `fn` with a pool that is destroyed (its threads ended) afterwards, whatever happens. */
async function withPool<T>(workers: number, heapBytes: number, work: string, fn: (pool: ShardPool) => Promise<T>): Promise<T> {
  const pool = new ShardPool(workers, heapBytes, work);
  try {
    return await fn(pool);
  } finally {
    await pool.destroy();
  }
}

/**
 * The worker entry that holds each task. A thread loads an entry when its first task needs it, and only that
 * entry's modules: the export's encoder writes Parquet and never loads the PQL parser or the merge engine,
 * which take a shard worker most of its start (0.7–1 s of CPU per thread).
 */
const TASK_ENTRIES = {
  segmentShard: "shard-worker",
  exportShardTask: "shard-worker",
  spillFileTask: "shard-worker",
  assignShardsTask: "shard-worker",
  encodeRowsTask: "encode-worker",
  finishEncodingTask: "encode-worker",
  validateFileTask: "validate-worker",
} as const;

export type WorkerTaskName = keyof typeof TASK_ENTRIES;

/**
 * A worker entry beside this module. Run from the TypeScript sources (tests), workers use the compiled one:
 * tsx's loader fails to resolve chevrotain's module graph inside a worker thread. The test setup builds it.
 */
function entryFile(entry: (typeof TASK_ENTRIES)[WorkerTaskName]): string {
  const fromSources = fileURLToPath(import.meta.url).endsWith(".ts");
  return new URL(fromSources ? `../../dist/engine/${entry}.js` : `./${entry}.js`, import.meta.url).href;
}

/** Below this a worker's heap cannot hold the engine's own code and a small shard. */
const MIN_WORKER_HEAP_MB = 96;
const MAX_YOUNG_GENERATION_MB = 64;

export class ShardPool {
  private readonly pool: Piscina;
  private readonly heapMb: number;
  private ending: Promise<void> | undefined;

  /** `heapBytes` caps each worker's heap, young and old generations (so garbage is collected within the budget). */
  /** `work` names what the threads do, for the error when one runs out of memory. */
  constructor(
    workers: number,
    heapBytes: number,
    private readonly work: string,
  ) {
    this.heapMb = Math.max(MIN_WORKER_HEAP_MB, Math.floor(heapBytes / 2 ** 20));
    // A quarter of it, up to 64 MiB, for the young generation (V8's default is 48 MiB) measured 5 % faster:
    // a shard's objects all survive, and fewer scavenges copy them fewer times.
    const young = Math.min(MAX_YOUNG_GENERATION_MB, Math.floor(this.heapMb / 4));
    this.pool = new Piscina({
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb - young, maxYoungGenerationSizeMb: young },
    });
  }

  /** Runs the worker entry's export `name` on `task`. */
  async run<T, R>(name: WorkerTaskName, task: T): Promise<R> {
    let answer: WorkerAnswer<R>;
    try {
      answer = (await this.pool.run(task, { name, filename: entryFile(TASK_ENTRIES[name]) })) as WorkerAnswer<R>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") {
        throw new ProfileLabError(
          "ENG-M001",
          `${this.work} needed more than a thread's ${this.heapMb} MiB of heap (its share of the --memory budget); raise --memory or use fewer --workers`,
        );
      }
      throw e;
    }
    if ("error" in answer) throw rebuildError(answer.error);
    return answer.ok;
  }

  /** Ends the pool's threads; called again, waits for the same end. */
  destroy(): Promise<void> {
    return (this.ending ??= this.pool.destroy());
  }
}
