/** A generator worker thread (piscina): makes one block of persons per task and moves its bytes back (see block-pool.ts). */
import { move, transferableSymbol, valueSymbol } from "piscina";
import { generateBlock, type BlockResult, type BlockTask } from "./blocks.js";

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
