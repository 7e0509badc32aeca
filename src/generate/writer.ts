/** Dataset writers: JSON Lines over a buffered stream, or Parquet part files in bounded batches. */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { Table, tableToIPC } from "apache-arrow";
import { batchBuilderFor, type BatchBuilder } from "../io/arrow-build.js";
import type { EncodedFile, ParquetEncoder } from "./parquet-encoder.js";
import type { JsonObject } from "../xdm/types.js";
import type { XdmObject } from "../xdm/xdm-type.js";

/** Where generated records or events go, one at a time. */
export interface RowWriter {
  /** Rows written so far. */
  readonly lines: number;
  writeJson(value: JsonObject): Promise<void>;
  close(): Promise<void>;
}

/** A JSONL writer over a buffered file stream that honours back-pressure (waits for `drain`). */
export class LineWriter implements RowWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  private count = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
    this.stream.on("error", (err: Error) => {
      this.failure = err;
    });
  }

  /** Lines written so far. */
  get lines(): number {
    return this.count;
  }

  async writeLine(text: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.count++;
    if (!this.stream.write(`${text}\n`)) await once(this.stream, "drain");
  }

  async writeJson(value: JsonObject): Promise<void> {
    await this.writeLine(JSON.stringify(value));
  }

  async close(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
    if (this.failure !== undefined) throw this.failure;
  }
}

/**
 * Rows per Arrow batch handed to the Parquet encoder. A constant: the encoder's page boundaries follow the
 * batch boundaries, so the files depend on it (and on nothing else but the rows). 10,000 rows keep the live
 * row objects in V8's young generation most of the time (50,000 measured 20 % slower, most of it GC).
 */
export const PARQUET_BATCH_ROWS = 10_000;
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
 * `rowsPerFile` rows, so the boundaries depend only on row counts. A dataset without rows still gets one
 * (empty) part, which carries the schema. Memory: one batch of rows being collected, and at most two built
 * batches waiting for the encoder.
 */
export class ParquetPartWriter implements RowWriter {
  private readonly builder: BatchBuilder;
  private pending: JsonObject[] = [];
  private count = 0;
  /** Rows of the current part, written or pending. */
  private inPart = 0;
  private batchesInPart = 0;
  private current: EncodedFile | undefined;
  /** The last batch handed to the encoder, until it is queued there. */
  private inFlight: Promise<void> | undefined;
  private readonly parts: string[] = [];

  /**
   * @param root the sandbox directory; `dir` (relative to it, e.g. `datasets/crm-profiles`) is created on
   *   the first part.
   */
  constructor(
    private readonly root: string,
    private readonly dir: string,
    rowType: XdmObject,
    private readonly options: PartWriterOptions,
  ) {
    if (!Number.isSafeInteger(options.rowsPerFile) || options.rowsPerFile < 1) throw new RangeError(`rowsPerFile must be a positive integer, got ${options.rowsPerFile}`);
    this.builder = batchBuilderFor(rowType);
  }

  get lines(): number {
    return this.count;
  }

  /** The part files written so far, relative to the sandbox directory, in order. */
  get files(): readonly string[] {
    return this.parts;
  }

  async writeJson(value: JsonObject): Promise<void> {
    if (this.current === undefined || this.inPart === this.options.rowsPerFile) await this.nextPart();
    this.count++;
    this.inPart++;
    this.pending.push(value);
    if (this.pending.length === PARQUET_BATCH_ROWS) await this.flush();
  }

  private async nextPart(): Promise<void> {
    await this.closePart();
    if (this.parts.length === 0) await mkdir(join(this.root, this.dir), { recursive: true });
    const rel = `${this.dir}/part-${String(this.parts.length).padStart(5, "0")}.parquet`;
    this.current = await this.options.encoder.open(join(this.root, rel), { rowGroupSize: ROW_GROUP_SIZE });
    this.parts.push(rel);
    this.inPart = 0;
    this.batchesInPart = 0;
  }

  /** Builds the pending rows into one batch (an empty one if the part has none yet) and hands it over. */
  private async flush(): Promise<void> {
    if (this.current === undefined || (this.pending.length === 0 && this.batchesInPart > 0)) return;
    const rows = this.pending;
    this.pending = [];
    const first = this.inPart - rows.length;
    const ipc = tableToIPC(new Table([this.builder.build(rows, first)]), "stream");
    this.batchesInPart++;
    // Keep one batch in flight: build the next while the encoder queues this one (a worker-thread encoder
    // then never waits for this thread, nor this thread for a message round trip).
    await this.inFlight;
    const sent = this.current.write(ipc, rows.length);
    sent.catch(() => undefined); // awaited (and thrown) at the next flush or at close
    this.inFlight = sent;
  }

  private async closePart(): Promise<void> {
    await this.flush();
    const part = this.current;
    this.current = undefined;
    const sent = this.inFlight;
    this.inFlight = undefined;
    await sent;
    await part?.close();
  }

  async close(): Promise<void> {
    if (this.parts.length === 0) await this.nextPart();
    await this.closePart();
  }

  /** Deletes the part being written (after a failure); finished parts stay. */
  async abort(): Promise<void> {
    this.pending = [];
    this.inFlight = undefined;
    const part = this.current;
    this.current = undefined;
    await part?.abort();
  }
}
