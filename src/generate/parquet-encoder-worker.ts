/** The generator's Parquet encoder thread: writes files from the Arrow batches it is sent (see parquet-encoder.ts). */
import { parentPort } from "node:worker_threads";
import { ProfileLabError } from "../xdm/errors.js";
import { ParquetFileWriter } from "../io/parquet-writer.js";
import type { EncoderReply, EncoderRequest } from "./parquet-encoder.js";

const port = parentPort!;
const files = new Map<number, ParquetFileWriter>();
let chain: Promise<void> = Promise.resolve();

async function handle(m: EncoderRequest): Promise<void> {
  switch (m.op) {
    case "open":
      files.set(m.file, await ParquetFileWriter.openEncoded(m.path, m.options));
      return;
    case "write":
      return files.get(m.file)!.writeEncoded(m.ipc, m.rows);
    case "close":
      await files.get(m.file)!.close();
      files.delete(m.file);
      return;
    case "abort":
      await files.get(m.file)?.abort();
      files.delete(m.file);
      return;
  }
}

port.on("message", (m: EncoderRequest) => {
  // One request at a time, in order: a write waits until its file's encoder has taken the previous batch.
  chain = chain.then(async () => {
    let reply: EncoderReply;
    try {
      await handle(m);
      reply = { seq: m.seq, ok: true };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      reply = {
        seq: m.seq,
        ok: false,
        error: {
          name: err.name,
          message: err.message,
          ...(err instanceof ProfileLabError ? { code: err.code, location: err.location as object } : {}),
        },
      };
    }
    port.postMessage(reply);
  });
});
