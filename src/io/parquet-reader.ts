/**
 * Reads a Parquet data file as JSON rows, the shapes the rest of the engine uses for JSONL: structs become
 * objects (null fields left out, as the platform never stores nulls), lists arrays, maps objects, timestamps
 * RFC 3339 strings, dates `YYYY-MM-DD`, 64-bit integers numbers.
 */
import { openAsBlob } from "node:fs";
import { open } from "node:fs/promises";
import { DataType, tableFromIPC, type Data, type Field } from "apache-arrow";
import * as PW from "parquet-wasm";
import type { Json, JsonObject } from "../xdm/types.js";
import { IoError } from "./io-error.js";
import type { JsonlLine } from "./jsonl.js";

const DAY_MS = 86_400_000;
const decoder = new TextDecoder();

/**
 * A column's validity bitmap, or undefined when every slot holds a value (read once per column: Arrow
 * computes `nullCount` lazily).
 */
function validity(data: Data): Uint8Array | undefined {
  const bitmap = data.nullBitmap;
  return bitmap === undefined || bitmap.length === 0 || data.nullCount === 0 ? undefined : bitmap;
}

/** Whether slot `bit` (column offset included) holds a value. */
function isValid(bitmap: Uint8Array | undefined, bit: number): boolean {
  return bitmap === undefined || (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
}

/**
 * A whole column converted at once, walking the Arrow buffers (the reverse of the writer's builder): much
 * faster than Arrow's per-row accessors on nested types. `undefined` marks a missing value.
 */
function column(data: Data): (Json | undefined)[] {
  const type = data.type;
  const n = data.length;
  const out = new Array<Json | undefined>(n);
  const o = data.offset;
  const valid = validity(data);
  if (DataType.isStruct(type)) {
    const children = type.children.map((f: Field, k: number) => [f.name, column(data.children[k]!)] as const);
    for (let i = 0; i < n; i++) {
      if (!isValid(valid, o + i)) continue;
      const row: JsonObject = {};
      for (const [name, values] of children) {
        const v = values[i];
        if (v !== undefined) row[name] = v;
      }
      out[i] = row;
    }
    return out;
  }
  if (DataType.isList(type) || DataType.isMap(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const child = data.children[0]!;
    if (DataType.isMap(type)) {
      const keys = column(child.children[0]!);
      const values = column(child.children[1]!);
      for (let i = 0; i < n; i++) {
        if (!isValid(valid, o + i)) continue;
        const m: JsonObject = {};
        for (let j = offsets[o + i]!; j < offsets[o + i + 1]!; j++) {
          const v = values[j];
          if (v !== undefined) m[keys[j] as string] = v;
        }
        out[i] = m;
      }
      return out;
    }
    const items = column(child);
    for (let i = 0; i < n; i++) {
      if (!isValid(valid, o + i)) continue;
      const list: Json[] = [];
      for (let j = offsets[o + i]!; j < offsets[o + i + 1]!; j++) list.push(items[j] ?? null);
      out[i] = list;
    }
    return out;
  }
  if (DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    for (let i = 0; i < n; i++) if (isValid(valid, o + i)) out[i] = decoder.decode(bytes.subarray(offsets[o + i]!, offsets[o + i + 1]!));
    return out;
  }
  if (DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const b = o + i;
      if (isValid(valid, o + i)) out[i] = (bits[b >> 3]! & (1 << (b & 7))) !== 0;
    }
    return out;
  }
  const values = data.values as ArrayLike<number | bigint>;
  const at = (i: number): number => Number(values[o + i]);
  if (DataType.isTimestamp(type)) {
    for (let i = 0; i < n; i++) if (isValid(valid, o + i)) out[i] = new Date(at(i)).toISOString();
    return out;
  }
  if (DataType.isDate(type)) {
    for (let i = 0; i < n; i++) if (isValid(valid, o + i)) out[i] = new Date(at(i) * DAY_MS).toISOString().slice(0, 10);
    return out;
  }
  if (DataType.isInt(type) || DataType.isFloat(type)) {
    for (let i = 0; i < n; i++) if (isValid(valid, o + i)) out[i] = at(i);
    return out;
  }
  throw new Error(`unsupported Arrow type ${String(type)}`);
}

export interface ParquetReadOptions {
  /**
   * Top-level columns to read (default: all). The rows then hold only these fields, in the file's column
   * order; names the file does not have are ignored.
   */
  readonly columns?: readonly string[];
}

/**
 * Rows per record batch decoded at a time. Each batch is decoded in wasm, copied to JS as an Arrow IPC
 * stream, converted column by column and yielded before the next is decoded, so memory is bounded by one row
 * group's compressed column chunks plus one batch, whatever the file's size. (Measured on a 400k-event file:
 * 8k rows is as fast as a whole row group per batch and keeps wasm memory at a third.)
 */
const BATCH_ROWS = 8192;

function unreadable(file: string, e: unknown): IoError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return new IoError("IO-P001", "data file not found", { file });
  return new IoError("IO-P001", `not a readable Parquet file (${e instanceof Error ? e.message : String(e)})`, { file });
}

