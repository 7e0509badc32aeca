/**
 * Hand-written columnar Arrow builder: JSON rows → one Arrow RecordBatch, without `vectorFromArray` or
 * `makeBuilder` (7–10× slower on maps, DEPS.md §3).
 *
 * A plan is compiled once per schema (one closure per column, recursively for nested types) and cached.
 * Building a batch then walks each column's values once: scalars go into typed arrays and validity bitmaps,
 * lists and maps are flattened level by level into offsets plus a flat array of child values, which the
 * child's closure walks in turn.
 *
 * Accepted JS values per XDM type (anything else throws `IO-W001`, {@link ColumnTypeError}):
 * - string: string (UTF-8 encoded, each string straight into the column's buffer)
 * - int: integer number in the int32 range
 * - long: safe-integer number, or bigint in the int64 range
 * - double: number
 * - boolean: boolean
 * - date-time: epoch-ms number (fractions floored) or RFC 3339 string (`toEpochMs`)
 * - date: `YYYY-MM-DD` string
 * - object: plain object (fields not in the schema are ignored)
 * - array: JS array
 * - map: plain object, entries in insertion order
 * - `null` / `undefined` / missing: null at any level. Map keys are never null.
 */
import {
  type Bool,
  type Data,
  type DataType,
  type DateDay,
  type Field,
  type Float64,
  type Int32,
  type Int64,
  type List,
  makeData,
  type Map_,
  RecordBatch,
  type Schema,
  Struct,
  type TimestampMillisecond,
  type Utf8,
} from "apache-arrow";
import { parseDate, toEpochMs } from "../xdm/time.js";
import type { JsonObject } from "../xdm/types.js";
import type { XdmObject, XdmType } from "../xdm/xdm-type.js";
import { arrowSchemaFor } from "./arrow-schema.js";
import { IoError } from "./io-error.js";

/** `IO-W001`: a value of a row does not fit the type of its column (an IoError, hence a ProfileLabError). */
export class ColumnTypeError extends IoError {
  constructor(
    /** Column path in the schema: `person.age`; `[]` marks list items, `{}` map values (`identityMap{}[].id`). */
    readonly column: string,
    /** Index of the row (offset by the `firstRowIndex` the batch was built with). */
    readonly row: number,
    /** Path of the offending value inside the row, with map keys and list indexes (`identityMap.ECID[1].id`). */
    readonly valuePath: string,
    readonly expected: string,
    readonly value: unknown,
  ) {
    super(
      "IO-W001",
      `Row ${row}, ${column === "$" ? "the row itself" : `column ${column}`}: expected ${expected}, got ${describeValue(value)}` +
        (valuePath !== column ? ` at ${valuePath}` : ""),
      { jsonPath: valuePath === "$" ? `$[${row}]` : `$[${row}]${valuePath.startsWith("[") ? "" : "."}${valuePath}` },
    );
  }
}

/** Compiled builder of one schema: rows → RecordBatch. */
export interface BatchBuilder {
  readonly schema: Schema;
  /** Builds one batch. `firstRowIndex` offsets the row numbers in error messages. */
  build(rows: readonly JsonObject[], firstRowIndex?: number): RecordBatch;
}

/** Builds one Arrow batch of `rows` with the schema of `row` (the plan is compiled once per `row` object). */
export function buildRecordBatch(row: XdmObject, rows: readonly JsonObject[], firstRowIndex = 0): RecordBatch {
  return batchBuilderFor(row).build(rows, firstRowIndex);
}

const PLANS = new WeakMap<XdmObject, BatchBuilder>();

/** The compiled builder of a schema, cached per `row` object. */
export function batchBuilderFor(row: XdmObject): BatchBuilder {
  let plan = PLANS.get(row);
  if (plan === undefined) {
    plan = compileBatchBuilder(row);
    PLANS.set(row, plan);
  }
  return plan;
}

/**
 * One column's Data from its values (what `build` would take from the rows' field), for builders that gather
 * their values column by column instead of making row objects. A value that does not fit throws.
 */
export function columnData(t: XdmType, type: DataType, values: readonly unknown[]): Data {
  try {
    return compileColumn(t, type, "$")(values, values.length, null);
  } catch (e) {
    if (e instanceof Mismatch) throw new Error(`column value ${e.row}: expected ${e.expected}, got ${describeValue(e.value)}`);
    throw e;
  }
}

