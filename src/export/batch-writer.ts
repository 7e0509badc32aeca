/**
 * Writes one export batch as Parquet part files (`part-00000.parquet`, …), starting a new file every
 * `rowsPerFile` rows as the platform splits large batches into several files.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ParquetFileWriter, type ParquetWriteOptions, type WritableRow } from "../io/parquet-writer.js";
import type { XdmObject } from "../xdm/xdm-type.js";
import { DEFAULT_ROWS_PER_FILE } from "./defaults.js";

export { DEFAULT_ROWS_PER_FILE };

export interface WrittenFile {
  readonly name: string;
  readonly rows: number;
  readonly bytes: number;
}

export class BatchWriter {
  private current: ParquetFileWriter | undefined;
  private rowsInCurrent = 0;
  private readonly written: WrittenFile[] = [];
  /** Time spent writing, ms (the job's aCPDatasetWriteTime). */
  writeTimeMs = 0;

  constructor(
    readonly dir: string,
    private readonly rowType: XdmObject,
    private readonly rowsPerFile: number = DEFAULT_ROWS_PER_FILE,
    private readonly options: ParquetWriteOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private partName(): string {
    return `part-${String(this.written.length).padStart(5, "0")}.parquet`;
  }

  private async closeCurrent(): Promise<void> {
    if (this.current === undefined) return;
    const { rows, bytes } = await this.current.close();
    this.written.push({ name: this.partName(), rows, bytes });
    this.current = undefined;
    this.rowsInCurrent = 0;
  }

  async write(row: WritableRow): Promise<void> {
    const start = performance.now();
    if (this.current !== undefined && this.rowsInCurrent >= this.rowsPerFile) await this.closeCurrent();
    this.current ??= await ParquetFileWriter.open(join(this.dir, this.partName()), this.rowType, this.options);
    await this.current.write([row]);
    this.rowsInCurrent++;
    this.writeTimeMs += performance.now() - start;
  }

  /** Closes the last file (an empty batch still gets one file with the schema) and lists the files. */
  async finish(): Promise<WrittenFile[]> {
    const start = performance.now();
    if (this.current === undefined && this.written.length === 0) {
      this.current = await ParquetFileWriter.open(join(this.dir, this.partName()), this.rowType, this.options);
    }
    await this.closeCurrent();
    this.writeTimeMs += performance.now() - start;
    return this.written;
  }

  async abort(): Promise<void> {
    await this.current?.abort();
    this.current = undefined;
  }
}

/** What a job's batch writers wrote. */
export interface FinishedBatches {
  /** Each batch's files, in batch order. */
  readonly files: WrittenFile[][];
  /** The longest time a batch's writer spent writing, ms (the job's aCPDatasetWriteTime). */
  readonly writeMs: number;
}

/** Finishes every batch's writer, in order. */
export async function finishBatches(writers: readonly BatchWriter[]): Promise<FinishedBatches> {
  const files: WrittenFile[][] = [];
  for (const w of writers) files.push(await w.finish());
  return { files, writeMs: Math.round(Math.max(0, ...writers.map((w) => w.writeTimeMs))) };
}
