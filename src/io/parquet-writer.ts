/**
 * Streamed Parquet writer: JSON rows → Arrow batches (hand-written builder) → parquet-wasm's
 * `transformParquetStream` → file, with bounded memory.
 *
 * Pipeline and memory bound:
 * - `write()` buffers at most `batchRows` rows; each full buffer is built into one Arrow batch and serialised
 *   to an Arrow IPC stream (JS memory: one batch being built, at most one waiting for the encoder).
 * - the encoder reads a `ReadableStream` whose `pull` awaits the next queued batch, copies it into wasm memory
 *   (`Table.fromIPCStream`) and encodes it; arrow-rs holds at most one open row group (`rowGroupSize` rows).
 * - encoded chunks are written to the file as they come out.
 * `write()` waits until the encoder has taken the previous batch, so a fast producer cannot queue up batches.
 *
 * The output is deterministic: the same schema, rows, batching and options give byte-identical files.
 */
import { open, rm, type FileHandle } from "node:fs/promises";
import { Table, tableToIPC } from "apache-arrow";
import * as PW from "parquet-wasm"; // node build: the wasm module is compiled and initialised on import, once per process
import type { JsonObject } from "../xdm/types.js";
import type { XdmObject } from "../xdm/xdm-type.js";
import { batchBuilderFor, type BatchBuilder } from "./arrow-build.js";
import { IoError } from "./io-error.js";

export interface ParquetWriteOptions {
  /** Page compression (default `zstd`). */
  compression?: "zstd" | "snappy" | "uncompressed";
  /** Maximum rows per row group (default 100_000). */
  rowGroupSize?: number;
  /** Rows per Arrow batch handed to the encoder (default 5,000); bounds the JS memory of a writer. */
  batchRows?: number;
  /**
   * Dictionary-encode the columns (default true). Off, data of mostly distinct strings (ids, e-mails) costs the
   * encoder about a third less CPU, and zstd makes up for the repeated ones.
   */
  dictionary?: boolean;
  /** Column statistics: per page (default), per column chunk only (what readers prune row groups by), or none. */
  statistics?: "page" | "chunk" | "none";
}

export interface ParquetWriteResult {
  /** Rows written. */
  rows: number;
  /** Size of the file in bytes. */
  bytes: number;
}

const DEFAULT_ROW_GROUP_SIZE = 100_000;
// An export writes up to one batch per segment at once: 5,000 rows each keeps ten of them within ~100 MB.
const DEFAULT_BATCH_ROWS = 5_000;

const STATISTICS: Record<NonNullable<ParquetWriteOptions["statistics"]>, PW.EnabledStatistics> = {
  page: PW.EnabledStatistics.Page,
  chunk: PW.EnabledStatistics.Chunk,
  none: PW.EnabledStatistics.None,
};

const COMPRESSION: Record<NonNullable<ParquetWriteOptions["compression"]>, PW.Compression> = {
  zstd: PW.Compression.ZSTD,
  snappy: PW.Compression.SNAPPY,
  uncompressed: PW.Compression.UNCOMPRESSED,
};

