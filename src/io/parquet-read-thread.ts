/**
 * Threads that decode Parquet for the reader (parquet-reader.ts), one file at a time each.
 *
 * Why a thread: parquet-wasm 0.8.0's async reader panics on corrupt column data (a `RuntimeError: unreachable`
 * thrown from a wasm-bindgen task, outside the promise being awaited, which never settles): in the reading
 * thread it would end the process with a wasm stack. In a thread of its own the panic ends that thread only,
 * the pending request fails with `DecodeThreadDied`, and the next file gets a fresh thread and wasm instance.
 * Batches cross as Arrow IPC bytes, transferred, not copied; a thread decodes the next batch while the reading
 * thread converts the last.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";

/** A request to a decoding thread; it answers each with one DecodeReply, in order. */
export type DecodeRequest =
  | { readonly op: "open"; readonly path: string }
  | { readonly op: "stream"; readonly columns: readonly string[]; readonly batchSize: number; readonly rowGroups?: readonly number[] }
  | { readonly op: "next" | "drain" | "close" };

export interface DecodeReply {
  readonly ok: boolean;
  /** Why a request failed (`ok: false`): parquet-wasm's error message. */
  readonly message?: string;
  /** `open`: the file's Arrow schema as IPC, and the rows of each row group. */
  readonly schema?: Uint8Array;
  readonly groupRows?: readonly number[];
  /** `next`: the next record batch as Arrow IPC (absent at the end of the stream). */
  readonly batch?: Uint8Array;
  /** `next`: the batch's rows; `drain`: the rows decoded. */
  readonly rows?: number;
}

/** The decoding thread ended during a request: parquet-wasm panicked (corrupt data) or the thread failed. */
export class DecodeThreadDied extends Error {
  override readonly name = "DecodeThreadDied";
  /** Whether parquet-wasm panicked (a wasm trap), as it does on corrupt data. */
  readonly panicked: boolean;
  constructor(cause: unknown) {
    const e = cause instanceof Error ? cause : undefined;
    super(e ? `${e.name}: ${e.message}` : String(cause));
    this.panicked = e?.name === "RuntimeError";
  }
}

/** The worker script; run from the TypeScript sources (tests) the compiled one is used, as for the shard workers. */
const WORKER_FILE = fileURLToPath(import.meta.url).endsWith(".ts")
  ? new URL("../../dist/io/parquet-read-worker.js", import.meta.url)
  : new URL("./parquet-read-worker.js", import.meta.url);

/** The global WebAssembly API, which this project's lib (ES2023, no DOM) does not declare. */
declare const WebAssembly: { readonly Module: new (bytes: Uint8Array) => object };

/** What a decoding thread starts with: parquet-wasm's module (a WebAssembly.Module), compiled once in this thread and shared. */
export interface DecodeThreadData {
  readonly module: object;
}

let compiled: object | undefined;

/**
 * parquet-wasm compiled once per process: each thread instantiates it instead of compiling its 5 MB again
 * (a new thread took ~150 ms on an idle machine, 400–600 ms on a busy one, mostly compiling).
 */
function wasmModule(): object {
  compiled ??= new WebAssembly.Module(readFileSync(createRequire(import.meta.url).resolve("parquet-wasm/esm/parquet_wasm_bg.wasm")));
  return compiled;
}

/** Idle threads kept for the next files (each holds a compiled wasm instance: ~150 ms to start one). */
const MAX_IDLE = 2;
/** An idle thread ends after this long unused, giving back its wasm memory. */
const IDLE_MS = 15_000;

const idle: DecodeThread[] = [];

export class DecodeThread {
  private readonly worker: Worker;
  private pending: { resolve: (r: DecodeReply) => void; reject: (e: unknown) => void } | undefined;
  private died: DecodeThreadDied | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  private constructor() {
    this.worker = new Worker(WORKER_FILE, { workerData: { module: wasmModule() } satisfies DecodeThreadData });
    // Referenced only while a request waits: a reader dropped unfinished never keeps the process alive.
    this.worker.unref();
    this.worker.on("message", (reply: DecodeReply) => {
      const p = this.pending;
      this.pending = undefined;
      this.worker.unref();
      p?.resolve(reply);
    });
    const die = (cause: unknown): void => {
      this.died ??= new DecodeThreadDied(cause);
      const p = this.pending;
      this.pending = undefined;
      p?.reject(this.died);
    };
    this.worker.on("error", die);
    this.worker.on("exit", (code) => die(new Error(`the Parquet decoding thread exited (code ${code})`)));
  }

  /** An idle thread, or a new one. */
  static acquire(): DecodeThread {
    const t = idle.pop() ?? new DecodeThread();
    clearTimeout(t.idleTimer);
    return t;
  }

  /** Sends one request and waits for its answer; rejects with DecodeThreadDied if the thread ends meanwhile. */
  request(m: DecodeRequest): Promise<DecodeReply> {
    if (this.died) return Promise.reject(this.died);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage(m);
    });
  }

  /** Hands the thread back (its file closed by the caller); a dead thread, or one too many, is ended. */
  release(): void {
    if (this.died !== undefined || this.pending !== undefined || idle.length >= MAX_IDLE) {
      void this.worker.terminate();
      return;
    }
    this.idleTimer = setTimeout(() => {
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      void this.worker.terminate();
    }, IDLE_MS).unref();
    idle.push(this);
  }
}
