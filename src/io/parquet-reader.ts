/**
 * Reads a Parquet data file as JSON rows, the shapes the rest of the engine uses for JSONL: structs become
 * objects (null fields left out, as the platform never stores nulls), lists arrays, maps objects, timestamps
 * RFC 3339 strings, dates `YYYY-MM-DD`, 64-bit integers numbers.
 */
import { readFileSync } from "node:fs";
import { DataType, tableFromIPC, type Data, type Field } from "apache-arrow";
import * as PW from "parquet-wasm";
import type { Json, JsonObject } from "../xdm/types.js";
import { IoError } from "./io-error.js";
import type { JsonlLine } from "./jsonl.js";

const DAY_MS = 86_400_000;
const decoder = new TextDecoder();

/** Whether slot i of a column holds a value (Arrow validity bitmap, offset applied). */
function present(data: Data, i: number): boolean {
  const bitmap = data.nullBitmap;
  if (data.nullCount === 0 || bitmap === undefined || bitmap.length === 0) return true;
  const bit = data.offset + i;
  return (bitmap[bit >> 3]! & (1 << (bit & 7))) !== 0;
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
  if (DataType.isStruct(type)) {
    const children = type.children.map((f: Field, k: number) => [f.name, column(data.children[k]!)] as const);
    for (let i = 0; i < n; i++) {
      if (!present(data, i)) continue;
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
        if (!present(data, i)) continue;
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
      if (!present(data, i)) continue;
      const list: Json[] = [];
      for (let j = offsets[o + i]!; j < offsets[o + i + 1]!; j++) list.push(items[j] ?? null);
      out[i] = list;
    }
    return out;
  }
  if (DataType.isUtf8(type)) {
    const offsets = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    for (let i = 0; i < n; i++) if (present(data, i)) out[i] = decoder.decode(bytes.subarray(offsets[o + i]!, offsets[o + i + 1]!));
    return out;
  }
  if (DataType.isBool(type)) {
    const bits = data.values as Uint8Array;
    for (let i = 0; i < n; i++) {
      const b = o + i;
      if (present(data, i)) out[i] = (bits[b >> 3]! & (1 << (b & 7))) !== 0;
    }
    return out;
  }
  const values = data.values as ArrayLike<number | bigint>;
  const at = (i: number): number => Number(values[o + i]);
  if (DataType.isTimestamp(type)) {
    for (let i = 0; i < n; i++) if (present(data, i)) out[i] = new Date(at(i)).toISOString();
    return out;
  }
  if (DataType.isDate(type)) {
    for (let i = 0; i < n; i++) if (present(data, i)) out[i] = new Date(at(i) * DAY_MS).toISOString().slice(0, 10);
    return out;
  }
  if (DataType.isInt(type) || DataType.isFloat(type)) {
    for (let i = 0; i < n; i++) if (present(data, i)) out[i] = at(i);
    return out;
  }
  throw new Error(`unsupported Arrow type ${String(type)}`);
}

/** Yields every row of a Parquet file (rows are numbered from 1 where JSONL has lines). */
export async function* readParquetRows(file: string): AsyncGenerator<JsonlLine> {
  let table;
  try {
    const wasmTable = PW.readParquet(readFileSync(file));
    table = tableFromIPC(wasmTable.intoIPCStream());
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new IoError("IO-P001", code === "ENOENT" ? "data file not found" : `not a readable Parquet file (${e instanceof Error ? e.message : String(e)})`, { file });
  }
  let row = 0;
  for (const batch of table.batches) {
    let columns;
    try {
      columns = table.schema.fields.map((f, k) => ({ name: f.name, values: column(batch.data.children[k]!) }));
    } catch (e) {
      throw new IoError("IO-P002", `cannot read this Parquet file's columns: ${e instanceof Error ? e.message : String(e)}`, { file });
    }
    for (let i = 0; i < batch.numRows; i++) {
      const value: JsonObject = {};
      for (const c of columns) {
        const x = c.values[i];
        if (x !== undefined) value[c.name] = x;
      }
      yield { line: ++row, value };
    }
  }
}
