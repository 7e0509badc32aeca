/**
 * The memory budget of a job (`--memory`): DuckDB's memory limit, and for the reference engine, which holds the
 * whole sandbox in memory in the job's thread, the bound it refuses data past before reading any (ENG-M002).
 */
import { statSync } from "node:fs";
import { parquetCodec } from "../io/parquet-codec.js";
import { duckDbMemoryBytes } from "../sql/jobs/engine-session.js";
import { ProfileLabError } from "../xdm/errors.js";
import { dataFiles } from "./data-files.js";
import type { Sandbox } from "./sandbox.js";

/** Default memory budget for a job's data: 2 GiB. */
export const DEFAULT_MEMORY_BYTES = 2 * 2 ** 30;

/** JS heap per byte of JSON Lines input, measured on generated sandboxes (objects, strings, fragment headers). */
const HEAP_PER_INPUT_BYTE = 4;

/** Parses `--memory` values: `512m`, `4g`, `1.5g`, or plain bytes. */
export function parseMemorySize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (m === null) return undefined;
  const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const bytes = Math.floor(Number(m[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}

/**
 * JSON Lines bytes a Parquet byte holds, by its codec: zstd about a tenth (DEPS.md: 73.5 vs 810 MiB); snappy
 * parts of the same rows are ~1.8× larger (generated sandboxes: 1,049.0 vs 570.6 MiB at 1M persons).
 */
const JSONL_BYTES_PER_PARQUET_BYTE = 11;
const JSONL_BYTES_PER_SNAPPY_BYTE = 6;

/** The input's size in JSON Lines bytes. */
export function inputBytes(sandbox: Sandbox): number {
  let total = 0;
  for (const f of dataFiles(sandbox)) {
    const size = statSync(f.path, { throwIfNoEntry: false })?.size ?? 0;
    if (!f.rel.endsWith(".parquet") || size === 0) total += size;
    else total += size * (parquetCodec(f.path) === "snappy" ? JSONL_BYTES_PER_SNAPPY_BYTE : JSONL_BYTES_PER_PARQUET_BYTE);
  }
  return total;
}

/** Input (in JSON Lines bytes) from which jobs use every core unless told how many workers to use. */
const PARALLEL_FROM_BYTES = 256 * 2 ** 20;

/** Whether the sandbox's data is large enough for worker threads to pay for their start (each loads the engine). */
export function worthWorkers(sandbox: Sandbox): boolean {
  return inputBytes(sandbox) >= PARALLEL_FROM_BYTES;
}

/** A worker's share of the memory budget, in bytes (its heap is capped at it). */
export function workerHeapBytes(options: { readonly memoryBytes?: number; readonly workers?: number } = {}): number {
  return (options.memoryBytes ?? DEFAULT_MEMORY_BYTES) / (options.workers ?? 1);
}

/**
 * Input (in JSON Lines bytes) per byte of DuckDB's memory limit past which a job keeps its tables on disk: DuckDB holds
 * about a JSON Lines byte per input byte (1M persons, 6,278 MiB as JSON Lines: 6,153 MiB spilled at the peak in
 * 300 MiB),
 * so from here most of them would live in the spill anyway. 1M persons in 4 GiB (2.5×) stay in memory.
 */
const ON_DISK_FROM_INPUT_PER_MEMORY_BYTE = 4;

/** Whether a DuckDB job over this sandbox within `memoryBytes` keeps its tables in a database file (EngineOptions.onDisk). */
export function tablesOnDisk(sandbox: Sandbox, memoryBytes: number | undefined): boolean {
  return memoryBytes !== undefined && inputBytes(sandbox) > ON_DISK_FROM_INPUT_PER_MEMORY_BYTE * duckDbMemoryBytes(memoryBytes);
}

const mib = (bytes: number): string => `${Math.ceil(bytes / 2 ** 20).toLocaleString("en-US")} MiB`;

/**
 * Refuses, before anything is read, data the reference engine cannot hold in `memoryBytes`: it has no way to
 * work on part of it (DuckDB, the default engine, spills to disk instead).
 */
export function checkFitsInMemory(sandbox: Sandbox, memoryBytes = DEFAULT_MEMORY_BYTES): void {
  const input = inputBytes(sandbox);
  if (input * HEAP_PER_INPUT_BYTE <= memoryBytes) return;
  throw new ProfileLabError(
    "ENG-M002",
    `the reference engine holds the data in memory: ${mib(input)} of input (as JSON Lines) needs about ${mib(input * HEAP_PER_INPUT_BYTE)}, more than --memory ${mib(memoryBytes)} allows; raise --memory, or run the job on DuckDB (--engine duckdb) unless one of its segments needs the reference engine (check lists them)`,
  );
}
