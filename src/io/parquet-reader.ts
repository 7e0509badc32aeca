/**
 * Reads a Parquet data file as JSON rows, the shapes the rest of the engine uses for JSONL: structs become
 * objects (null fields left out, as the platform never stores nulls), lists arrays, maps objects, timestamps
 * RFC 3339 strings, dates `YYYY-MM-DD`, 64-bit integers numbers.
 */
import { open } from "node:fs/promises";
import { DataType, tableFromIPC, type Data, type Field } from "apache-arrow";
import type { Json, JsonObject } from "../xdm/types.js";
import { unopenableDataFile, type ListedAt } from "./data-file.js";
import { IoError } from "./io-error.js";
import type { JsonlLine } from "./jsonl.js";
import { DecodeThread, DecodeThreadDied, type DecodeReply } from "./parquet-read-thread.js";
import { checkReadable } from "./sandbox-path.js";

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
    // In its column's unit (DuckDB and Spark write microseconds), whole milliseconds toward zero as DuckDB's epoch_ms.
    const perMs = [0, 1, 1000, 1_000_000][type.unit]!;
    const ms = perMs === 0 ? (i: number): number => at(i) * 1000 : (i: number): number => Number(BigInt(values[o + i]!) / BigInt(perMs));
    for (let i = 0; i < n; i++) if (isValid(valid, o + i)) out[i] = new Date(ms(i)).toISOString();
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
  /** Where the file is listed in sandbox.json: a missing file or a directory is reported at that entry. */
  readonly listed?: ListedAt;
}

/**
 * Rows per record batch decoded at a time. Each batch is decoded in wasm, copied to JS as an Arrow IPC
 * stream, converted column by column and yielded before the next is decoded, so memory is bounded by one row
 * group's compressed column chunks plus one batch, whatever the file's size. (Measured on a 400k-event file:
 * 8k rows is as fast as a whole row group per batch and keeps wasm memory at a third.)
 */
const BATCH_ROWS = 8192;

/** What to do about a file that is not (or no longer) Parquet. */
const REWRITE = "write it again (or list the right file in sandbox.json)";

function unreadable(file: string, why: string): IoError {
  return new IoError("IO-P001", `not a readable Parquet file: ${why}; ${REWRITE}`, { file });
}

const MAGIC = 0x31524150; // "PAR1", little-endian

/**
 * Checks what parquet-wasm does not check gracefully: a regular file that starts and ends with `PAR1` and
 * whose footer length fits. A missing file or a directory is IO-F001/IO-F003 (at its sandbox.json entry when
 * `listed` is given, and then confined to that sandbox: see sandbox-path.ts), a truncated or non-Parquet file IO-P001.
 */
async function checkParquetFile(file: string, listed: ListedAt | undefined): Promise<void> {
  checkReadable(file, listed ? { listed } : {});
  let handle;
  try {
    handle = await open(file, "r");
  } catch (e) {
    throw unopenableDataFile(file, e, listed);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw unopenableDataFile(file, info.isDirectory() ? "directory" : "not-a-file", listed);
    const size = info.size;
    if (size < 12) throw unreadable(file, `${size} bytes is too short for Parquet (an empty or truncated file?)`);
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    await handle.read(head, 0, 4, 0);
    await handle.read(tail, 0, 8, size - 8);
    if (head.readUInt32LE(0) !== MAGIC) throw unreadable(file, "it does not start with the Parquet magic number PAR1 (another format with a .parquet name?)");
    if (tail.readUInt32LE(4) !== MAGIC) throw unreadable(file, "it does not end with the Parquet magic number PAR1 (truncated: a copy or a write that stopped early?)");
    const footer = tail.readUInt32LE(0);
    if (footer > size - 12) throw unreadable(file, `its footer length ${footer} exceeds the file size ${size} (truncated or damaged)`);
  } finally {
    await handle.close();
  }
}

function unsupported(file: string, e: unknown): IoError {
  return new IoError("IO-P002", `cannot read this Parquet file's columns: ${e instanceof Error ? e.message : String(e)}`, { file });
}

/** parquet-wasm's message, when its build kept one ("Error strings stripped" says nothing). */
function wasmMessage(message: string | undefined): string {
  return message === undefined || /strings stripped/i.test(message) ? "" : ` (${message})`;
}

/** The row group holding 1-based row `row`, with its first and last rows. */
function groupOf(groupRows: readonly number[], row: number): { group: number; first: number; last: number } {
  let first = 1;
  for (let g = 0; g < groupRows.length; g++) {
    const last = first + groupRows[g]! - 1;
    if (row <= last) return { group: g, first, last };
    first = last + 1;
  }
  return { group: groupRows.length - 1, first, last: first - 1 };
}

/**
 * A decoding thread's answer, a panic (the thread ended in a wasm trap: parquet-wasm met data it cannot
 * decode) counted as a failed request. Any other end of the thread is not the file's fault and is thrown.
 */
async function answer(request: Promise<DecodeReply>): Promise<DecodeReply> {
  try {
    return await request;
  } catch (e) {
    if (e instanceof DecodeThreadDied && e.panicked) return { ok: false };
    throw e instanceof DecodeThreadDied ? new Error(`the Parquet decoding thread failed: ${e.message}`) : e;
  }
}

