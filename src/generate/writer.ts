/** Dataset writers: JSON Lines over a buffered stream, or Parquet part files, fed a block of rows at a time. */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { batchBuilderFor } from "../io/arrow-build.js";
import type { ParquetWriteOptions } from "../io/parquet-writer.js";
import type { EncodedFile, ParquetEncoder } from "./parquet-encoder.js";
import type { XdmObject } from "../xdm/xdm-type.js";

/** Where a dataset's blocks of rows go, in order. */
export interface RowWriter {
  /** Rows written so far. */
  readonly lines: number;
  /** The dataset's files written so far, relative to the sandbox directory, in order. */
  readonly files: readonly string[];
  /** Writes `rows` rows given as the format's bytes (JSON Lines text, or an Arrow IPC stream of one batch). */
  writeBlock(data: Uint8Array, rows: number): Promise<void>;
  close(): Promise<void>;
  /** Stops after a failure: releases the file handles and deletes a half-written Parquet part. */
  abort(): Promise<void>;
}

/** A JSONL writer over a buffered file stream that honours back-pressure (waits for `drain`). */
export class LineWriter implements RowWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  private count = 0;

  constructor(
    root: string,
    private readonly file: string,
  ) {
    this.stream = createWriteStream(join(root, file), { highWaterMark: 1 << 20 });
    this.stream.on("error", (err: Error) => {
      this.failure = err;
    });
  }

  get lines(): number {
    return this.count;
  }

  get files(): readonly string[] {
    return [this.file];
  }

  async writeBlock(text: Uint8Array, rows: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.count += rows;
    if (text.byteLength > 0 && !this.stream.write(text)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
    if (this.failure !== undefined) throw this.failure;
  }

  async abort(): Promise<void> {
    await this.close().catch(() => undefined);
  }
}

/**
 * How parts are encoded: rows per row group; no dictionaries (most of the generator's strings are distinct:
 * a third less encoder CPU, files no larger) and no statistics (another ~40 % of the encoder's CPU on the
 * events, mostly min/max of distinct strings; the jobs read a sandbox's parts whole, they prune nothing).
 */
const PART_OPTIONS = { rowGroupSize: 100_000, dictionary: false, statistics: "none" } as const satisfies ParquetWriteOptions;

/**
 * Bytes of built batches a dataset may hold back for encoders that are busy, before its writer waits. Small:
 * the batches waiting were the largest part of the peak RSS that grew with the run (160 MiB a dataset before:
 * ~170 MiB at the peak of a 1M run with 2 workers, ~65 MiB with 32), and the block workers, not the encoders,
 * bound the rate.
 */
const BACKLOG_BYTES = 32 * 2 ** 20;

export interface PartWriterOptions {
  /** Rows per part file; a new part starts after this many rows. */
  readonly rowsPerFile: number;
  /**
   * Where parts are encoded (this thread or worker threads): part `k` by `encoders[k % length]`, so that
   * consecutive parts are encoded at the same time. A part is one encoder stream: the bytes are the same.
   */
  readonly encoders: readonly ParquetEncoder[];
  /** The parts' page compression. */
  readonly compression: "zstd" | "snappy";
}

/** A part being written: its batches wait in `queue` until its encoder takes them. */
interface OpenPart {
  readonly file: Promise<EncodedFile>;
  readonly queue: { readonly ipc: Uint8Array; readonly rows: number }[];
  /** No more batches will come. */
  ended: boolean;
  /** Wakes the part's feeder when a batch is queued or the part ends. */
  wake: (() => void) | undefined;
  /** Resolves when the part's file is closed. */
  done: Promise<void>;
}

/**
 * A dataset as Parquet part files `<dir>/part-00000.parquet`, `part-00001.parquet`, …: a new part every
 * `rowsPerFile` rows, so the boundaries depend only on row counts. Each block's rows go to the encoder as one
 * batch, cut where a part ends, so the encoder's batches (and pages) depend only on the blocks and
 * `rowsPerFile`, never on which thread made a block or encodes a part. A dataset without rows still gets one
 * (empty) part, which carries the schema. Memory: the block being written, and at most `BACKLOG_BYTES` of
 * batches waiting for busy encoders.
 */
export class ParquetPartWriter implements RowWriter {
  private count = 0;
  /** Rows of the current part. */
  private inPart = 0;
  private current: OpenPart | undefined;
  private readonly open: OpenPart[] = [];
  private backlog = 0;
  /** Wakes `writeBlock` when the backlog shrinks. */
  private onRoom: (() => void) | undefined;
  private failure: unknown;
  private readonly parts: string[] = [];

