/** Dataset writers: JSON Lines over a buffered stream, or Parquet part files, fed a block of rows at a time. */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { batchBuilderFor } from "../io/arrow-build.js";
import type { ParquetWriteOptions } from "../io/parquet-writer.js";
import { ParquetStitcher } from "../io/parquet-stitch.js";
import type { EncodeTask } from "./block-pool.js";
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
 * How many row groups the datasets' writers may have being encoded at once (shared by them): each holds its
 * batches (~40 MiB for 100,000 rows) until a thread has encoded it.
 */
export class EncodeSlots {
  private readonly waiting: (() => void)[] = [];

  constructor(private free: number) {}

  async take(): Promise<void> {
    while (this.free === 0) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.free--;
  }

  give(): void {
    this.free++;
    this.waiting.shift()?.();
  }
}

export interface PartWriterOptions {
  /** Rows per part file; a new part starts after this many rows. */
  readonly rowsPerFile: number;
  /** Encodes a row group's batches into a Parquet file (on the generator's threads: `GeneratorPool.encode`). */
  readonly encode: (task: EncodeTask) => Promise<Uint8Array>;
  readonly slots: EncodeSlots;
  /** Rows per row group (default `PART_OPTIONS.rowGroupSize`; smaller in tests). */
  readonly rowGroupSize?: number;
  /** The parts' page compression. */
  readonly compression: "zstd" | "snappy";
}

/** A part being written: its row groups, being encoded, in order. */
interface OpenPart {
  readonly file: Promise<ParquetStitcher>;
  readonly groups: Promise<Uint8Array>[];
  /** No more row groups will come. */
  ended: boolean;
  /** Wakes the part's feeder when a row group is queued or the part ends. */
  wake: (() => void) | undefined;
  /** Resolves when the part's file is closed. */
  done: Promise<void>;
}

/**
 * A dataset as Parquet part files `<dir>/part-00000.parquet`, `part-00001.parquet`, …: a new part every
 * `rowsPerFile` rows, a new row group every `rowGroupSize` rows of a part, so the boundaries depend
 * only on row counts. A row group's batches are the blocks' batches, cut where a row group ends, and each row
 * group is encoded apart (on any thread) and stitched into its part in order (`ParquetStitcher`): the file is
 * the one a single encoder fed the same batches would write, whichever threads made the blocks or encoded the
 * row groups. A dataset without rows still gets one (empty) part, which carries the schema. Memory: the row
 * group being filled, and the ones being encoded (`EncodeSlots`).
 */
export class ParquetPartWriter implements RowWriter {
  private count = 0;
  /** Rows of the current part. */
  private inPart = 0;
  /** The current row group's batches and rows. */
  private group: Uint8Array[] = [];
  private inGroup = 0;
  private current: OpenPart | undefined;
  private readonly open: OpenPart[] = [];
  private failure: unknown;
  private readonly parts: string[] = [];
  private readonly rowGroupSize: number;

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
    this.rowGroupSize = options.rowGroupSize ?? PART_OPTIONS.rowGroupSize;
  }

  get lines(): number {
    return this.count;
  }

  get files(): readonly string[] {
    return this.parts;
  }

  async writeBlock(ipc: Uint8Array, rows: number): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    // Decoded only when the block straddles a row group or part boundary.
    let table: Table | undefined;
    for (let from = 0; from < rows; ) {
      if (this.current === undefined || this.inPart === this.options.rowsPerFile) await this.nextPart();
      const take = Math.min(rows - from, this.options.rowsPerFile - this.inPart, this.rowGroupSize - this.inGroup);
      let batch = ipc;
      if (take < rows) {
        table ??= tableFromIPC(ipc);
        batch = tableToIPC(table.slice(from, from + take), "stream");
      }
      this.group.push(batch);
      this.inGroup += take;
      this.inPart += take;
      this.count += take;
      from += take;
      if (this.inGroup === this.rowGroupSize) await this.endGroup();
    }
  }

  private async nextPart(): Promise<void> {
    await this.endPart();
    if (this.parts.length === 0) await mkdir(join(this.root, this.dir), { recursive: true });
    const rel = `${this.dir}/part-${String(this.parts.length).padStart(5, "0")}.parquet`;
    const part: OpenPart = { file: ParquetStitcher.open(join(this.root, rel)), groups: [], ended: false, wake: undefined, done: Promise.resolve() };
    part.done = this.feed(part);
    part.done.catch(() => undefined); // awaited (and thrown) by close; a failure also stops writeBlock
    this.open.push(part);
    this.parts.push(rel);
    this.current = part;
    this.inPart = 0;
  }

  /** Sends the current row group to be encoded, once a slot is free. */
  private async endGroup(): Promise<void> {
    const batches = this.group;
    this.group = [];
    this.inGroup = 0;
    const { slots, encode, compression } = this.options;
    await slots.take();
    if (this.failure !== undefined) {
      slots.give();
      throw this.failure;
    }
    const file = encode({ batches, options: { ...PART_OPTIONS, rowGroupSize: this.rowGroupSize, compression } }).finally(() => slots.give());
    file.catch(() => undefined); // awaited (and thrown) by the part's feeder
    const part = this.current!;
    part.groups.push(file);
    part.wake?.();
  }

  /** Stitches a part's row groups into its file in order, then closes it. */
  private async feed(part: OpenPart): Promise<void> {
    let file: ParquetStitcher | undefined;
    try {
      file = await part.file;
      for (;;) {
        if (this.failure !== undefined) throw this.failure; // another part failed, or the writer was aborted
        const next = part.groups.shift();
        if (next === undefined) {
          if (part.ended) break;
          await new Promise<void>((resolve) => (part.wake = resolve));
          part.wake = undefined;
          continue;
        }
        await file.append(await next);
      }
      await file.close();
    } catch (e) {
      this.failure ??= e;
      await (file ?? (await part.file.catch(() => undefined)))?.abort();
      throw e;
    }
  }

  private async endPart(): Promise<void> {
    const part = this.current;
    if (part === undefined) return;
    if (this.inGroup > 0) await this.endGroup();
    this.current = undefined;
    part.ended = true;
    part.wake?.();
  }

  async close(): Promise<void> {
    if (this.parts.length === 0) {
      await this.nextPart();
      this.group.push(tableToIPC(new Table([batchBuilderFor(this.rowType).build([])]), "stream"));
      await this.endGroup();
    }
    await this.endPart();
    for (const part of this.open) await part.done;
  }

  /** Deletes the parts not yet closed (after a failure); finished parts stay. */
  async abort(): Promise<void> {
    this.failure ??= new Error("the Parquet part writer was aborted");
    this.current = undefined;
    this.group = [];
    for (const part of this.open) {
      part.groups.length = 0;
      part.ended = true;
      part.wake?.();
    }
    await Promise.allSettled(this.open.map((part) => part.done));
  }
}
