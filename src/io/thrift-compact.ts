/**
 * Thrift's compact protocol, as Parquet's footer and page indexes use it: any struct decoded into a tree of
 * fields (ids and wire types kept, nothing interpreted) and encoded back. Encoding a decoded struct gives its
 * bytes back exactly (the protocol has one encoding per value), so a footer can be read, a few offsets changed
 * and written again without a schema of Parquet's metadata.
 */

/** The compact protocol's wire types, by their codes in field and list headers. */
export const T = { TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

/** A value: integers (i8–i64, exact below 2^53) and doubles as numbers, binary as bytes, booleans, containers. */
export type ThriftValue = boolean | number | Uint8Array | ThriftList | ThriftMap | ThriftStruct;

export interface ThriftList {
  readonly kind: "list";
  /** LIST or SET. */
  readonly wire: number;
  readonly itemType: number;
  readonly items: ThriftValue[];
}

export interface ThriftMap {
  readonly kind: "map";
  readonly keyType: number;
  readonly valueType: number;
  readonly entries: [ThriftValue, ThriftValue][];
}

export interface ThriftField {
  readonly id: number;
  /** The wire type (for a boolean field, TRUE whatever its value). */
  readonly type: number;
  value: ThriftValue;
}

/** A struct: its fields in wire order. */
export class ThriftStruct {
  readonly kind = "struct";
  constructor(readonly fields: ThriftField[] = []) {}

  get(id: number): ThriftValue | undefined {
    return this.fields.find((f) => f.id === id)?.value;
  }

  /** Field `id`, which must be a struct. */
  struct(id: number): ThriftStruct | undefined {
    const v = this.get(id);
    if (v === undefined) return undefined;
    if (v instanceof ThriftStruct) return v;
    throw new RangeError(`Thrift field ${id} is not a struct`);
  }

  /** Field `id`, which must be a list; its items. */
  list(id: number): ThriftValue[] | undefined {
    const v = this.get(id);
    if (v === undefined) return undefined;
    if (typeof v === "object" && "kind" in v && v.kind === "list") return v.items;
    throw new RangeError(`Thrift field ${id} is not a list`);
  }

  /** Field `id`, which must be an integer. */
  int(id: number): number | undefined {
    const v = this.get(id);
    if (v === undefined || typeof v === "number") return v;
    throw new RangeError(`Thrift field ${id} is not an integer`);
  }

  /** Replaces the value of an existing field (its wire type stays). */
  set(id: number, value: ThriftValue): void {
    const field = this.fields.find((f) => f.id === id);
    if (field === undefined) throw new RangeError(`Thrift field ${id} is absent`);
    field.value = value;
  }

  /** Sets field `id`, adding it in id order when absent. */
  put(id: number, type: number, value: ThriftValue): void {
    const field = this.fields.find((f) => f.id === id);
    if (field !== undefined) field.value = value;
    else {
      const at = this.fields.findIndex((f) => f.id > id);
      this.fields.splice(at < 0 ? this.fields.length : at, 0, { id, type, value });
    }
  }
}

/** Decodes one struct at `offset`; `end` is where its bytes end. RangeError on bytes cut short or malformed. */
export function decodeStruct(bytes: Uint8Array, offset = 0): { struct: ThriftStruct; end: number } {
  const r = new Reader(bytes, offset);
  const struct = r.struct();
  return { struct, end: r.pos };
}

export function encodeStruct(struct: ThriftStruct): Uint8Array {
  const w = new Writer();
  w.struct(struct);
  return w.bytes();
}

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public pos: number,
  ) {}

  private byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError("the Thrift bytes end early");
    return this.bytes[this.pos++]!;
  }

  private varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) break;
      scale *= 128;
      if (scale > 2 ** 56) throw new RangeError("a Thrift varint is too long");
    }
    if (value > Number.MAX_SAFE_INTEGER) throw new RangeError("a Thrift integer is beyond 2^53");
    return value;
  }

  private zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  struct(): ThriftStruct {
    const fields: ThriftField[] = [];
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return new ThriftStruct(fields);
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      if (type === T.TRUE || type === T.FALSE) fields.push({ id, type: T.TRUE, value: type === T.TRUE });
      else fields.push({ id, type, value: this.value(type) });
    }
  }

  private value(type: number): ThriftValue {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        // Only inside containers: a bool is a byte there.
        return this.byte() === 1;
      case T.BYTE: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case T.I16:
      case T.I32:
      case T.I64:
        return this.zigzag();
      case T.DOUBLE: {
        const end = this.pos + 8;
        if (end > this.bytes.length) throw new RangeError("the Thrift bytes end early");
        const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getFloat64(0, true);
        this.pos = end;
        return v;
      }
      case T.BINARY: {
        const n = this.varint();
        const end = this.pos + n;
        if (end > this.bytes.length) throw new RangeError("the Thrift bytes end early");
        // A copy (a Buffer's slice would be a view, keeping the whole file it was read from alive).
        const v = Uint8Array.prototype.slice.call(this.bytes, this.pos, end);
        this.pos = end;
        return v;
      }
      case T.LIST:
      case T.SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        const itemType = header & 0x0f;
        const items: ThriftValue[] = [];
        for (let i = 0; i < size; i++) items.push(this.value(itemType));
        return { kind: "list", wire: type, itemType, items };
      }
      case T.MAP: {
        const size = this.varint();
        if (size === 0) return { kind: "map", keyType: 0, valueType: 0, entries: [] };
        const types = this.byte();
        const entries: [ThriftValue, ThriftValue][] = [];
        for (let i = 0; i < size; i++) entries.push([this.value(types >> 4), this.value(types & 0x0f)]);
        return { kind: "map", keyType: types >> 4, valueType: types & 0x0f, entries };
      }
      case T.STRUCT:
        return this.struct();
      default:
        throw new RangeError(`unknown Thrift compact type ${type}`);
    }
  }
}

