/**
 * A generator worker thread (piscina): makes one block of persons per task and moves its bytes back, or (the
 * `weights` export) computes a chunk of persons' activity weights (see block-pool.ts).
 */
import { move, transferableSymbol, valueSymbol } from "piscina";
import type { WeightsTask } from "./block-pool.js";
import { generateBlock, type BlockResult, type BlockTask } from "./blocks.js";
import { activityWeights } from "./model.js";

/** A block whose buffers are transferred to the caller, not copied (piscina's Transferable shape). */
class MovedBlock {
  constructor(private readonly result: BlockResult) {}
  get [transferableSymbol](): ArrayBuffer[] {
    return this.result.data.map((d) => d.buffer as ArrayBuffer);
  }
  get [valueSymbol](): BlockResult {
    return this.result;
  }
}

export default async function block(task: BlockTask): Promise<unknown> {
  return move(new MovedBlock(await generateBlock(task)));
}

export function weights(task: WeightsTask): Float64Array {
  return activityWeights(task.seed, task.first, task.end);
}
