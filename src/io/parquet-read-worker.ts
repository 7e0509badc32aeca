/**
 * The Parquet decoding thread: opens one file at a time with parquet-wasm and hands its record batches to
 * the reading thread as Arrow IPC (see parquet-read-thread.ts). Corrupt column data makes parquet-wasm's
 * async reader panic (`RuntimeError: unreachable`, thrown outside any promise); here that ends this thread
 * alone, which the reading thread reports as a located error.
 */
import { openAsBlob } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import * as PW from "parquet-wasm/esm";
import type { DecodeReply, DecodeRequest, DecodeThreadData } from "./parquet-read-thread.js";

// The module arrives compiled (parquet-read-thread.ts): instantiating it takes milliseconds where compiling took
// most of a new thread's start.
PW.initSync({ module: (workerData as DecodeThreadData).module as PW.SyncInitInput });
const port = parentPort!;
let file: PW.ParquetFile | undefined;
let reader: ReadableStreamDefaultReader<PW.RecordBatch> | undefined;

async function closeFile(): Promise<void> {
  const r = reader;
  reader = undefined;
  if (r !== undefined) {
    await r.cancel().catch(() => undefined);
    r.releaseLock();
  }
  file?.free();
  file = undefined;
}

async function handle(m: DecodeRequest): Promise<DecodeReply> {
  switch (m.op) {
    case "open": {
      await closeFile();
      file = await PW.ParquetFile.fromFile(await openAsBlob(m.path));
      const metadata = file.metadata();
      const groupRows = metadata.rowGroups().map((g) => {
        const n = g.numRows();
        g.free();
        return n;
      });
      metadata.free();
      const schema = file.schema().intoIPCStream();
      return { ok: true, schema, groupRows };
    }
    case "stream": {
      reader = ((await file!.stream({ columns: [...m.columns], batchSize: m.batchSize, concurrency: 1, ...(m.rowGroups ? { rowGroups: [...m.rowGroups] } : {}) })) as ReadableStream<PW.RecordBatch>).getReader();
      return { ok: true };
    }
    case "next": {
      const next = await reader!.read();
      if (next.done) return { ok: true };
      const rows = next.value.numRows;
      return { ok: true, batch: next.value.intoIPCStream(), rows };
    }
    case "drain": {
      let rows = 0;
      for (let next = await reader!.read(); !next.done; next = await reader!.read()) {
        rows += next.value.numRows;
        next.value.free();
      }
      return { ok: true, rows };
    }
    case "close":
      await closeFile();
      return { ok: true };
  }
}

port.on("message", (m: DecodeRequest) => {
  // One request at a time: the reading thread waits for each answer before it asks again.
  handle(m).then(
    (reply) => port.postMessage(reply, reply.batch ? [reply.batch.buffer as ArrayBuffer] : []),
    (e: unknown) => port.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) } satisfies DecodeReply),
  );
});