  /**
   * @param root the sandbox directory; `dir` (relative to it, e.g. `datasets/crm-profiles`) is created on
   *   the first part.
   * @param rowType the rows' type (for the empty part of a dataset without rows).
   */
  constructor(
    private readonly root: string,
    private readonly dir: string,
    private readonly rowType: XdmObject,
    private readonly options: PartWriterOptions,
  ) {
    if (!Number.isSafeInteger(options.rowsPerFile) || options.rowsPerFile < 1) throw new RangeError(`rowsPerFile must be a positive integer, got ${options.rowsPerFile}`);
    if (options.encoders.length === 0) throw new RangeError("a Parquet part writer needs an encoder");
  }

  get lines(): number {
    return this.count;
  }

  get files(): readonly string[] {
    return this.parts;
  }

  async writeBlock(ipc: Uint8Array, rows: number): Promise<void> {
    // Decoded only when the block straddles a part boundary (once per part at most, unless parts are smaller than blocks).
    let table: Table | undefined;
    for (let from = 0; from < rows; ) {
      if (this.current === undefined || this.inPart === this.options.rowsPerFile) await this.nextPart();
      const take = Math.min(rows - from, this.options.rowsPerFile - this.inPart);
      let batch = ipc;
      if (take < rows) {
        table ??= tableFromIPC(ipc);
        batch = tableToIPC(table.slice(from, from + take), "stream");
      }
      await this.send(batch, take);
      this.inPart += take;
      this.count += take;
      from += take;
    }
  }

  private async nextPart(): Promise<void> {
    this.endPart();
    if (this.parts.length === 0) await mkdir(join(this.root, this.dir), { recursive: true });
    const rel = `${this.dir}/part-${String(this.parts.length).padStart(5, "0")}.parquet`;
    const encoder = this.options.encoders[this.parts.length % this.options.encoders.length]!;
    const part: OpenPart = { file: encoder.open(join(this.root, rel), { ...PART_OPTIONS, compression: this.options.compression }), queue: [], ended: false, wake: undefined, done: Promise.resolve() };
    part.done = this.feed(part);
    part.done.catch(() => undefined); // awaited (and thrown) by close; a failure also stops writeBlock
    this.open.push(part);
    this.parts.push(rel);
    this.current = part;
    this.inPart = 0;
  }

  /** Queues a batch for the current part's encoder, waiting while the backlog is full. */
  private async send(ipc: Uint8Array, rows: number): Promise<void> {
    while (this.backlog > 0 && this.backlog + ipc.byteLength > BACKLOG_BYTES && this.failure === undefined) {
      await new Promise<void>((resolve) => (this.onRoom = resolve));
    }
    if (this.failure !== undefined) throw this.failure;
    const part = this.current!;
    this.backlog += ipc.byteLength;
    part.queue.push({ ipc, rows });
    part.wake?.();
  }

  /** Hands a part's batches to its encoder in order, then closes the file. */
  private async feed(part: OpenPart): Promise<void> {
    try {
      const file = await part.file;
      for (;;) {
        const next = part.queue.shift();
        if (next === undefined) {
          if (part.ended) break;
          await new Promise<void>((resolve) => (part.wake = resolve));
          part.wake = undefined;
          continue;
        }
        // Resolves once the encoder has taken the batch (one more may wait there); a worker encoder takes
        // the buffer itself (the view is empty afterwards), so its size is read first.
        const bytes = next.ipc.byteLength;
        await file.write(next.ipc, next.rows);
        this.backlog -= bytes;
        this.room();
      }
      await file.close();
    } catch (e) {
      this.failure ??= e;
      this.room();
      throw e;
    }
  }

  private room(): void {
    const wake = this.onRoom;
    this.onRoom = undefined;
    wake?.();
  }

  private endPart(): void {
    const part = this.current;
    this.current = undefined;
    if (part === undefined) return;
    part.ended = true;
    part.wake?.();
  }

  async close(): Promise<void> {
    if (this.parts.length === 0) {
      await this.nextPart();
      await this.send(tableToIPC(new Table([batchBuilderFor(this.rowType).build([])]), "stream"), 0);
    }
    this.endPart();
    for (const part of this.open) await part.done;
  }

  /** Deletes the parts not yet closed (after a failure); finished parts stay. */
  async abort(): Promise<void> {
    this.failure ??= new Error("the Parquet part writer was aborted");
    this.endPart();
    for (const part of this.open) {
      part.queue.length = 0;
      part.ended = true;
      part.wake?.();
    }
    this.room();
    await Promise.allSettled(this.open.map(async (part) => (await part.file).abort()));
  }
}
