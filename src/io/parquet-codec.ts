/**
 * The compression codec of a Parquet file's column chunks, read from its footer (Thrift compact protocol)
 * without decoding any data: what the memory budget needs to turn a file's size into the size of its rows.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";

/** Parquet's `CompressionCodec` enum, by value. */
const CODECS = ["uncompressed", "snappy", "gzip", "lzo", "brotli", "lz4", "zstd", "lz4_raw"] as const;
export type ParquetCodec = (typeof CODECS)[number];

/**
 * The codec of the file's first column chunk, or undefined (no row group, not a Parquet file, an unknown
 * codec, a file that does not open or a folder: reading it later says why).
 */
export function parquetCodec(path: string): ParquetCodec | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    const size = info.size;
    if (!info.isFile() || size < 12) return undefined;
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, size - 8);
    const length = tail.readUInt32LE(0);
    if (tail.toString("latin1", 4) !== "PAR1" || length > size - 12) return undefined;
    const footer = Buffer.alloc(length);
    readSync(fd, footer, 0, length, size - 8 - length);
    return codecOf(footer);
  } finally {
    closeSync(fd);
  }
}

/** FileMetaData.row_groups[0].columns[0].meta_data.codec, from the footer's bytes. */
export function codecOf(footer: Uint8Array): ParquetCodec | undefined {
  try {
    const r = new CompactReader(footer);
    let codec: number | undefined;
    // FileMetaData 4: row_groups → RowGroup 1: columns → ColumnChunk 3: meta_data → ColumnMetaData 4: codec.
    r.struct((id, type) => {
      if (id !== 4 || type !== LIST || codec !== undefined) return false;
      r.list(() =>
        r.struct((id, type) => {
          if (id !== 1 || type !== LIST || codec !== undefined) return false;
          r.list(() =>
            r.struct((id, type) => {
              if (id !== 3 || type !== STRUCT || codec !== undefined) return false;
              r.struct((id, type) => {
                if (id !== 4 || type !== I32) return false;
                codec = r.zigzag();
                return true;
              });
              return true;
            }),
          );
          return true;
        }),
      );
      return true;
    });
    return codec === undefined ? undefined : CODECS[codec];
  } catch (e) {
    if (e instanceof RangeError) return undefined; // a footer cut short
    throw e;
  }
}

/** Thrift compact protocol's types, by their codes 1–12 in field and list headers. */
const [BOOL_TRUE, BOOL_FALSE, BYTE, I16, I32, I64, DOUBLE, BINARY, LIST, SET, MAP, STRUCT] = Array.from({ length: 12 }, (_, k) => k + 1);

/** Reads Thrift's compact protocol: the fields a caller asks for, every other one skipped. */
class CompactReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  private byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError("the footer ends early");
    return this.bytes[this.pos++]!;
  }

  /** An unsigned varint (sizes and lengths: exact below 2^53). */
  private varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
  }

  zigzag(): number {
    const v = this.varint();
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  }

  /** Walks a struct's fields: `field` reads the ones it wants (true) and the rest are skipped. */
  struct(field: (id: number, type: number) => boolean): void {
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? this.zigzag() : last + delta;
      last = id;
      if (!field(id, type)) this.skip(type);
    }
  }

  /** Walks a list (or set), `item` reading each element. */
  list(item: () => void): void {
    const header = this.byte();
    const size = header >> 4 === 15 ? this.varint() : header >> 4;
    for (let i = 0; i < size; i++) item();
  }

  private skip(type: number): void {
    switch (type) {
      case BOOL_TRUE:
      case BOOL_FALSE:
        return;
      case BYTE:
        this.byte();
        return;
      case I16:
      case I32:
      case I64:
        this.varint();
        return;
      case DOUBLE:
        this.advance(8);
        return;
      case BINARY:
        this.advance(this.varint());
        return;
      case LIST:
      case SET: {
        const header = this.byte();
        const size = header >> 4 === 15 ? this.varint() : header >> 4;
        const items = header & 0x0f;
        // In lists a bool is one byte, not folded into a field header.
        for (let i = 0; i < size; i++) {
          if (items === BOOL_TRUE || items === BOOL_FALSE) this.byte();
          else this.skip(items);
        }
        return;
      }
      case MAP: {
        const size = this.varint();
        if (size === 0) return;
        const types = this.byte();
        for (let i = 0; i < size; i++) {
          this.skip(types >> 4);
          this.skip(types & 0x0f);
        }
        return;
      }
      case STRUCT:
        this.struct(() => false);
        return;
      default:
        throw new RangeError(`unknown Thrift compact type ${type}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.bytes.length) throw new RangeError("the footer ends early");
    this.pos += n;
  }
}