// ───────────────────────────── plan ─────────────────────────────

/** Thrown inside a column closure; turned into a ColumnTypeError with the exact value path at the top. */
class Mismatch {
  constructor(
    readonly column: string,
    /** Row index inside the batch. */
    readonly row: number,
    readonly expected: string,
    readonly value: unknown,
  ) {}
}

/**
 * Builds the Data of one column from `values` (length `n`). `rowOf[i]` is the batch row of `values[i]`
 * (null at the top level, where it is `i`), used only for error messages.
 */
type ColumnFn = (values: readonly unknown[], n: number, rowOf: Int32Array | null) => Data;

function compileBatchBuilder(rowType: XdmObject): BatchBuilder {
  const schema = arrowSchemaFor(rowType);
  const structType = new Struct(schema.fields);
  const names: string[] = [];
  const columns: ColumnFn[] = [];
  let k = 0;
  for (const [name, type] of rowType.fields) {
    const field = schema.fields[k++];
    if (field === undefined) throw new Error("arrow schema out of step with the XDM schema");
    names.push(name);
    columns.push(compileColumn(type, field.type, name));
  }

  const scratch = new Slots<unknown>();
  const build = (rows: readonly JsonObject[], firstRowIndex = 0): RecordBatch => {
    const n = rows.length;
    for (let i = 0; i < n; i++) {
      const r: unknown = rows[i];
      if (typeof r !== "object" || r === null || Array.isArray(r)) {
        throw new ColumnTypeError("$", firstRowIndex + i, "$", "object (a row)", r);
      }
    }
    const children: Data[] = [];
    const values = scratch.take(n);
    try {
      for (let c = 0; c < columns.length; c++) {
        const name = names[c] as string;
        for (let i = 0; i < n; i++) values[i] = (rows[i] as JsonObject)[name];
        children.push((columns[c] as ColumnFn)(values, n, null));
      }
    } catch (e) {
      if (e instanceof Mismatch) throw toColumnTypeError(e, rowType, rows, firstRowIndex);
      throw e;
    } finally {
      scratch.clear(n);
    }
    return new RecordBatch(schema, makeData({ type: structType, length: n, nullCount: 0, children }));
  };
  return { schema, build };
}

function compileColumn(t: XdmType, at: DataType, path: string): ColumnFn {
  switch (t.kind) {
    case "string":
      return (values, n, rowOf) => buildUtf8(at, values, n, rowOf, path);
    case "int":
      return (values, n, rowOf) => buildInt32(at, values, n, rowOf, path);
    case "long":
      return (values, n, rowOf) => buildInt64(at, values, n, rowOf, path);
    case "double":
      return (values, n, rowOf) => buildFloat64(at, values, n, rowOf, path);
    case "boolean":
      return (values, n, rowOf) => buildBool(at, values, n, rowOf, path);
    case "date-time":
      return (values, n, rowOf) => buildTimestamp(at, values, n, rowOf, path);
    case "date":
      return (values, n, rowOf) => buildDateDay(at, values, n, rowOf, path);
    case "object":
      return compileStruct(t, at, path);
    case "array":
      return compileList(t.items, at, path);
    case "map":
      return compileMap(t.values, at, path);
  }
}

// ───────────────────────────── helpers ─────────────────────────────

const rowAt = (rowOf: Int32Array | null, i: number): number => (rowOf === null ? i : (rowOf[i] as number));

function mismatch(path: string, rowOf: Int32Array | null, i: number, expected: string, value: unknown): Mismatch {
  return new Mismatch(path, rowAt(rowOf, i), expected, value);
}

const bitmapBytes = (n: number): number => (n + 7) >> 3;

/**
 * A scratch array reused across batches by one plan closure (plans are cached per schema, and a closure
 * never re-enters itself). Reusing the flat value arrays keeps 50k+-slot arrays out of V8's large-object
 * space, which otherwise triggers a full mark-compact of the (large, row-holding) heap every few batches.
 */
class Slots<T> {
  private arr: T[] = [];
  take(n: number): T[] {
    if (this.arr.length < n) this.arr = new Array<T>(Math.max(n, Math.ceil(this.arr.length * 1.5)));
    return this.arr;
  }
  /** Drops the references of the last use so a finished batch can be collected. */
  clear(n: number): void {
    this.arr.fill(undefined as T, 0, Math.min(n, this.arr.length));
  }
}