class Writer {
  private buf = new Uint8Array(4096);
  private pos = 0;

  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  private varint(v: number): void {
    while (v >= 128) {
      this.byte((v % 128) | 0x80);
      v = Math.floor(v / 128);
    }
    this.byte(v);
  }

  private zigzag(v: number): void {
    this.varint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  struct(s: ThriftStruct): void {
    let last = 0;
    for (const f of s.fields) {
      const type = f.type === T.TRUE || f.type === T.FALSE ? (f.value === true ? T.TRUE : T.FALSE) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) this.byte((delta << 4) | type);
      else {
        this.byte(type);
        this.zigzag(f.id);
      }
      last = f.id;
      if (type !== T.TRUE && type !== T.FALSE) this.value(type, f.value);
    }
    this.byte(0);
  }

  private value(type: number, v: ThriftValue): void {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        this.byte(v === true ? 1 : 0);
        return;
      case T.BYTE:
        this.byte((v as number) & 0xff);
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        this.zigzag(v as number);
        return;
      case T.DOUBLE:
        this.room(8);
        new DataView(this.buf.buffer, this.pos, 8).setFloat64(0, v as number, true);
        this.pos += 8;
        return;
      case T.BINARY: {
        const b = v as Uint8Array;
        this.varint(b.length);
        this.room(b.length);
        this.buf.set(b, this.pos);
        this.pos += b.length;
        return;
      }
      case T.LIST:
      case T.SET: {
        const l = v as ThriftList;
        if (l.items.length < 15) this.byte((l.items.length << 4) | l.itemType);
        else {
          this.byte(0xf0 | l.itemType);
          this.varint(l.items.length);
        }
        for (const item of l.items) this.value(l.itemType, item);
        return;
      }
      case T.MAP: {
        const m = v as ThriftMap;
        this.varint(m.entries.length);
        if (m.entries.length === 0) return;
        this.byte((m.keyType << 4) | m.valueType);
        for (const [k, val] of m.entries) {
          this.value(m.keyType, k);
          this.value(m.valueType, val);
        }
        return;
      }
      case T.STRUCT:
        this.struct(v as ThriftStruct);
        return;
      default:
        throw new RangeError(`unknown Thrift compact type ${type}`);
    }
  }
}
