/**
 * Reads a Parquet data file as JSON rows, the shapes the rest of the engine uses for JSONL: structs become
 * objects (null fields left out, as the platform never stores nulls), lists arrays, maps objects, timestamps
 * RFC 3339 strings, dates `YYYY-MM-DD`, 64-bit integers numbers.
 */
import { readFileSync } from "node:fs";
import { DataType, tableFromIPC, type Field, type Vector } from "apache-arrow";
import * as PW from "parquet-wasm";
import type { Json, JsonObject } from "../xdm/types.js";
import { IoError } from "./io-error.js";
import type { JsonlLine } from "./jsonl.js";

const DAY_MS = 86_400_000;

type Convert = (value: unknown) => Json | undefined;

/** A converter per Arrow type, built once per column. */
function converter(type: DataType): Convert {
  if (DataType.isStruct(type)) {
    const fields = type.children.map((f: Field) => [f.name, converter(f.type)] as const);
    return (v) => {
      if (v == null) return undefined;
      const row = v as Record<string, unknown>;
      const out: JsonObject = {};
      for (const [name, convert] of fields) {
        const x = convert(row[name]);
        if (x !== undefined) out[name] = x;
      }
      return out;
    };
  }
  if (DataType.isMap(type)) {
    const value = converter(type.children[0]!.type.children[1]!.type);
    return (v) => {
      if (v == null) return undefined;
      const out: JsonObject = {};
      for (const [k, x] of v as Iterable<[string, unknown]>) {
        const converted = value(x);
        if (converted !== undefined) out[k] = converted;
      }
      return out;
    };
  }
  if (DataType.isList(type)) {
    const item = converter(type.children[0]!.type);
    return (v) => (v == null ? undefined : [...(v as Vector)].map((x) => item(x) ?? null));
  }
  if (DataType.isTimestamp(type)) return (v) => (v == null ? undefined : new Date(Number(v)).toISOString());
  if (DataType.isDate(type)) return (v) => (v == null ? undefined : new Date(Math.round(Number(v instanceof Date ? v.getTime() : v) / DAY_MS) * DAY_MS).toISOString().slice(0, 10));
  if (DataType.isInt(type)) return (v) => (v == null ? undefined : Number(v));
  return (v) => (v == null ? undefined : (v as Json));
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
  const columns = table.schema.fields.map((f, i) => ({ name: f.name, vector: table.getChildAt(i)!, convert: converter(f.type) }));
  for (let row = 0; row < table.numRows; row++) {
    const value: JsonObject = {};
    for (const c of columns) {
      const x = c.convert(c.vector.get(row));
      if (x !== undefined) value[c.name] = x;
    }
    yield { line: row + 1, value };
  }
}