class IntSlots {
  private arr = new Int32Array(0);
  take(n: number): Int32Array {
    if (this.arr.length < n) this.arr = new Int32Array(Math.max(n, Math.ceil(this.arr.length * 1.5)));
    return this.arr;
  }
}

/** Rows' validity as Arrow wants it, from one flag per row: a bitmap, or none when every row is valid. */
export function validityOf(valid: readonly boolean[]): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  const bitmap = new Uint8Array(bitmapBytes(valid.length));
  let nullCount = 0;
  for (let i = 0; i < valid.length; i++) {
    if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else nullCount++;
  }
  return { nullBitmap: validityOrNone(bitmap, nullCount), nullCount };
}

/** Validity bitmap, or undefined when there are no nulls (Arrow allows omitting it). */
const validityOrNone = (bitmap: Uint8Array, nullCount: number): Uint8Array | undefined =>
  nullCount === 0 ? undefined : bitmap;

const TWO_32 = 4294967296;

/** Writes a safe integer as a little-endian int64 into a Uint32Array view (2 words per value). */
function setInt64(words: Uint32Array, i: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  words[2 * i] = v - hi * TWO_32;
  words[2 * i + 1] = hi; // ToUint32 wraps negatives: two's complement high word
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ───────────────────────────── scalars ─────────────────────────────

/**
 * A Buffer with its `utf8Write` (untyped, but Node's own: what `write` calls once it has parsed its
 * arguments, which costs as much again on short strings).
 */
type Utf8Buffer = Buffer & { utf8Write(text: string, offset: number): number };

const utf8Buffer = (bytes: number): Utf8Buffer => Buffer.allocUnsafe(bytes) as Utf8Buffer;

function buildUtf8(type: DataType, values: readonly unknown[], n: number, rowOf: Int32Array | null, path: string): Data {
  const offsets = new Int32Array(n + 1);
  const bitmap = new Uint8Array(bitmapBytes(n));
  let nullCount = 0;
  // Pass 1: validate, and count the UTF-16 units (the bytes, when every string is ASCII).
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "string") {
      bitmap[i >> 3]! |= 1 << (i & 7);
      chars += v.length;
    } else if (v == null) nullCount++;
    else throw mismatch(path, rowOf, i, "string", v);
  }
  if (nullCount === n) {
    // Common in sparse nested schemas: nothing to encode.
    return makeData({ type: type as Utf8, length: n, nullCount, nullBitmap: validityOrNone(bitmap, nullCount), valueOffsets: offsets, data: new Uint8Array(0) });
  }
  if (chars > 0x7fffffff) throw new Error(`column ${path}: more than 2 GiB of strings in one batch`);
  // Pass 2: each string encoded in place (one native write each: about a third of the cost of joining the
  // column and encoding the join, on the generator's ids; not `writeUtf8`, whose charCodeAt flattens the rows'
  // concatenated strings first: a generator block cost 70 → 81 CPU-µs a person with it). The buffer is sized
  // for ASCII and grows only when a string may not fit: a UTF-16 unit takes at most 3 bytes.
  let buf = utf8Buffer(chars);
  let pos = 0;
  let rest = chars;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "string") {
      rest -= v.length;
      if (buf.length - pos < 3 * v.length) {
        const need = pos + Buffer.byteLength(v, "utf8") + rest;
        if (need > 0x7fffffff) throw new Error(`column ${path}: more than 2 GiB of strings in one batch`);
        if (need > buf.length) {
          const grown = utf8Buffer(Math.min(0x7fffffff, Math.max(need, Math.ceil(buf.length * 1.5))));
          buf.copy(grown, 0, 0, pos);
          buf = grown;
        }
      }
      pos += buf.utf8Write(v, pos);
    }
    offsets[i + 1] = pos;
  }
  return makeData({
    type: type as Utf8,
    length: n,
    nullCount,
    nullBitmap: validityOrNone(bitmap, nullCount),
    valueOffsets: offsets,
    data: buf.subarray(0, pos),
  });
}

