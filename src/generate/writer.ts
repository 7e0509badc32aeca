/** Dataset writers: JSON Lines over a buffered stream, or Parquet part files, fed a block of rows at a time. */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Table, tableFromIPC, tableToIPC } from "apache-arrow";
import { batchBuilderFor } from "../io/arrow-build.js";
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

/** Rows per Parquet row group. */
const ROW_GROUP_SIZE = 100_000;

export interface PartWriterOptions {
  /** Rows per part file; a new part starts after this many rows. */
  readonly rowsPerFile: number;
  /** Where batches are encoded (this thread or a worker thread); the bytes are the same. */
  readonly encoder: ParquetEncoder;
}

/**
 * A dataset as Parquet part files `<dir>/part-00000.parquet`, `part-00001.parquet`, …: a new part every
 * `rowsPerFile` rows, so the boundaries depend only on row counts. Each block's rows go to the encoder as one
 * batch, cut where a part ends, so the encoder's batches (and pages) depend only on the blocks and
 * `rowsPerFile`, never on which thread made a block. A dataset without rows still gets one (empty) part, which
 * carries the schema. Memory: the block being written, and at most one batch waiting for the encoder.
 */
export class ParquetPartWriter implements RowWriter {
  private count = 0;
  /** Rows of the current part. */
  private inPart = 0;
  private current: EncodedFile | undefined;
  /** The last batch handed to the encoder, until it is queued there. */
  private inFlight: Promise<void> | undefined;
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
    await this.closePart();
    if (this.parts.length === 0) await mkdir(join(this.root, this.dir), { recursive: true });
    const rel = `${this.dir}/part-${String(this.parts.length).padStart(5, "0")}.parquet`;
    this.current = await this.options.encoder.open(join(this.root, rel), { rowGroupSize: ROW_GROUP_SIZE });
    this.parts.push(rel);
    this.inPart = 0;
  }

  /** Hands one batch to the encoder, keeping one in flight (a worker-thread encoder then never waits for this thread). */
  private async send(ipc: Uint8Array, rows: number): Promise<void> {
    await this.inFlight;
    const sent = this.current!.write(ipc, rows);
    sent.catch(() => undefined); // awaited (and thrown) at the next send or at close
    this.inFlight = sent;
  }

  private async closePart(): Promise<void> {
    const part = this.current;
    this.current = undefined;
    const sent = this.inFlight;
    this.inFlight = undefined;
    await sent;
    await part?.close();
  }

  async close(): Promise<void> {
    if (this.parts.length === 0) {
      await this.nextPart();
      await this.send(tableToIPC(new Table([batchBuilderFor(this.rowType).build([])]), "stream"), 0);
    }
    await this.closePart();
  }

  /** Deletes the part being written (after a failure); finished parts stay. */
  async abort(): Promise<void> {
    this.inFlight = undefined;
    const part = this.current;
    this.current = undefined;
    await part?.abort();
  }
}
