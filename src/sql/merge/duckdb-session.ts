/**
 * The SQL merge's session on an @duckdb/node-api connection: the dialect's prelude run once, integer columns read
 * from the result's vectors and appended back in data chunks (no per-value objects on either side), large results
 * streamed (and no statement run while one is read: DuckDB would end it early). Statements run side by side
 * (`runEach`) on connections of their own, when the session may open some.
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

  /** The connections running statements (`runEach` adds its own while it runs): what `interrupt` stops. */
  private running: readonly DuckDBConnection[];

  private constructor(
    readonly connection: DuckDBConnection,
    private readonly connect: (() => Promise<DuckDBConnection>) | undefined,
  ) {
    this.running = [connection];
  }

  /** A session on `connection`; with `connect` (another connection to the same database), `runEach` runs statements side by side. */
  static async open(connection: DuckDBConnection, connect?: () => Promise<DuckDBConnection>): Promise<DuckDbSession> {
    await DuckDbSession.prepare(connection);
    return new DuckDbSession(connection, connect);
  }

  private static async prepare(connection: DuckDBConnection): Promise<void> {
    for (const statement of DUCKDB.prelude()) await connection.run(statement);
  }

  /** Stops the statements running (each then rejects). */
  interrupt(): void {
    for (const connection of this.running) connection.interrupt();
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

  async runEach(statements: readonly string[], done?: (index: number, ms: number, error?: unknown) => void): Promise<void> {
    this.idle();
    const threads = this.connect === undefined ? 1 : Number((await this.rows("SELECT current_setting('threads') AS n"))[0]!["n"]);
    const width = Math.min(threads, statements.length);
    // Side by side, each on one thread; one at a time (no other connection, one thread, one statement), on them all.
    const sideBySide = width > 1;
    if (sideBySide) await this.connection.run("SET threads = 1");
    const others: DuckDBConnection[] = [];
    try {
      for (let k = 1; k < width; k++) {
        const connection = await this.connect!();
        others.push(connection);
        await DuckDbSession.prepare(connection);
      }
      this.running = [this.connection, ...others];
      let next = 0;
      let failure: { readonly error: unknown } | undefined;
      await Promise.all(
        this.running.map(async (connection) => {
          while (failure === undefined && next < statements.length) {
            const index = next++;
            const start = performance.now();
            try {
              await connection.run(statements[index]!);
            } catch (error) {
              // The first failure stops the others (an interrupted statement's own error is not the one to report).
              if (failure === undefined) {
                failure = { error };
                for (const other of this.running) if (other !== connection) other.interrupt();
                done?.(index, performance.now() - start, error);
              }
              return;
            }
            done?.(index, performance.now() - start);
          }
        }),
      );
      if (failure !== undefined) throw failure.error;
    } finally {
      this.running = [this.connection];
      for (const connection of others) connection.closeSync();
      if (sideBySide) await this.connection.run(`SET threads = ${threads}`);
    }
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