/**
 * Writes `s` as UTF-8 at `at` (the buffer has room for 3 bytes a UTF-16 unit) and returns the end. ASCII is
 * copied in JS: a native write per short flat string costs as much as the copy.
 */
function writeUtf8(buf: Utf8Buffer, at: number, s: string): number {
  const len = s.length;
  for (let k = 0; k < len; k++) {
    const c = s.charCodeAt(k);
    if (c > 0x7f) return at + buf.utf8Write(s, at);
    buf[at + k] = c;
  }
  return at + len;
}

/**
 * A string column written one value at a time straight into its UTF-8 buffer, for builders that make values
 * in row order (no array of the values, no second pass): the Data is `columnData`'s for the same strings. Meant for
 * flat strings (literals, slices): ASCII is copied by charCodeAt, which flattens a concatenated string first
 * (buildUtf8 writes natively for that reason).
 */
export class Utf8Column {
  private bytes: Utf8Buffer;
  private offsets: Int32Array;
  private readonly valid = new Bits();
  private pos = 0;

  /** `rows` and `bytes`: expected sizes (the buffers grow past them). */
  constructor(rows: number, bytes: number) {
    this.offsets = new Int32Array(rows + 1);
    this.bytes = utf8Buffer(Math.max(16, bytes));
  }

  /** Appends a string, or a null for undefined. */
  add(s: string | undefined): void {
    const n = this.valid.length;
    if (n + 1 === this.offsets.length) {
      const grown = new Int32Array(2 * this.offsets.length);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.valid.push(s !== undefined);
    if (s !== undefined) {
      const len = s.length;
      if (this.bytes.length - this.pos < 3 * len) {
        if (this.pos + 3 * len > 0x7fffffff) throw new Error("more than 2 GiB of strings in one column");
        const grown = utf8Buffer(Math.min(0x7fffffff, Math.max(2 * this.bytes.length, this.pos + 3 * len)));
        this.bytes.copy(grown, 0, 0, this.pos);
        this.bytes = grown;
      }
      this.pos = writeUtf8(this.bytes, this.pos, s);
    }
    this.offsets[n + 1] = this.pos;
  }

  data(type: DataType): Data {
    const n = this.valid.length;
    return makeData({ type: type as Utf8, length: n, ...this.valid.validity(), valueOffsets: this.offsets.subarray(0, n + 1), data: this.bytes.subarray(0, this.pos) });
  }
}

/**
 * Validity flags appended one at a time, as Arrow wants them (`validityOf`'s). The bitmap is made at the first null
 * (until then every flag is valid and only counted): most of the generator's columns have none.
 */
export class Bits {
  private bitmap: Uint8Array | undefined;
  private n = 0;
  private nulls = 0;

  get length(): number {
    return this.n;
  }

  push(valid: boolean): void {
    const i = this.n++;
    let bitmap = this.bitmap;
    if (bitmap === undefined) {
      if (valid) return;
      bitmap = this.bitmap = allValid(i);
    } else if (i >> 3 === bitmap.length) {
      const grown = new Uint8Array(2 * bitmap.length);
      grown.set(bitmap);
      bitmap = this.bitmap = grown;
    }
    if (valid) bitmap[i >> 3]! |= 1 << (i & 7);
    else this.nulls++;
  }

  get(i: number): boolean {
    return this.bitmap === undefined ? i < this.n : (this.bitmap[i >> 3]! & (1 << (i & 7))) !== 0;
  }

