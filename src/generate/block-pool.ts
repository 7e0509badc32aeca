/**
 * The generator's threads: a pool of worker threads (piscina), or none, that makes a generation's blocks and
 * encodes its Parquet row groups. Blocks go to `take` in block order whoever made them; at most four blocks per
 * worker are being made or waiting to be taken, so memory does not grow with the number of persons. Before the
 * blocks, the pool computes the persons' activity weights (`activityScale`, which every block needs), a chunk
 * of persons a task. Row groups are encoded by whichever thread is free (`encode`): what is encoded depends only
 * on the blocks, so the files do not depend on the number of workers.
 */
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { encodeParquet, type ParquetWriteOptions } from "../io/parquet-writer.js";
import { blockCount, generateBlock, type BlockPlan, type BlockResult } from "./blocks.js";
import { ACTIVITY_CHUNK, activityScale, addWeights, needsActivity, scaleOf } from "./model.js";

/**
 * The worker script. Under tsx/vitest (this module is TypeScript) the compiled one in `dist/` runs, as for the
 * engine's shard workers: the test setup builds it.
 */
const WORKER_FILE = fileURLToPath(import.meta.url).endsWith(".ts")
  ? new URL("../../dist/generate/block-worker.js", import.meta.url)
  : new URL("./block-worker.js", import.meta.url);

/**
 * A young generation larger than V8's default: a block's values live until its batch is built, and with the
 * default semi-spaces many of them survive two scavenges and are copied into the old generation first. Half
 * what it was (96 MiB) since each person's events are written into the columns as they are made and die
 * young: the same CPU, 30–90 MiB less peak RSS with 2 workers.
 */
const BLOCK_WORKER_LIMITS = { maxYoungGenerationSizeMb: 48 };

/** A generation's blocks before their activity scale is known (`forEachBlock` computes it). */
export type PoolPlan = Omit<BlockPlan, "activityScale">;

/** The task of the worker's `weights` export: the activity weights of persons `first … end - 1`. */
export interface WeightsTask {
  readonly seed: number;
  readonly first: number;
  readonly end: number;
}

/** The task of the worker's `encode` export: a row group's Arrow IPC batches, encoded into a Parquet file. */
export interface EncodeTask {
  readonly batches: Uint8Array[];
  readonly options: ParquetWriteOptions;
}

export interface GeneratorPool {
  /** Makes the blocks and hands each to `take`, in block order. */
  forEachBlock(plan: PoolPlan, take: (block: BlockResult) => Promise<void>): Promise<void>;
  /** Encodes a row group's batches into a Parquet file (`encodeParquet`); the batches' buffers are moved. */
  encode(task: EncodeTask): Promise<Uint8Array>;
  /** Ends the worker threads. */
  destroy(): Promise<void>;
}

/** A pool of `workers` threads, or with 0 this thread doing everything. */
export function generatorPool(workers: number): GeneratorPool {
  if (workers === 0) {
    return {
      async forEachBlock(plan, take) {
        const blocks = blockCount(plan.profiles);
        if (blocks === 0) return;
        const full = { ...plan, activityScale: activityScale(plan.seed, plan.profiles, plan.eventsPerProfile, plan.shape.events.anonymous) };
        for (let b = 0; b < blocks; b++) await take(await generateBlock({ ...full, block: b }));
      },
      encode: (task) => encodeParquet(task.batches, task.options),
      destroy: async () => undefined,
    };
  }
  const pool = new Piscina({ filename: WORKER_FILE.href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, resourceLimits: BLOCK_WORKER_LIMITS });
  return {
    async forEachBlock(plan, take) {
      const blocks = blockCount(plan.profiles);
      if (blocks === 0) return;
      const full: BlockPlan = { ...plan, activityScale: await scaleOnPool(pool, plan, workers) };
      // Four blocks a worker in flight (two left workers idle ~5 % of the time, waiting behind a slow block or a
      // row group being encoded).
      await inOrder(blocks, 4 * workers, (block) => pool.run({ ...full, block }) as Promise<BlockResult>, take);
    },
    encode: (task) => pool.run(task, { name: "encode", transferList: [...new Set(task.batches.map((b) => b.buffer as ArrayBuffer))] }) as Promise<Uint8Array>,
    destroy: () => pool.destroy(),
  };
}

/**
 * `activityScale` with the weights computed on the pool (a serial pass of ~3 µs a person otherwise: ~30 s
 * before a 10M generation starts) and added up here in person order, so the scale is the same to the bit.
 */
async function scaleOnPool(pool: Piscina, plan: PoolPlan, workers: number): Promise<number> {
  const { seed, profiles, eventsPerProfile } = plan;
  if (!needsActivity(profiles, eventsPerProfile)) return 0;
  let total = 0;
  const chunks = Math.ceil(profiles / ACTIVITY_CHUNK);
  await inOrder(
    chunks,
    2 * workers,
    (k) => pool.run({ seed, first: k * ACTIVITY_CHUNK, end: Math.min((k + 1) * ACTIVITY_CHUNK, profiles) } satisfies WeightsTask, { name: "weights" }) as Promise<Float64Array>,
    async (weights) => void (total = addWeights(total, weights)),
  );
  return scaleOf(total, profiles, eventsPerProfile, plan.shape.events.anonymous);
}

/** Runs tasks `0 … count - 1`, at most `inFlight` at once, and hands their results to `take` in task order. */
async function inOrder<T>(count: number, inFlight: number, run: (k: number) => Promise<T>, take: (result: T) => Promise<void>): Promise<void> {
  const made: Promise<T>[] = [];
  let next = 0;
  const submit = (): void => {
    const result = run(next++);
    result.catch(() => undefined); // awaited (and thrown) in task order below
    made.push(result);
  };
  while (next < count && made.length < inFlight) submit();
  while (made.length > 0) {
    const result = await made.shift()!;
    if (next < count) submit();
    await take(result);
  }
}
