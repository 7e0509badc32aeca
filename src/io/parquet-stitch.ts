/**
 * Joins Parquet files encoded apart — the same schema, each holding whole row groups — into one file, as if one
 * encoder had written all their row groups in order. parquet-rs lays a file out as `PAR1`, the row groups'
 * column chunks, the column indexes and then the offset indexes of every row group, and the footer; so does
 * this: the row groups' bytes are copied as they are, every offset in their metadata and page indexes moved to
 * where they land, and one footer lists them all. The file is byte for byte the one a single encoder stream of
 * the same batches writes (parquet-stitch.test.ts). What lets the generator encode row groups on any thread.
 */
import { open, rm, type FileHandle } from "node:fs/promises";
import { IoError } from "./io-error.js";
import { decodeStruct, encodeStruct, T, ThriftStruct } from "./thrift-compact.js";

const MAGIC = Buffer.from("PAR1", "latin1");

// Field ids of Parquet's metadata (parquet.thrift) that hold file offsets or are rewritten here.
const FILE = { numRows: 3, rowGroups: 4 } as const;
const GROUP = { columns: 1, fileOffset: 5, ordinal: 7 } as const;
const CHUNK = { fileOffset: 2, metaData: 3, offsetIndexOffset: 4, offsetIndexLength: 5, columnIndexOffset: 6, columnIndexLength: 7 } as const;
const COLUMN = { dataPageOffset: 9, indexPageOffset: 10, dictionaryPageOffset: 11, bloomFilterOffset: 14 } as const;
const OFFSET_INDEX = { pageLocations: 1 } as const;
const PAGE_LOCATION = { offset: 1 } as const;

interface Chunk {
  readonly meta: ThriftStruct;
  readonly columnIndex: Uint8Array | undefined;
  readonly offsetIndex: ThriftStruct | undefined;
}