/**
 * Damaged columns named in an IO-P003 message at most. Each one found costs a decoding thread (a panic ends it,
 * and a new one takes 100–400 ms to start), so a file damaged across many columns is reported in bounded time.
 */
const MAX_NAMED_COLUMNS = 2;

/**
 * The first top-level columns of row group `group` that do not decode, up to MAX_NAMED_COLUMNS (each decoded
 * alone, on a fresh thread after a panic), and whether columns after them went unchecked. Only run after a
 * failure, to say where the damage is.
 */
async function corruptColumns(file: string, group: number, columns: readonly string[]): Promise<{ bad: string[]; unchecked: boolean }> {
  const bad: string[] = [];
  for (const column of columns) {
    if (bad.length === MAX_NAMED_COLUMNS) return { bad, unchecked: true };
    const thread = DecodeThread.acquire();
    try {
      if (!(await answer(thread.request({ op: "open", path: file }))).ok) return { bad, unchecked: true };
      const ok =
        (await answer(thread.request({ op: "stream", columns: [column], batchSize: BATCH_ROWS, rowGroups: [group] }))).ok &&
        (await answer(thread.request({ op: "drain" }))).ok;
      if (!ok) bad.push(column);
      else await thread.request({ op: "close" });
    } finally {
      thread.release();
    }
  }
  return { bad, unchecked: false };
}

/** IO-P003: column data that does not decode, in row group `at.group`. */
async function corrupt(file: string, groupRows: readonly number[], row: number, columns: readonly string[], cause: string | undefined): Promise<IoError> {
  const at = groupOf(groupRows, row);
  const { bad, unchecked } = await corruptColumns(file, at.group, columns).catch(() => ({ bad: [], unchecked: true }));
  const where = `row group ${at.group} of ${groupRows.length} (rows ${at.first.toLocaleString("en-US")}–${at.last.toLocaleString("en-US")})`;
  const what = bad.length === 0 ? "" : `, column${bad.length > 1 ? "s" : ""} ${bad.join(", ")}${unchecked ? " (later columns not checked)" : ""}`;
  return new IoError("IO-P003", `damaged Parquet file: the data of ${where}${what} does not decode${wasmMessage(cause)}; ${REWRITE}`, { file });
}

/**
 * Yields every row of a Parquet file (rows are numbered from 1 where JSONL has lines), decoding it row group
 * by row group and batch by batch on a decoding thread (`ParquetFile.stream` over a file-backed Blob: only the
 * column chunks being decoded are read from disk), with an optional projection onto some top-level columns
 * (decoded alone).
 *
 * Why the async `ParquetFile` API and not `readParquet(bytes, { rowGroups })`: in parquet-wasm 0.8.0 the sync
 * `readParquet` ignores `columns` and needs the whole file copied into wasm memory on every call (the old
 * whole-file read took 8.3 s and 815 MB peak RSS on 437k rows where this takes 5.4 s and 359 MB, 2.3 s and
 * 258 MB projected on identityMap + _acp_system_metadata). Its weakness, a panic on corrupt column data, is
 * contained by the decoding thread (parquet-read-thread.ts) and reported as IO-P003 with the row group and
 * the columns that fail; missing files and directories are IO-F001/IO-F003, truncated and non-Parquet files
 * IO-P001.
 */
export async function* readParquetRows(file: string, options: ParquetReadOptions = {}): AsyncGenerator<JsonlLine> {
  await checkParquetFile(file, options.listed);
  const thread = DecodeThread.acquire();
  let opened = false;
  let inFlight: Promise<DecodeReply> | undefined;
  try {
    const opening = await answer(thread.request({ op: "open", path: file }));
    if (!opening.ok) throw unreadable(file, `its footer (metadata) does not decode${wasmMessage(opening.message)}`);
    opened = true;
    const names = tableFromIPC(opening.schema!).schema.fields.map((f) => f.name);
    const groupRows = opening.groupRows!;
    const wanted = options.columns === undefined ? undefined : new Set(options.columns);
    const columns = wanted === undefined ? names : names.filter((n) => wanted.has(n));
    let row = 0;
    if (columns.length === 0) {
      // Nothing to decode (a projection onto columns the file lacks): the rows are empty objects.
      for (const n of groupRows) for (let i = 0; i < n; i++) yield { line: ++row, value: {} };
      return;
    }
    const streamed = await answer(thread.request({ op: "stream", columns, batchSize: BATCH_ROWS }));
    if (!streamed.ok) throw unreadable(file, `its columns cannot be read${wasmMessage(streamed.message)}`);
    // The next batch is asked for before this one is converted: the thread decodes while this one converts.
    const ask = (): Promise<DecodeReply> => {
      inFlight = thread.request({ op: "next" });
      inFlight.catch(() => undefined);
      return inFlight;
    };
    let pending = ask();
    for (;;) {
      const reply = await answer(pending);
      if (!reply.ok) throw await corrupt(file, groupRows, row + 1, columns, reply.message);
      if (reply.batch === undefined) break;
      pending = ask();
      const batch = tableFromIPC(reply.batch);
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
    // An early stop leaves a batch in flight: wait for it before closing the file.
    const alive = await (inFlight ?? Promise.resolve()).then(
      () => true,
      () => false,
    );
    if (opened && alive) await thread.request({ op: "close" }).catch(() => undefined);
    thread.release();
  }
}
