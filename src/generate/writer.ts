/** Dataset writers: JSON Lines over a buffered stream, or Parquet in bounded batches. */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";
import { ParquetFileWriter } from "../io/parquet-writer.js";
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

/** Rows handed to the Parquet writer at a time: bounds memory whatever the number of persons. */
const PARQUET_CHUNK = 10_000;

/** A Parquet writer for one dataset; the columns are the dataset's schema plus the system column. */
export class ParquetRowWriter implements RowWriter {
  private pending: JsonObject[] = [];
  private count = 0;

  private constructor(private readonly writer: ParquetFileWriter) {}

  static async open(path: string, rowType: XdmObject): Promise<ParquetRowWriter> {
    return new ParquetRowWriter(await ParquetFileWriter.open(path, rowType));
  }

  get lines(): number {
    return this.count;
  }

  async writeJson(value: JsonObject): Promise<void> {
    this.count++;
    this.pending.push(value);
    if (this.pending.length >= PARQUET_CHUNK) await this.flush();
  }

  private async flush(): Promise<void> {
    const rows = this.pending;
    this.pending = [];
    await this.writer.write(rows);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.writer.close();
  }
}