export class ParquetStitcher {
  /** Where the next row group's bytes go. */
  private pos = MAGIC.length;
  /** The first file's footer, less its row groups: the others must match it. */
  private head: ThriftStruct | undefined;
  private headBytes: Uint8Array | undefined;
  private readonly groups: { readonly group: ThriftStruct; readonly chunks: Chunk[] }[] = [];
  private rows = 0;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  /** Creates (or truncates) `path`. */
  static async open(path: string): Promise<ParquetStitcher> {
    let file: FileHandle;
    try {
      file = await open(path, "w");
    } catch (e) {
      throw new IoError("IO-W003", `cannot create the Parquet file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: path });
    }
    const s = new ParquetStitcher(path, file);
    await s.write(MAGIC, 0);
    return s;
  }

  /** Appends the row groups of `parquet` (a whole Parquet file, e.g. from `encodeParquet`). */
  async append(parquet: Uint8Array): Promise<void> {
    const bytes = Buffer.from(parquet.buffer, parquet.byteOffset, parquet.byteLength);
    const n = bytes.length;
    if (n < 12 || !bytes.subarray(0, 4).equals(MAGIC) || !bytes.subarray(n - 4).equals(MAGIC)) throw new Error("ParquetStitcher.append: not a Parquet file");
    const footerStart = n - 8 - bytes.readUInt32LE(n - 8);
    const meta = decodeStruct(bytes, footerStart).struct;
    const groups = (meta.list(FILE.rowGroups) ?? []) as ThriftStruct[];
    this.checkHead(meta);

    // The row groups' bytes run from the magic to the first page index (or the footer).
    let end = footerStart;
    for (const g of groups) {
      for (const c of g.list(GROUP.columns) as ThriftStruct[]) {
        for (const id of [CHUNK.columnIndexOffset, CHUNK.offsetIndexOffset]) end = Math.min(end, c.int(id) ?? end);
        if (c.struct(CHUNK.metaData)?.int(COLUMN.bloomFilterOffset) !== undefined) throw new Error("ParquetStitcher.append: bloom filters are not supported");
      }
    }
    const shift = this.pos - MAGIC.length;
    const move = (s: ThriftStruct, id: number): void => {
      const v = s.int(id);
      if (v !== undefined && v > 0) s.set(id, v + shift);
    };
    for (const g of groups) {
      move(g, GROUP.fileOffset);
      if (g.int(GROUP.ordinal) !== undefined) g.set(GROUP.ordinal, this.groups.length);
      const chunks: Chunk[] = [];
      for (const c of g.list(GROUP.columns) as ThriftStruct[]) {
        move(c, CHUNK.fileOffset);
        const m = c.struct(CHUNK.metaData);
        if (m !== undefined) for (const id of [COLUMN.dataPageOffset, COLUMN.indexPageOffset, COLUMN.dictionaryPageOffset]) move(m, id);
        const columnIndex = slice(bytes, c, CHUNK.columnIndexOffset, CHUNK.columnIndexLength);
        const oi = slice(bytes, c, CHUNK.offsetIndexOffset, CHUNK.offsetIndexLength);
        const offsetIndex = oi === undefined ? undefined : decodeStruct(oi).struct;
        for (const loc of (offsetIndex?.list(OFFSET_INDEX.pageLocations) ?? []) as ThriftStruct[]) move(loc, PAGE_LOCATION.offset);
        chunks.push({ meta: c, columnIndex, offsetIndex });
      }
      this.groups.push({ group: g, chunks });
    }
    this.rows += meta.int(FILE.numRows) ?? 0;
    await this.write(bytes.subarray(MAGIC.length, end), this.pos);
    this.pos += end - MAGIC.length;
  }

  /** Writes the page indexes and the footer; returns the file's size. At least one file must have been appended. */
  async close(): Promise<number> {
    if (this.head === undefined) throw new Error("ParquetStitcher.close: no file was appended");
    const tail: Uint8Array[] = [];
    const tailStart = this.pos;
    const place = (c: Chunk, bytes: Uint8Array, offsetId: number, lengthId: number): void => {
      c.meta.put(offsetId, T.I64, this.pos);
      c.meta.put(lengthId, T.I32, bytes.length);
      tail.push(bytes);
      this.pos += bytes.length;
    };
    for (const { chunks } of this.groups) for (const c of chunks) if (c.columnIndex !== undefined) place(c, c.columnIndex, CHUNK.columnIndexOffset, CHUNK.columnIndexLength);
    for (const { chunks } of this.groups) for (const c of chunks) if (c.offsetIndex !== undefined) place(c, encodeStruct(c.offsetIndex), CHUNK.offsetIndexOffset, CHUNK.offsetIndexLength);
    const meta = new ThriftStruct(this.head.fields.map((f) => ({ ...f })));
    meta.put(FILE.numRows, T.I64, this.rows);
    meta.put(FILE.rowGroups, T.LIST, { kind: "list", wire: T.LIST, itemType: T.STRUCT, items: this.groups.map((g) => g.group) });
    const footer = encodeStruct(meta);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(footer.length);
    tail.push(footer, length, MAGIC);
    const bytes = Buffer.concat(tail);
    await this.write(bytes, tailStart);
    await this.file.close();
    return tailStart + bytes.length;
  }

  /** Closes and deletes the file. */
  async abort(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }

  /** The first file's footer without its row count and row groups; a later file's must be the same. */
  private checkHead(meta: ThriftStruct): void {
    const head = new ThriftStruct(meta.fields.filter((f) => f.id !== FILE.numRows && f.id !== FILE.rowGroups).map((f) => ({ ...f })));
    const bytes = encodeStruct(head);
    if (this.headBytes === undefined) {
      this.head = new ThriftStruct(meta.fields.map((f) => ({ ...f })));
      this.headBytes = bytes;
    } else if (Buffer.compare(bytes, this.headBytes) !== 0) throw new Error("ParquetStitcher.append: the files' schemas differ");
  }

  private async write(bytes: Uint8Array, at: number): Promise<void> {
    try {
      for (let off = 0; off < bytes.length; ) off += (await this.file.write(bytes, off, bytes.length - off, at + off)).bytesWritten;
    } catch (e) {
      throw new IoError("IO-W003", `cannot write the Parquet file (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { file: this.path });
    }
  }
}

/** The bytes a chunk's page index field points at, or undefined. */
function slice(bytes: Buffer, chunk: ThriftStruct, offsetId: number, lengthId: number): Uint8Array | undefined {
  const offset = chunk.int(offsetId);
  const length = chunk.int(lengthId);
  if (offset === undefined || length === undefined) return undefined;
  if (offset + length > bytes.length) throw new RangeError("a page index lies beyond the file");
  return new Uint8Array(bytes.subarray(offset, offset + length)); // a copy: the file's buffer is not kept
}
