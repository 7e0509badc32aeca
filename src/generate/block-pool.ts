/**
 * Runs a generation's blocks in this thread (no workers) or on a pool of worker threads (piscina), handing each
 * block to `take` in block order whoever made it. At most two blocks per worker are being made or waiting to
 * be taken, so memory does not grow with the number of persons.
 */
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { blockCount, generateBlock, type BlockPlan, type BlockResult } from "./blocks.js";

/**
 * The worker script. Under tsx/vitest (this module is TypeScript) the compiled one in `dist/` runs, as for the
 * engine's shard workers: the test setup builds it.
 */
const WORKER_FILE = fileURLToPath(import.meta.url).endsWith(".ts")
  ? new URL("../../dist/generate/block-worker.js", import.meta.url)
  : new URL("./block-worker.js", import.meta.url);

/**
 * A young generation twice V8's default (64 MiB semi-spaces): a block's rows live until its batch is built,
 * and with the default semi-spaces many of them survive two scavenges and are copied into the old generation
 * first; ~14 % less CPU for making blocks.
 */
const BLOCK_WORKER_LIMITS = { maxYoungGenerationSizeMb: 96 };

export async function forEachBlock(plan: BlockPlan, workers: number, take: (block: BlockResult) => Promise<void>): Promise<void> {
  const blocks = blockCount(plan.profiles);
  if (workers === 0 || blocks === 0) {
    for (let b = 0; b < blocks; b++) await take(await generateBlock({ ...plan, block: b }));
    return;
  }
  const pool = new Piscina({ filename: WORKER_FILE.href, minThreads: workers, maxThreads: workers, idleTimeout: 60_000, resourceLimits: BLOCK_WORKER_LIMITS });
  try {
    const made: Promise<BlockResult>[] = [];
    let next = 0;
    const submit = (): void => {
      const result = pool.run({ ...plan, block: next++ }) as Promise<BlockResult>;
      result.catch(() => undefined); // awaited (and thrown) in block order below
      made.push(result);
    };
    while (next < blocks && made.length < 2 * workers) submit();
    while (made.length > 0) {
      const result = await made.shift()!;
      if (next < blocks) submit();
      await take(result);
    }
  } finally {
    await pool.destroy();
  }
}