  validity(): { nullBitmap: Uint8Array | undefined; nullCount: number } {
    return { nullBitmap: this.bitmap?.slice(0, bitmapBytes(this.n)), nullCount: this.nulls };
  }
}

/** A bitmap with the first `n` bits set and room for bit `n` and more (64 bytes at least). */
function allValid(n: number): Uint8Array {
  const bitmap = new Uint8Array(Math.max(64, 2 * bitmapBytes(n + 1)));
  bitmap.fill(0xff, 0, n >> 3);
  if ((n & 7) !== 0) bitmap[n >> 3] = (1 << (n & 7)) - 1;
  return bitmap;
}

function buildInt32(type: DataType, values: readonly unknown[], n: number, rowOf: Int32Array | null, path: string): Data {
  const data = new Int32Array(n);
  const bitmap = new Uint8Array(bitmapBytes(n));
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "number" && (v | 0) === v) {
      data[i] = v;
      bitmap[i >> 3]! |= 1 << (i & 7);
    } else if (v == null) nullCount++;
    else throw mismatch(path, rowOf, i, "int (32-bit integer)", v);
  }
  return makeData({
    type: type as Int32,
    length: n,
    nullCount,
    nullBitmap: validityOrNone(bitmap, nullCount),
    data,
  });
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function buildInt64(type: DataType, values: readonly unknown[], n: number, rowOf: Int32Array | null, path: string): Data {
  const data = new BigInt64Array(n);
  const words = new Uint32Array(data.buffer, data.byteOffset, n * 2);
  const bitmap = new Uint8Array(bitmapBytes(n));
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "number" && Number.isSafeInteger(v)) {
      setInt64(words, i, v);
      bitmap[i >> 3]! |= 1 << (i & 7);
    } else if (typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX) {
      data[i] = v;
      bitmap[i >> 3]! |= 1 << (i & 7);
    } else if (v == null) nullCount++;
    else throw mismatch(path, rowOf, i, "long (safe integer)", v);
  }
  return makeData({
    type: type as Int64,
    length: n,
    nullCount,
    nullBitmap: validityOrNone(bitmap, nullCount),
    data,
  });
}

function buildFloat64(type: DataType, values: readonly unknown[], n: number, rowOf: Int32Array | null, path: string): Data {
  const data = new Float64Array(n);
  const bitmap = new Uint8Array(bitmapBytes(n));
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "number") {
      data[i] = v;
      bitmap[i >> 3]! |= 1 << (i & 7);
    } else if (v == null) nullCount++;
    else throw mismatch(path, rowOf, i, "double (number)", v);
  }
  return makeData({
    type: type as Float64,
    length: n,
    nullCount,
    nullBitmap: validityOrNone(bitmap, nullCount),
    data,
  });
}

function buildBool(type: DataType, values: readonly unknown[], n: number, rowOf: Int32Array | null, path: string): Data {
  const data = new Uint8Array(bitmapBytes(n));
  const bitmap = new Uint8Array(bitmapBytes(n));
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (typeof v === "boolean") {
      if (v) data[i >> 3]! |= 1 << (i & 7);
      bitmap[i >> 3]! |= 1 << (i & 7);
    } else if (v == null) nullCount++;
    else throw mismatch(path, rowOf, i, "boolean", v);
  }
  return makeData({
    type: type as Bool,
    length: n,
    nullCount,
    nullBitmap: validityOrNone(bitmap, nullCount),
    data,
  });
}

/** Epoch ms of a date-time value, or undefined when it is not one. */
function dateTimeMs(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? Math.floor(v) : undefined;
  if (typeof v === "string") return toEpochMs(v);
  return undefined;
}

function buildTimestamp(type: DataType, values: readonly unknown[], n: number, rowOf: Int32Array | null, path: string): Data {
  const data = new BigInt64Array(n);
  const words = new Uint32Array(data.buffer, data.byteOffset, n * 2);
  const bitmap = new Uint8Array(bitmapBytes(n));
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v == null) {
      nullCount++;
      continue;
    }
    const ms = dateTimeMs(v);
    if (ms === undefined || !Number.isSafeInteger(ms)) {
      throw mismatch(path, rowOf, i, "date-time (RFC 3339 string or epoch ms)", v);
    }
    setInt64(words, i, ms);
    bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return makeData({
    type: type as TimestampMillisecond,
    length: n,
    nullCount,
    nullBitmap: validityOrNone(bitmap, nullCount),
    data,
  });
}

const DAY_MS = 86_400_000;

function buildDateDay(type: DataType, values: readonly unknown[], n: number, rowOf: Int32Array | null, path: string): Data {
  const data = new Int32Array(n);
  const bitmap = new Uint8Array(bitmapBytes(n));
  let nullCount = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v == null) {
      nullCount++;
      continue;
    }
    const ms = typeof v === "string" ? parseDate(v) : undefined;
    if (ms === undefined) throw mismatch(path, rowOf, i, "date (YYYY-MM-DD string)", v);
    data[i] = ms / DAY_MS;
    bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return makeData({
    type: type as DateDay,
    length: n,
    nullCount,
    nullBitmap: validityOrNone(bitmap, nullCount),
    data,
  });
}

