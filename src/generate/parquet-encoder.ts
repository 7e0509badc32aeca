/**
 * Where the generator's Arrow batches are encoded to Parquet: in this thread, or in one worker thread so that
 * generating rows and building Arrow batches (this thread) overlaps with Parquet encoding (the worker). Both
 * feed the same `ParquetFileWriter.openEncoded` the same IPC bytes, so the files are byte-identical.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { IoError } from "../io/io-error.js";
import { ParquetFileWriter, type ParquetWriteOptions } from "../io/parquet-writer.js";

/** One Parquet file being written from prebuilt batches. */
export interface EncodedFile {
  /** Resolves once the encoder has queued the batch (at most one more waits behind the one being encoded). */
  write(ipc: Uint8Array, rows: number): Promise<void>;
  close(): Promise<void>;
  /** Closes and deletes the file. */
  abort(): Promise<void>;
}

export interface ParquetEncoder {
  open(path: string, options: ParquetWriteOptions): Promise<EncodedFile>;
  /** Releases the encoder (ends the worker thread). */
  dispose(): Promise<void>;
}

/** Encodes in this thread. */
export function localEncoder(): ParquetEncoder {
  return {
    async open(path, options) {
      const w = await ParquetFileWriter.openEncoded(path, options);
      return {
        write: (ipc, rows) => w.writeEncoded(ipc, rows),
        close: async () => void (await w.close()),
        abort: () => w.abort(),
      };
    },
    dispose: async () => undefined,
  };
}

/** A request to the worker (see parquet-encoder-worker.ts). */
export type EncoderRequest =
  | { readonly op: "open"; readonly seq: number; readonly file: number; readonly path: string; readonly options: ParquetWriteOptions }
  | { readonly op: "write"; readonly seq: number; readonly file: number; readonly ipc: Uint8Array; readonly rows: number }
  | { readonly op: "close" | "abort"; readonly seq: number; readonly file: number };

export type EncoderReply =
  | { readonly seq: number; readonly ok: true }
  | { readonly seq: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string; readonly code?: string; readonly location?: object } };

/**
 * The worker script. Under tsx/vitest (this module is TypeScript) the compiled one in `dist/` runs, as for
 * the engine's shard workers: the test setup builds it.
 */
const WORKER_FILE = fileURLToPath(import.meta.url).endsWith(".ts")
  ? new URL("../../dist/generate/parquet-encoder-worker.js", import.meta.url)
  : new URL("./parquet-encoder-worker.js", import.meta.url);

/** Encodes in one worker thread; batches are transferred, not copied. */
export function workerEncoder(): ParquetEncoder {
  const worker = new Worker(WORKER_FILE);
  const waiting = new Map<number, { resolve: () => void; reject: (e: unknown) => void }>();
  let seq = 0;
  let failure: unknown;
  const failAll = (e: unknown): void => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on("message", (reply: EncoderReply) => {
    const w = waiting.get(reply.seq);
    if (w === undefined) return;
    waiting.delete(reply.seq);
    if (reply.ok) w.resolve();
    else {
      const { name, message, code, location } = reply.error;
      const e = code !== undefined && name === "IoError" ? new IoError(code, message, location as ConstructorParameters<typeof IoError>[2]) : new Error(message);
      w.reject(e);
    }
  });
  worker.on("error", failAll);
  worker.on("exit", (code) => failAll(new Error(`the Parquet encoder thread exited (code ${code})`)));
  const request = (message: EncoderRequest, transfer: ArrayBuffer[] = []): Promise<void> => {
    if (failure !== undefined) return Promise.reject(failure);
    return new Promise<void>((resolve, reject) => {
      waiting.set(message.seq, { resolve, reject });
      worker.postMessage(message, transfer);
    });
  };
  let files = 0;
  return {
    async open(path, options) {
      const file = files++;
      await request({ op: "open", seq: seq++, file, path, options });
      return {
        write: (ipc, rows) => request({ op: "write", seq: seq++, file, ipc, rows }, [ipc.buffer as ArrayBuffer]),
        close: () => request({ op: "close", seq: seq++, file }),
        abort: () => request({ op: "abort", seq: seq++, file }),
      };
    },
    async dispose() {
      failure ??= new Error("the Parquet encoder was disposed");
      await worker.terminate();
    },
  };
}
