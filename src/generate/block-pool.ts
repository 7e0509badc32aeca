/**
 * Runs a generation's blocks in this thread (no workers) or on a pool of worker threads (piscina), handing each
 * block to `take` in block order whoever made it. At most two blocks per worker are being made or waiting to
 * be taken, so memory does not grow with the number of persons. Before the blocks, the pool computes the
 * persons' activity weights (`activityScale`, which every block needs), a chunk of persons a task.
 */
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
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

export async function forEachBlock(plan: PoolPlan, workers: number, take: (block: BlockResult) => Promise<void>): Promise<void> {
  const blocks = blockCount(plan.profiles);
  if (workers === 0 || blocks === 0) {
    const full = { ...plan, activityScale: activityScale(plan.seed, plan.profiles, plan.eventsPerProfile, plan.shape.events.anonymous) };
    for (let b = 0; b < blocks; b++) await take(await generateBlock({ ...full, block: b }));
    return;
  }
  const pool = new Piscina({ filename: WORKER_FILE.href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, resourceLimits: BLOCK_WORKER_LIMITS });
  try {
    const full: BlockPlan = { ...plan, activityScale: await scaleOnPool(pool, plan, workers) };
    await inOrder(blocks, 2 * workers, (block) => pool.run({ ...full, block }) as Promise<BlockResult>, take);
  } finally {
    await pool.destroy();
  }
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