// ───────────────────────────── nested ─────────────────────────────

function compileStruct(t: XdmObject, at: DataType, path: string): ColumnFn {
  const structType = at as Struct;
  const names: string[] = [];
  const children: ColumnFn[] = [];
  let k = 0;
  for (const [name, type] of t.fields) {
    const field: Field | undefined = structType.children[k++];
    if (field === undefined) throw new Error("arrow struct out of step with the XDM object");
    names.push(name);
    children.push(compileColumn(type, field.type, `${path}.${name}`));
  }
  const scratch = new Slots<unknown>();
  return (values, n, rowOf) => {
    const bitmap = new Uint8Array(bitmapBytes(n));
    let nullCount = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isPlainObject(v)) bitmap[i >> 3]! |= 1 << (i & 7);
      else if (v == null) nullCount++;
      else throw mismatch(path, rowOf, i, "object", v);
    }
    const childData: Data[] = [];
    const childValues = scratch.take(n);
    try {
      for (let c = 0; c < children.length; c++) {
        const name = names[c] as string;
        for (let i = 0; i < n; i++) {
          const v = values[i];
          childValues[i] = v == null ? undefined : (v as Record<string, unknown>)[name];
        }
        childData.push((children[c] as ColumnFn)(childValues, n, rowOf));
      }
    } finally {
      scratch.clear(n);
    }
    return makeData({
      type: structType,
      length: n,
      nullCount,
      nullBitmap: validityOrNone(bitmap, nullCount),
      children: childData,
    });
  };
}

function compileList(items: XdmType, at: DataType, path: string): ColumnFn {
  const listType = at as List;
  const itemPath = `${path}[]`;
  const child = compileColumn(items, listType.valueType, itemPath);
  const scratch = new Slots<unknown>();
  const rowScratch = new IntSlots();
  return (values, n, rowOf) => {
    const offsets = new Int32Array(n + 1);
    const bitmap = new Uint8Array(bitmapBytes(n));
    let nullCount = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (Array.isArray(v)) {
        bitmap[i >> 3]! |= 1 << (i & 7);
        total += v.length;
      } else if (v == null) nullCount++;
      else throw mismatch(path, rowOf, i, "array", v);
      offsets[i + 1] = total;
    }
    const flat = scratch.take(total);
    const flatRow = rowScratch.take(total);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (!Array.isArray(v)) continue;
      const r = rowAt(rowOf, i);
      for (let j = 0; j < v.length; j++) {
        flat[p] = v[j];
        flatRow[p++] = r;
      }
    }
    let childData: Data;
    try {
      childData = child(flat, total, flatRow);
    } finally {
      scratch.clear(total);
    }
    return makeData({
      type: listType,
      length: n,
      nullCount,
      nullBitmap: validityOrNone(bitmap, nullCount),
      valueOffsets: offsets,
      child: childData,
    });
  };
}

function compileMap(valuesType: XdmType, at: DataType, path: string): ColumnFn {
  const mapType = at as Map_;
  const entriesType = mapType.childType;
  const keyType = entriesType.children[0]?.type;
  const valueType = entriesType.children[1]?.type;
  if (keyType === undefined || valueType === undefined) throw new Error("map entries need key and value");
  const valuePath = `${path}{}`;
  const valueFn = compileColumn(valuesType, valueType, valuePath);
  const keyListScratch = new Slots<string[] | undefined>();
  const keyScratch = new Slots<string>();
  const valueScratch = new Slots<unknown>();
  const rowScratch = new IntSlots();
  return (values, n, rowOf) => {
    const offsets = new Int32Array(n + 1);
    const bitmap = new Uint8Array(bitmapBytes(n));
    let nullCount = 0;
    // Pass 1: validate and collect each map's own keys (insertion order), counting the entries.
    const keyLists = keyListScratch.take(n);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (isPlainObject(v)) {
        bitmap[i >> 3]! |= 1 << (i & 7);
        const ks = Object.keys(v);
        keyLists[i] = ks;
        total += ks.length;
      } else if (v == null) {
        keyLists[i] = undefined;
        nullCount++;
      } else {
        keyListScratch.clear(i);
        throw mismatch(path, rowOf, i, "map (object)", v);
      }
      offsets[i + 1] = total;
    }
    // Pass 2: flatten into preallocated arrays.
    const keys = keyScratch.take(total);
    const vals = valueScratch.take(total);
    const flatRow = rowScratch.take(total);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const ks = keyLists[i];
      if (ks === undefined) continue;
      const v = values[i] as Record<string, unknown>;
      const r = rowAt(rowOf, i);
      for (let j = 0; j < ks.length; j++) {
        const key = ks[j] as string;
        keys[p] = key;
        vals[p] = v[key];
        flatRow[p++] = r;
      }
    }
    keyListScratch.clear(n);
    let keyData: Data;
    let valueData: Data;
    try {
      keyData = buildUtf8(keyType, keys, total, flatRow, `${path}{key}`);
      valueData = valueFn(vals, total, flatRow);
    } finally {
      keyScratch.clear(total);
      valueScratch.clear(total);
    }
    const entries = makeData({ type: entriesType, length: total, nullCount: 0, children: [keyData, valueData] });
    return makeData({
      type: mapType,
      length: n,
      nullCount,
      nullBitmap: validityOrNone(bitmap, nullCount),
      valueOffsets: offsets,
      child: entries,
    });
  };
}