function positiveInt(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`ParquetWriteOptions.${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * A row, or a row as JSON text: text is parsed only when its batch is built, so rows waiting for their batch
 * are compact strings rather than object graphs that survive into the old generation.
 */
export type WritableRow = JsonObject | string;

/** The encoder's settings. WriterProperties is consumed by transformParquetStream (wasm-bindgen moves it): one per stream. */
function writerProperties(options: ParquetWriteOptions): PW.WriterProperties {
  const rowGroupSize = positiveInt("rowGroupSize", options.rowGroupSize, DEFAULT_ROW_GROUP_SIZE);
  const compression = COMPRESSION[options.compression ?? "zstd"];
  if (compression === undefined) throw new RangeError(`ParquetWriteOptions.compression: unknown codec ${String(options.compression)}`);
  const statistics = STATISTICS[options.statistics ?? "page"];
  if (statistics === undefined) throw new RangeError(`ParquetWriteOptions.statistics: unknown level ${String(options.statistics)}`);
  return new PW.WriterPropertiesBuilder()
    .setCompression(compression)
    .setMaxRowGroupSize(rowGroupSize)
    .setDictionaryEnabled(options.dictionary ?? true)
    .setStatisticsEnabled(statistics)
    .build();
}

/** Copies one Arrow IPC stream into wasm memory and hands its batches to the encoder (which takes ownership of each). */
function enqueueIpc(controller: ReadableStreamDefaultController<PW.RecordBatch>, ipc: Uint8Array): void {
  const table = PW.Table.fromIPCStream(ipc);
  try {
    for (const rb of table.recordBatches()) controller.enqueue(rb);
  } finally {
    table.free();
  }
}

/**
 * Encodes Arrow IPC streams, in order, into one Parquet file in memory, with the encoder and settings of
 * `ParquetFileWriter`: the generator's worker threads encode a dataset's row groups so, apart, and
 * `ParquetStitcher` joins them into the file one stream would have written. `batches` is emptied as the
 * encoder takes them (each is released once copied into wasm memory). At least one batch (possibly empty),
 * which gives the schema.
 */
export async function encodeParquet(batches: Uint8Array[], options: ParquetWriteOptions = {}): Promise<Uint8Array> {
  if (batches.length === 0) throw new Error("encodeParquet needs at least one batch");
  const source = new ReadableStream<PW.RecordBatch>(
    {
      pull: (controller) => {
        const next = batches.shift();
        if (next === undefined) controller.close();
        else enqueueIpc(controller, next);
      },
    },
    { highWaterMark: 0 },
  );
  const out = (await PW.transformParquetStream(source, writerProperties(options))) as ReadableStream<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of out as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  const file = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    file.set(c, at);
    at += c.byteLength;
  }
  return file;
}

/**
 * Encodes a whole Arrow table into one Parquet file in memory, synchronously (the table is copied into wasm memory
 * at once): for small files written where nothing may wait, such as a membership snapshot's part.
 */
export function encodeTable(table: Table, options: ParquetWriteOptions = {}): Uint8Array {
  const wasmTable = PW.Table.fromIPCStream(tableToIPC(table, "stream"));
  return PW.writeParquet(wasmTable, writerProperties(options));
}

const END = Symbol("end");
type QueueItem = Uint8Array | typeof END;

type State = "open" | "closing" | "closed" | "failed" | "aborted";

export class ParquetFileWriter {
  private readonly builder: BatchBuilder;
  private readonly batchRows: number;
  private pending: WritableRow[] = [];
  /** Rows handed to the encoder (in built batches). */
  private rowsBuilt = 0;
  private batchesBuilt = 0;
  private bytesWritten = 0;
  private state: State = "open";
  private failure: unknown = undefined;

  /** Batches (Arrow IPC streams) waiting for the encoder; at most one. */
  private readonly queue: QueueItem[] = [];
  /** The encoder waits here for the next batch. */
  private onItem: (() => void) | undefined;
  /** `write()` waits here for the encoder to take the queued batch. */
  private onRoom: (() => void) | undefined;
  private sourceController: ReadableStreamDefaultController<PW.RecordBatch> | undefined;
  /** Resolves when the encoder output has been written to the file (never rejects; see `failure`). */
  private readonly pumped: Promise<void>;
  /** Serialises write/close/abort calls. */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    row: XdmObject,
    options: ParquetWriteOptions,
  ) {
    this.builder = batchBuilderFor(row);
    this.batchRows = positiveInt("batchRows", options.batchRows, DEFAULT_BATCH_ROWS);
    const props = writerProperties(options);

    const source = new ReadableStream<PW.RecordBatch>(
      {
        start: (controller) => {
          this.sourceController = controller;
        },
        pull: async (controller) => {
          const item = await this.nextItem();
          if (item === END) {
            controller.close();
            return;
          }
          enqueueIpc(controller, item);
        },
      },
      // Pull only when the encoder asks for a batch: no read-ahead beyond the one queued batch.
      { highWaterMark: 0 },
    );
    this.pumped = this.pump(source, props).catch((e: unknown) => this.fail(e));
  }

  /** Opens (creates or truncates) `path` for a Parquet file with the columns of `row`. */
  static async open(path: string, row: XdmObject, options: ParquetWriteOptions = {}): Promise<ParquetFileWriter> {
    // Validate the options before touching the file system.
    positiveInt("batchRows", options.batchRows, DEFAULT_BATCH_ROWS);
    positiveInt("rowGroupSize", options.rowGroupSize, DEFAULT_ROW_GROUP_SIZE);
    let file: FileHandle;
    try {
      file = await open(path, "w");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new IoError("IO-W003", `cannot create the Parquet file (${code ?? String(e)})`, { file: path });
    }
    try {
      return new ParquetFileWriter(path, file, row, options);
    } catch (e) {
      await file.close().catch(() => undefined);
      await rm(path, { force: true }).catch(() => undefined);
      throw e;
    }
  }

  /** Rows accepted so far (written or buffered). */
  get rowCount(): number {
    return this.rowsBuilt + this.pending.length;
  }

  /**
   * Buffers rows, building and handing an Arrow batch to the Parquet encoder each `batchRows`.
   * A row that does not fit the schema throws `IO-W001` (ColumnTypeError, row index counted from the first
   * row of the file); the writer is then failed and must be aborted.
   */
  async write(rows: readonly WritableRow[]): Promise<void> {
    return this.serial(async () => {
      this.assertOpen("write");
      try {
        let i = 0;
        const size = this.batchRows;
        if (this.pending.length > 0) {
          const take = Math.min(size - this.pending.length, rows.length);
          for (; i < take; i++) this.pending.push(rows[i]!);
          if (this.pending.length < size) return;
          const full = this.pending;
          this.pending = [];
          await this.flush(full);
        }
        for (; rows.length - i >= size; i += size) await this.flush(rows.slice(i, i + size));
        for (; i < rows.length; i++) this.pending.push(rows[i]!);
      } catch (e) {
        this.fail(e);
        throw e;
      }
    });
  }

  /** Flushes and closes; returns rows written and bytes of the file. */
  async close(): Promise<ParquetWriteResult> {
    return this.serial(async () => {
      this.assertOpen("close");
      this.state = "closing";
      try {
        // A file with zero rows still gets one empty batch: the encoder takes the schema from it.
        if (this.pending.length > 0 || this.batchesBuilt === 0) {
          const last = this.pending;
          this.pending = [];
          await this.flush(last);
        }
        await this.enqueue(END);
        await this.pumped;
        this.throwIfFailed();
        await this.file.close();
        if (this.state !== "closing") this.throwIfFailed(); // aborted meanwhile: the file is gone
        this.state = "closed";
        return { rows: this.rowsBuilt, bytes: this.bytesWritten };
      } catch (e) {
        this.fail(e);
        throw e;
      }
    });
  }

  /**
   * Closes and deletes the partial file (used when a job fails). Safe to call in any state and more than
   * once; after a successful `close()` it does nothing (the file is complete).
   */
  async abort(): Promise<void> {
    if (this.state === "closed" || this.state === "aborted") return;
    const reason = new IoError("IO-W002", "Parquet write was aborted", { file: this.path });
    if (this.state !== "failed") this.failure = reason;
    this.state = "aborted";
    this.pending = [];
    this.queue.length = 0;
    try {
      this.sourceController?.error(reason);
    } catch {
      // already closed or errored
    }
    this.wake();
    await this.pumped;
    await this.tail.catch(() => undefined);
    await this.file.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }

  // ───────────────────────────── internals ─────────────────────────────

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private assertOpen(op: string): void {
    if (this.state === "open") return;
    if (this.state === "failed") {
      const cause = this.failure instanceof Error ? ` (${this.failure.message})` : "";
      throw new IoError("IO-W002", `cannot ${op}: an earlier write failed${cause}; abort() the writer`, { file: this.path });
    }
    throw new IoError("IO-W002", `cannot ${op}: the Parquet writer is ${this.state}`, { file: this.path });
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private fail(e: unknown): void {
    if (this.failure === undefined) this.failure = e;
    if (this.state !== "aborted" && this.state !== "closed") this.state = "failed";
    this.wake();
  }

  private wake(): void {
    const item = this.onItem;
    const room = this.onRoom;
    this.onItem = undefined;
    this.onRoom = undefined;
    item?.();
    room?.();
  }

  /** Builds one batch and queues it for the encoder (waiting first until the previous one was taken). */
  private async flush(rows: readonly WritableRow[]): Promise<void> {
    // Let the event loop run the pending file writes of the encoder output (the hand-off to the encoder is
    // microtask-only, so a producer that generates rows synchronously would otherwise starve the I/O).
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.waitForRoom();
    const batch = this.builder.build(
      rows.map((r) => (typeof r === "string" ? (JSON.parse(r) as JsonObject) : r)),
      this.rowsBuilt,
    );
    const ipc = tableToIPC(new Table([batch]), "stream");
    this.rowsBuilt += rows.length;
    this.batchesBuilt++;
    await this.enqueue(ipc);
  }

  private async waitForRoom(): Promise<void> {
    while (this.queue.length > 0) {
      this.throwIfFailed();
      await new Promise<void>((resolve) => (this.onRoom = resolve));
    }
    this.throwIfFailed();
  }

  private async enqueue(item: QueueItem): Promise<void> {
    await this.waitForRoom();
    this.queue.push(item);
    const wake = this.onItem;
    this.onItem = undefined;
    wake?.();
  }

  /** Called by the source's `pull`: the next queued batch, waiting for one. */
  private async nextItem(): Promise<QueueItem> {
    for (;;) {
      this.throwIfFailed();
      const item = this.queue.shift();
      if (item !== undefined) {
        const room = this.onRoom;
        this.onRoom = undefined;
        room?.();
        return item;
      }
      await new Promise<void>((resolve) => (this.onItem = resolve));
    }
  }

  /** Runs the encoder and writes its output chunks to the file as they come. */
  private async pump(source: ReadableStream<PW.RecordBatch>, props: PW.WriterProperties): Promise<void> {
    const out = (await PW.transformParquetStream(source, props)) as ReadableStream<Uint8Array>;
    const reader = out.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (this.state === "aborted") {
        await reader.cancel().catch(() => undefined);
        return;
      }
      let off = 0;
      try {
        while (off < value.byteLength) {
          const { bytesWritten } = await this.file.write(value, off, value.byteLength - off);
          off += bytesWritten;
        }
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new IoError("IO-W003", `cannot write the Parquet file (${code ?? String(e)})`, { file: this.path });
      }
      this.bytesWritten += value.byteLength;
    }
  }
}
