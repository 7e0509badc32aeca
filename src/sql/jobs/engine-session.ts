/**
 * A job's DuckDB: an in-memory database, or for data several times its memory a database file (`onDisk`), with the
 * job's thread count and memory limit, spilling into its own folder under the sandbox's `.profile-lab/tmp` (DuckDB's
 * default would be `./.tmp` in the current folder), removed when the job ends however it ends. Statements run under
 * the job's checkpoint: a cancel interrupts the one running, and an engine error becomes a coded error that names the
 * stage (and `--memory` when memory ran out).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { checkedWhile, JobCancelledError } from "../../engine/job-progress.js";
import { ProfileLabError } from "../../xdm/errors.js";
import { DUCKDB } from "../duckdb.js";
import { OUT_OF_MEMORY, outOfMemory } from "../errors.js";
import { DuckDbSession } from "../merge/duckdb-session.js";
import type { AppendColumn, SqlSession } from "../merge/session.js";

/** The job's database file, in its temp folder, when its tables are kept on disk (EngineOptions.onDisk). */
export const JOB_DATABASE = "job.duckdb";

export class SqlEngineError extends ProfileLabError {
  override readonly name = "SqlEngineError";
}

/** One statement a job ran, for `--explain-sql`: what the job was doing, the SQL, its wall time. */
export interface SqlStatement {
  readonly stage: string;
  /** The SQL; for work done in JavaScript between statements (`note`), what was done. */
  readonly sql: string;
  readonly ms: number;
  readonly note?: boolean;
  /** The engine's error, first line, when the statement failed (the job's last). */
  readonly failed?: string;
}

export interface EngineOptions {
  /** Threads DuckDB runs a statement on (default 1 per core it sees). */
  readonly threads?: number;
  /** The job's memory budget, bytes: DuckDB's memory_limit is its share (duckDbMemoryBytes); past it DuckDB spills to the temp folder. */
  readonly memoryBytes?: number;
  /** The folder DuckDB spills into: made here, removed on close. */
  readonly tempDir: string;
  /**
   * The job's tables in a database file in `tempDir` (JOB_DATABASE) rather than in memory: a file's tables are
   * compressed column by column as they are written, an in-memory database's spilled as they are (1M persons in
   * 400 MiB: 3,182 MiB on disk at the peak against 6,153; 10M persons in 4 GiB: 33,728 MiB with DuckDB at three
   * quarters, 44,010 at three fifths, 36,058 once events were counted rather than listed and 37,359 at half, where they ran out of
   * 54 GB). Writing them costs more than keeping them where they fit (1M persons in 4 GiB: the merge +32 %), so only
   * for data several times the memory limit (tablesOnDisk).
   */
  readonly onDisk?: boolean;
  /** Called with every statement run, in order (the dialect's prelude first). */
  readonly onStatement?: (statement: SqlStatement) => void;
}

/** An engine error's message (DuckDB puts its pointer into the SQL on the lines after the first). */
export const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
export const firstLine = (e: unknown): string => messageOf(e).split("\n")[0]!.trim();
/** How a statement's trace says it failed: the engine's first line, or that the job was cancelled while it ran. */
const failedAs = (e: unknown): string => (e instanceof JobCancelledError ? "cancelled" : firstLine(e));

/**
 * The share of a memory budget (`--memory`) that DuckDB's memory_limit gets: half. The limit bounds DuckDB's buffers
 * only; the process also holds Node's heap, the arrays of the identity union-find and key hashes (~0.6 GB at 10M
 * persons, estimated from 3.7M keys at 1M), and DuckDB's memory outside its buffers (not measured apart: the 10M
 * segment job's process held ~2.1 GiB beyond a 2.4 GiB limit): with the whole budget as its limit a 1M-person
 * segment job peaked at 4.9 GiB RSS under `--memory 4g`; the 10M-person one at 5.14 GiB with three quarters, at
 * 4.95 GiB and then, once events were counted rather than listed, 4.18 GiB with three fifths — and at 4.56 GiB at
 * 9f06364 (writing the memberships at its end); with half at 4.33–4.37 GiB, its export at 3.33–3.52 GiB
 * (bench/RESULTS.md).
 */
export function duckDbMemoryBytes(memoryBytes: number): number {
  return Math.floor(memoryBytes / 2);
}

/** The instance settings for a thread count, a memory budget in bytes and the folder DuckDB spills into. */
export function duckDbConfig(options: { readonly threads?: number; readonly memoryBytes?: number; readonly tempDir: string }): Record<string, string> {
  const config: Record<string, string> = { temp_directory: options.tempDir };
  if (options.threads !== undefined) config["threads"] = String(options.threads);
  if (options.memoryBytes !== undefined) config["memory_limit"] = `${Math.max(1, Math.floor(duckDbMemoryBytes(options.memoryBytes) / 2 ** 20))}MiB`;
  return config;
}

