/**
 * The SQL merge's session on an @duckdb/node-api connection: the dialect's prelude run once, integer columns read
 * from the result's vectors and appended back in data chunks (no per-value objects on either side), large results
 * streamed (and no statement run while one is read: DuckDB would end it early).
 */
import { BIGINT, BOOLEAN, DuckDBDataChunk, INTEGER, JsonDuckDBValueConverter, VARCHAR, type DuckDBConnection, type DuckDBIntegerVector } from "@duckdb/node-api";
import { DUCKDB } from "../duckdb.js";
import type { AppendColumn, SqlSession } from "./session.js";

/** Rows per appended chunk: DuckDB's vector size. */
const CHUNK = 2048;

const APPEND_TYPES = { varchar: VARCHAR, bigint: BIGINT, boolean: BOOLEAN } as const;

export class DuckDbSession implements SqlSession {
  /** Streamed results being read: DuckDB ends one when the connection runs another statement, so none may run meanwhile. */
  private streams = 0;

  private constructor(readonly connection: DuckDBConnection) {}

  static async open(connection: DuckDBConnection): Promise<DuckDbSession> {
    for (const statement of DUCKDB.prelude()) await connection.run(statement);
    return new DuckDbSession(connection);
  }

  private idle(): void {
    if (this.streams > 0) throw new Error("a statement would run while a streamed result is read: DuckDB would end that result early");
  }

  /** The result of `sql` chunk by chunk, no other statement running until it is read to the end or left. */
  private async *stream(sql: string): AsyncIterable<DuckDBDataChunk> {
    this.idle();
    const result = await this.connection.stream(sql);
    this.streams++;
    try {
      for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) yield chunk;
    } finally {
      this.streams--;
    }
  }

  async run(sql: string): Promise<void> {
    this.idle();
    await this.connection.run(sql);
  }

  async rows(sql: string): Promise<Array<Record<string, unknown>>> {
    this.idle();
    return (await this.connection.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
  }

  async *intChunks(sql: string): AsyncIterable<Int32Array[]> {
    for await (const chunk of this.stream(sql)) {
      const out: Int32Array[] = [];
      for (let c = 0; c < chunk.columnCount; c++) {
        const vector = chunk.getColumnVector(c) as DuckDBIntegerVector;
        const column = new Int32Array(chunk.rowCount);
        for (let i = 0; i < column.length; i++) column[i] = vector.getItem(i) ?? -1;
        out.push(column);
      }
      yield out;
    }
  }

  async *strings(sql: string): AsyncIterable<string[]> {
    for await (const chunk of this.stream(sql)) {
      const vector = chunk.getColumnVector(0);
      const out = new Array<string>(chunk.rowCount);
      for (let i = 0; i < chunk.rowCount; i++) out[i] = String(vector.getItem(i));
      yield out;
    }
  }

  async *rowChunks(sql: string, size: number): AsyncIterable<unknown[][]> {
    // DuckDB hands out its own chunks (2,048 rows); they are cut and joined to `size`.
    let buffer: unknown[][] = [];
    for await (const chunk of this.stream(sql)) {
      const rows = chunk.convertRows(JsonDuckDBValueConverter);
      let at = 0;
      while (buffer.length + rows.length - at >= size) {
        const take = size - buffer.length;
        yield buffer.concat(rows.slice(at, at + take));
        buffer = [];
        at += take;
      }
      buffer = buffer.concat(rows.slice(at));
    }
    if (buffer.length > 0) yield buffer;
  }

  async appendInts(table: string, columns: readonly Int32Array[]): Promise<void> {
    this.idle();
    const appender = await this.connection.createAppender(table);
    const rows = columns[0]?.length ?? 0;
    const chunk = DuckDBDataChunk.create(columns.map(() => INTEGER), CHUNK);
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      chunk.reset();
      chunk.rowCount = n;
      columns.forEach((column, c) => {
        const vector = chunk.getColumnVector(c) as DuckDBIntegerVector;
        for (let i = 0; i < n; i++) vector.setItem(i, column[start + i]!);
        vector.flush();
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
  }

  async appendColumns(table: string, columns: readonly AppendColumn[]): Promise<void> {
    this.idle();
    const appender = await this.connection.createAppender(table);
    const rows = columns[0]?.values.length ?? 0;
    for (let start = 0; start < rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows - start);
      const chunk = DuckDBDataChunk.create(columns.map((c) => APPEND_TYPES[c.type]), n);
      columns.forEach((column, c) => {
        const values = column.values.slice(start, start + n);
        chunk.setColumnValues(c, column.type === "bigint" ? values.map((v) => (v === null ? null : BigInt(v as number))) : values);
      });
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
  }
}
