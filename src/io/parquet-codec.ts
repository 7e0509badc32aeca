/**
 * The compression codec of a Parquet file's column chunks, read from its footer (Thrift compact protocol)
 * without decoding any data: what the memory budget needs to turn a file's size into the size of its rows.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { decodeStruct, ThriftStruct } from "./thrift-compact.js";

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
    // FileMetaData 4: row_groups → RowGroup 1: columns → ColumnChunk 3: meta_data → ColumnMetaData 4: codec.
    const group = decodeStruct(footer).struct.list(4)?.[0];
    const chunk = group instanceof ThriftStruct ? group.list(1)?.[0] : undefined;
    const codec = chunk instanceof ThriftStruct ? chunk.struct(3)?.int(4) : undefined;
    return codec === undefined ? undefined : CODECS[codec];
  } catch (e) {
    if (e instanceof RangeError) return undefined; // a footer cut short
    throw e;
  }
}
