/**
 * A generator worker thread (piscina): makes one block of persons per task and moves its bytes back, or (the
 * `weights` export) computes a chunk of persons' activity weights, or (the `encode` export) encodes a row group
 * into a Parquet file and moves it back (see block-pool.ts).
 */
import { move, transferableSymbol, valueSymbol } from "piscina";
import { encodeParquet } from "../io/parquet-writer.js";
import type { EncodeTask, WeightsTask } from "./block-pool.js";
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

export async function encode(task: EncodeTask): Promise<unknown> {
  const file = await encodeParquet(task.batches, task.options);
  return move(file);
}