// ───────────────────────────── errors ─────────────────────────────

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array (${v.length} items)`;
  switch (typeof v) {
    case "string": {
      const s = v.length > 40 ? `${v.slice(0, 40)}…` : v;
      return `the string ${JSON.stringify(s)}`;
    }
    case "number":
    case "bigint":
    case "boolean":
      return `the ${typeof v} ${String(v)}`;
    case "object":
      return "an object";
    default:
      return typeof v;
  }
}

/** Whether a non-null value fits a scalar kind (the same rules as the column builders). */
function scalarFits(kind: string, v: unknown): boolean {
  switch (kind) {
    case "string":
      return typeof v === "string";
    case "int":
      return typeof v === "number" && (v | 0) === v;
    case "long":
      return (typeof v === "number" && Number.isSafeInteger(v)) || (typeof v === "bigint" && v >= INT64_MIN && v <= INT64_MAX);
    case "double":
      return typeof v === "number";
    case "boolean":
      return typeof v === "boolean";
    case "date-time": {
      const ms = dateTimeMs(v);
      return ms !== undefined && Number.isSafeInteger(ms);
    }
    case "date":
      return typeof v === "string" && parseDate(v) !== undefined;
    default:
      return false;
  }
}

const propPath = (base: string, name: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(name) ? (base === "" ? name : `${base}.${name}`) : `${base}[${JSON.stringify(name)}]`;

interface Located {
  readonly path: string;
  readonly value: unknown;
}

/**
 * The first value below `v` (in column order) whose schema path is `column` and that does not fit `t`, with
 * its exact path (map keys and list indexes). `schemaPath` tracks the builder's column naming.
 */
function locate(t: XdmType, v: unknown, at: string, schemaPath: string, column: string): Located | undefined {
  if (v == null) return undefined;
  if (schemaPath === column) {
    const fits =
      t.kind === "object" || t.kind === "map" ? isPlainObject(v) : t.kind === "array" ? Array.isArray(v) : scalarFits(t.kind, v);
    if (!fits) return { path: at, value: v };
  }
  switch (t.kind) {
    case "object": {
      if (!isPlainObject(v)) return undefined;
      for (const [name, ft] of t.fields) {
        const found = locate(ft, v[name], propPath(at, name), schemaPath === "" ? name : `${schemaPath}.${name}`, column);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    case "array": {
      if (!Array.isArray(v)) return undefined;
      for (let j = 0; j < v.length; j++) {
        const found = locate(t.items, v[j], `${at}[${j}]`, `${schemaPath}[]`, column);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    case "map": {
      if (!isPlainObject(v)) return undefined;
      for (const key of Object.keys(v)) {
        const found = locate(t.values, v[key], propPath(at, key), `${schemaPath}{}`, column);
        if (found !== undefined) return found;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function toColumnTypeError(e: Mismatch, rowType: XdmObject, rows: readonly JsonObject[], firstRowIndex: number): ColumnTypeError {
  const found = locate(rowType, rows[e.row], "", "", e.column);
  return new ColumnTypeError(e.column, firstRowIndex + e.row, found?.path ?? e.column, e.expected, found?.value ?? e.value);
}