export class EngineSession implements SqlSession {
  /** What the job is doing, for an engine error's message (`merging profiles of merge policy …`). */
  stage = "starting";

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    private readonly session: DuckDbSession,
    private readonly tempDir: string,
    private readonly memoryBytes: number | undefined,
    /** DuckDB's thread count. */
    private readonly threads: number,
    /** Called while a statement runs (every 250 ms): throws or rejects to cancel the job. */
    private readonly check: () => void | Promise<void>,
    private readonly onStatement: ((statement: SqlStatement) => void) | undefined,
  ) {}

  static async open(options: EngineOptions, check: () => void | Promise<void>): Promise<EngineSession> {
    mkdirSync(options.tempDir, { recursive: true });
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(options.onDisk === true ? join(options.tempDir, JOB_DATABASE) : ":memory:", duckDbConfig(options));
      const connection = await instance.connect();
      const opened = instance;
      const session = await DuckDbSession.open(connection, () => opened.connect());
      const scratch = options.onDisk === true ? scratchFileSettings(options.memoryBytes) : [];
      for (const sql of scratch) await connection.run(sql);
      for (const sql of [...DUCKDB.prelude(), ...scratch]) options.onStatement?.({ stage: "starting", sql, ms: 0 });
      const [threads] = await session.rows("SELECT current_setting('threads') AS n");
      return new EngineSession(instance, connection, session, options.tempDir, options.memoryBytes, Number(threads!["n"]), check, options.onStatement);
    } catch (e) {
      instance?.closeSync();
      rmSync(options.tempDir, { recursive: true, force: true });
      throw new SqlEngineError("SQL-E001", `DuckDB did not start: ${firstLine(e)}`);
    }
  }

  /** The engine's error as ours: what the job was doing, DuckDB's first line, and what to do when memory ran out. */
  private failure(e: unknown): ProfileLabError {
    if (e instanceof ProfileLabError) return e;
    const message = firstLine(e);
    if (OUT_OF_MEMORY.test(message)) {
      const limit = this.memoryBytes === undefined ? "" : ` (${Math.round(this.memoryBytes / 2 ** 20)} MiB)`;
      return new SqlEngineError("SQL-E003", `DuckDB ran out of memory while ${this.stage}${limit}: ${message}; give the job more with --memory`);
    }
    return new SqlEngineError("SQL-E002", `DuckDB failed while ${this.stage}: ${message}`);
  }

  /** Runs `work` while checking for a cancel; a cancel interrupts the statement running. `sql` is what it runs, for the trace. */
  private async guarded<T>(sql: string | undefined, work: () => Promise<T>, note = false): Promise<T> {
    const start = performance.now();
    const task = work();
    try {
      const out = await checkedWhile(task, this.check);
      if (sql !== undefined) this.onStatement?.({ stage: this.stage, sql, ms: performance.now() - start, ...(note ? { note } : {}) });
      return out;
    } catch (e) {
      // The statement still runs after a cancel: stop it (and any beside it), and wait for it so the connection can be closed.
      this.session.interrupt();
      await task.catch(() => undefined);
      if (sql !== undefined) this.onStatement?.({ stage: this.stage, sql, ms: performance.now() - start, failed: failedAs(e), ...(note ? { note } : {}) });
      throw this.failure(e);
    }
  }

  /**
   * Statement `sql` (`work`), run again on one thread when it ran out of memory on several: DuckDB's working memory
   * grows with its threads (the merge's first run input at 1M persons in 300 MiB fails on 2 threads and fits on 1,
   * bench/RESULTS.md), and no output depends on the thread count. A failed statement is rolled back whole.
   */
  private async retried<T>(sql: string, work: () => Promise<T>): Promise<T> {
    try {
      return await this.guarded(sql, work);
    } catch (e) {
      if (this.threads <= 1 || !outOfMemory(e)) throw e;
      this.note(`out of memory on ${this.threads} threads: the statement runs again on one`);
      await this.session.run("SET threads = 1");
      try {
        return await this.guarded(sql, work);
      } finally {
        await this.session.run(`SET threads = ${this.threads}`);
      }
    }
  }

  run(sql: string): Promise<void> {
    return this.retried(sql, () => this.session.run(sql));
  }

  rows(sql: string): Promise<Array<Record<string, unknown>>> {
    return this.retried(sql, () => this.session.rows(sql));
  }

  /**
   * Each statement traced as it ends. When memory runs out with several side by side, those not done run one after
   * another (`run`), as a statement that ran out of memory on several threads runs again on one (`retried`).
   */
  async runEach(statements: readonly string[], done?: (index: number, ms: number, error?: unknown) => void): Promise<void> {
    const ended = new Set<number>();
    const end = (index: number, ms: number): void => {
      ended.add(index);
      done?.(index, ms);
    };
    try {
      await this.guarded(undefined, () =>
        this.session.runEach(statements, (index, ms, error) => {
          this.onStatement?.({ stage: this.stage, sql: statements[index]!, ms, ...(error === undefined ? {} : { failed: failedAs(error) }) });
          if (error === undefined) end(index, ms);
          else done?.(index, ms, error);
        }),
      );
    } catch (e) {
      if (this.threads <= 1 || statements.length < 2 || !outOfMemory(e)) throw e;
      this.note(`out of memory with ${Math.min(this.threads, statements.length)} statements side by side: ${statements.length - ended.size} of ${statements.length} not done, run one after another`);
      for (const [index, sql] of statements.entries()) {
        if (ended.has(index)) continue;
        const start = performance.now();
        try {
          await this.run(sql);
        } catch (error) {
          done?.(index, performance.now() - start, error);
          throw error;
        }
        end(index, performance.now() - start);
      }
    }
  }

  intChunks(sql: string): AsyncIterable<Int32Array[]> {
    this.onStatement?.({ stage: this.stage, sql: `read into JavaScript (identity components: a union-find over these ids):\n${sql}`, ms: 0, note: true });
    return this.streamed(sql, this.session.intChunks(sql), false);
  }

  appendInts(table: string, columns: readonly Int32Array[]): Promise<void> {
    const rows = columns[0]?.length ?? 0;
    return this.guarded(`appended from JavaScript: ${rows.toLocaleString("en-US")} rows into ${table}`, () => this.session.appendInts(table, columns), true);
  }

  appendColumns(table: string, columns: readonly AppendColumn[]): Promise<void> {
    const rows = columns[0]?.values.length ?? 0;
    return this.guarded(`appended from JavaScript: ${rows.toLocaleString("en-US")} rows into ${table}`, () => this.session.appendColumns(table, columns), true);
  }

  /** The first column of a query as strings, chunk by chunk; a cancel is seen between chunks. */
  strings(sql: string): AsyncIterable<string[]> {
    return this.streamed(sql, this.session.strings(sql));
  }

  /** A large result as rows of values by position, `size` rows at a time; a cancel is seen between chunks. */
  rowChunks(sql: string, size: number): AsyncIterable<unknown[][]> {
    return this.streamed(sql, this.session.rowChunks(sql, size));
  }

  /**
   * A streamed result of `sql` under the job's checkpoint between chunks, its failure coded and traced, its time
   * traced at the end (unless the caller traced it before).
   */
  private async *streamed<T>(sql: string, chunks: AsyncIterable<T>, traceAtEnd = true): AsyncIterable<T> {
    const start = performance.now();
    try {
      for await (const chunk of chunks) {
        await this.check();
        yield chunk;
      }
    } catch (e) {
      this.onStatement?.({ stage: this.stage, sql, ms: performance.now() - start, failed: failedAs(e) });
      throw this.failure(e);
    }
    if (traceAtEnd) this.onStatement?.({ stage: this.stage, sql, ms: performance.now() - start });
  }

  note(what: string): void {
    this.onStatement?.({ stage: this.stage, sql: what, ms: 0, note: true });
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/**
 * How a job's database file is written (EngineOptions.onDisk): a scratch file, removed when the job ends and never
 * opened again, so it is checkpointed only when its write-ahead log passes five times DuckDB's memory limit (1 GiB
 * without a budget) and not at all on close (what a job keeps in files of its own is checkpointed when it is complete: kept-tables.ts). With
 * DuckDB's default of 16 MiB each of the merge's runs set one off as it dropped its tables: 1M persons in `--memory
 * 400m`, the segment job 244–255 s, 68.3 s of it in 65 checkpoints; 167 s with the log at 1 GB, the disk's peak the
 * same (3,113 against 3,138 MiB); 207 s at 256 MB; never checkpointed, 3,870 MiB at the peak (bench/RESULTS.md).
 */
function scratchFileSettings(memoryBytes: number | undefined): string[] {
  const walBytes = memoryBytes === undefined ? 2 ** 30 : 5 * duckDbMemoryBytes(memoryBytes);
  return [`SET checkpoint_threshold = '${Math.max(1, Math.floor(walBytes / 2 ** 20))}MiB'`, "PRAGMA disable_checkpoint_on_shutdown"];
}

/** The spill folder of one job under the sandbox's temp folder; named by process, so job recovery removes a dead one's. */
export function jobTempDir(tmpRoot: string, kind: string, id: string | number): string {
  return join(tmpRoot, `duckdb-${process.pid}-${kind}-${id}`);
}