const MAGIC = 0x31524150; // "PAR1", little-endian

/**
 * Checks what parquet-wasm's async reader does not check gracefully (it panics, killing the process, on a
 * directory, and hangs or panics on some malformed files): a regular file that starts and ends with `PAR1`
 * and whose footer length fits. Throws IO-P001 otherwise.
 */
async function checkParquetFile(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, "r");
    const info = await handle.stat();
    if (!info.isFile()) throw new Error("it is not a regular file");
    const size = info.size;
    if (size < 12) throw new Error(`${size} bytes is too short for Parquet`);
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    await handle.read(head, 0, 4, 0);
    await handle.read(tail, 0, 8, size - 8);
    if (head.readUInt32LE(0) !== MAGIC || tail.readUInt32LE(4) !== MAGIC) throw new Error("no PAR1 magic number at its start and end");
    const footer = tail.readUInt32LE(0);
    if (footer > size - 12) throw new Error(`its footer length ${footer} exceeds the file size ${size}`);
  } catch (e) {
    throw unreadable(file, e);
  } finally {
    await handle?.close();
  }
}

function unsupported(file: string, e: unknown): IoError {
  return new IoError("IO-P002", `cannot read this Parquet file's columns: ${e instanceof Error ? e.message : String(e)}`, { file });
}

/**
 * Yields every row of a Parquet file (rows are numbered from 1 where JSONL has lines), decoding it row group
 * by row group and batch by batch (`ParquetFile.stream` over a file-backed Blob: only the column chunks being
 * decoded are read from disk), with an optional projection onto some top-level columns (decoded alone).
 *
 * Why the async `ParquetFile` API and not `readParquet(bytes, { rowGroups })`: in parquet-wasm 0.8.0 the sync
 * `readParquet` ignores `columns` and needs the whole file copied into wasm memory on every call (the old
 * whole-file read took 8.3 s and 815 MB peak RSS on 437k rows where this takes 5.4 s and 359 MB, 2.3 s and
 * 258 MB projected on identityMap + _acp_system_metadata). Its one weakness: column data that is corrupt
 * inside a well-formed file makes the async reader panic in wasm (an uncaught `RuntimeError: unreachable`
 * that ends the process) where the sync one threw an error; missing, truncated and non-Parquet files are
 * caught before (`checkParquetFile`) and reported as IO-P001.
 */
export async function* readParquetRows(file: string, options: ParquetReadOptions = {}): AsyncGenerator<JsonlLine> {
  let parquet: PW.ParquetFile;
  let names: string[];
  let groupRows: number[];
  await checkParquetFile(file);
  try {
    parquet = await PW.ParquetFile.fromFile(await openAsBlob(file));
  } catch (e) {
    throw unreadable(file, e);
  }
  try {
    try {
      names = tableFromIPC(parquet.schema().intoIPCStream()).schema.fields.map((f) => f.name);
      const metadata = parquet.metadata();
      groupRows = metadata.rowGroups().map((g) => {
        const n = g.numRows();
        g.free();
        return n;
      });
      metadata.free();
    } catch (e) {
      throw unreadable(file, e);
    }
    const wanted = options.columns === undefined ? undefined : new Set(options.columns);
    const columns = wanted === undefined ? names : names.filter((n) => wanted.has(n));
    let row = 0;
    if (columns.length === 0) {
      // Nothing to decode (a projection onto columns the file lacks): the rows are empty objects.
      for (const n of groupRows) for (let i = 0; i < n; i++) yield { line: ++row, value: {} };
      return;
    }
    let stream: ReadableStream<PW.RecordBatch>;
    try {
      stream = (await parquet.stream({ columns, batchSize: BATCH_ROWS, concurrency: 1 })) as ReadableStream<PW.RecordBatch>;
    } catch (e) {
      throw unreadable(file, e);
    }
    const reader = stream.getReader();
    try {
      // The next decoded batch, copied to JS (undefined at the end of the file).
      const nextBatch = async () => {
        try {
          const next = await reader.read();
          return next.done ? undefined : tableFromIPC(next.value.intoIPCStream());
        } catch (e) {
          throw unreadable(file, e);
        }
      };
      for (let batch = await nextBatch(); batch !== undefined; batch = await nextBatch()) {
        for (const data of batch.batches) {
          let values;
          try {
            values = batch.schema.fields.map((f, k) => ({ name: f.name, values: column(data.data.children[k]!) }));
          } catch (e) {
            throw unsupported(file, e);
          }
          for (let i = 0; i < data.numRows; i++) {
            const value: JsonObject = {};
            for (const c of values) {
              const x = c.values[i];
              if (x !== undefined) value[c.name] = x;
            }
            yield { line: ++row, value };
          }
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
  } finally {
    parquet.free();
  }
}
