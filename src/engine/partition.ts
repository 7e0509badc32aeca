/**
 * The sandbox's data and prior memberships, shard by shard, within a memory budget. When the data fits and
 * one thread does the work, it is loaded once as a single shard. Otherwise, on worker threads, pass 1 streams
 * every dataset to build the identity graph of all datasets and re-cuts the previous membership snapshot by
 * component, and pass 2 (a file per task) copies each row to the shard of its component (under
 * `.profile-lab/tmp/`); each shard is then loaded alone by a worker. Every fragment of a profile, under any
 * merge policy, lies in one component, so a shard holds whole profiles with their previous memberships;
 * shards are ranges of the component hash, so the output order is the same however many there are.
 * A spill is kept for the next job over the same data (see spill-cache.ts).
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { IdentityGraph } from "../identity/identity-graph.js";
import type { IdentityKey } from "../identity/identity-key.js";
import { readLines } from "../io/jsonl.js";
import { frameLines, LineFrameWriter } from "../io/line-frames.js";
import { parseJson } from "../io/json-file.js";
import type { EventFragment, RecordFragment } from "../merge/fragment.js";
import { membershipLine, type MembershipSnapshot } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { StoreError } from "../store/store-error.js";
import { PROGRESS_EVERY, type Checkpoint, type ShardProgress } from "./job-progress.js";
import { dataFiles, fileRows, fileTexts, identitiesOf, loadSandboxData, toFragment, type SandboxData } from "./load-data.js";
import { hashKey, shardOf } from "./profile-groups.js";
import type { Sandbox } from "./sandbox.js";

/** Default memory budget for a job's data: 2 GiB. */
export const DEFAULT_MEMORY_BYTES = 2 * 2 ** 30;

/** JS heap per byte of JSON Lines input, measured on generated sandboxes (objects, strings, fragment headers). */
const HEAP_PER_INPUT_BYTE = 4;

export interface PartitionOptions {
  /** Memory budget for the data in memory at once (every worker's shard), in bytes. */
  readonly memoryBytes?: number;
  /** Threads that will hold a shard each at the same time. */
  readonly workers?: number;
}

/** Parses `--memory` values: `512m`, `4g`, `1.5g`, or plain bytes. */
export function parseMemorySize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(text.trim());
  if (m === null) return undefined;
  const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const bytes = Math.floor(Number(m[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}

/** Parquet (ZSTD) holds the same rows in about a tenth of the JSON Lines bytes (DEPS.md: 73.5 vs 810 MiB). */
const JSONL_BYTES_PER_PARQUET_BYTE = 11;

/** The input's size in JSON Lines bytes. */
export function inputBytes(sandbox: Sandbox): number {
  let total = 0;
  for (const f of dataFiles(sandbox)) {
    const size = statSync(f.path, { throwIfNoEntry: false })?.size ?? 0;
    total += f.rel.endsWith(".parquet") ? size * JSONL_BYTES_PER_PARQUET_BYTE : size;
  }
  return total;
}

/**
 * Each worker's heap is capped at its share of the budget; a shard's live data is kept to this part of it.
 * A quarter rather than a half: as fast (the collector has more room), and a quarter less peak memory.
 */
const SHARD_SHARE_OF_HEAP = 0.25;

/** A worker's share of the memory budget, in bytes (its heap is capped at it). */
export function workerHeapBytes(options: PartitionOptions = {}): number {
  return (options.memoryBytes ?? DEFAULT_MEMORY_BYTES) / (options.workers ?? 1);
}

/**
 * How many shards the data needs: one when the whole of it fits the budget (and one thread works), else
 * enough that a shard's live data fills at most a quarter of a thread's share of the budget (the rest is room
 * for the garbage collector), and with several workers at least two shards each so that a slow shard leaves
 * none idle. The shares count one thread more than the workers, as an export's Parquet encoder takes one:
 * a segment job and an export then cut the same shards, and the export reuses the segment job's spill.
 */
export function shardCountFor(sandbox: Sandbox, options: PartitionOptions = {}): number {
  const workers = options.workers ?? 1;
  const heap = inputBytes(sandbox) * HEAP_PER_INPUT_BYTE;
  if (workers === 1 && heap <= (options.memoryBytes ?? DEFAULT_MEMORY_BYTES)) return 1;
  return Math.max(Math.ceil(heap / (workerHeapBytes({ ...options, workers: workers + 1 }) * SHARD_SHARE_OF_HEAP)), 2 * workers);
}

/** A shard: whole profiles' fragments and the previous memberships of their identities. */
export interface Shard {
  readonly index: number;
  readonly data: SandboxData;
  readonly prior: MembershipSnapshot;
  /** The component in the identity graph of all datasets of a key of `prior` (the store's sort key). */
  readonly componentOf: (key: IdentityKey) => IdentityKey;
}

/** The files one spilled shard lives in. */
export interface ShardFiles {
  readonly index: number;
  /** Data lines, one file per input file (in load order): `[file index, line, seq, component]` TAB the row's JSON. */
  readonly data: readonly string[];
  /** The shard's components: the number that names one in the data lines TAB its canonical key as JSON. */
  readonly components: string;
  /** Previous memberships: the component as JSON TAB the stored line. */
  readonly membership: string;
  /** Where a segment job writes the shard's next memberships in the same format, when its spill is kept. */
  readonly nextMembership?: string;
}

export interface SpilledShards {
  /** The folder holding every shard's files. */
  readonly dir: string;
  readonly shards: readonly ShardFiles[];
  /** Removes the shard files (nothing for a spill kept for later jobs). */
  remove(): void;
}

/** Pass 2 for one input file: where its rows go. */
export interface SpillFileTask {
  readonly fileIndex: number;
  /** Load-order index (seq) of the file's first row. */
  readonly firstSeq: number;
  /** The shard of each of the file's rows. */
  readonly shardOfRow: Uint16Array;
  /** The component of each of the file's rows (a number named in the shard's components file). */
  readonly componentOfRow: Int32Array;
  /** Output file of each shard for this input file. */
  readonly outputs: readonly string[];
}

/**
 * Writes one input file's rows to the shards' files for it, unparsed where the input is JSON Lines; adds the
 * rows it copies to `rowsCopied[0]` as it goes, for progress.
 */
export async function spillFile(sandbox: Sandbox, task: SpillFileTask, rowsCopied?: Int32Array): Promise<void> {
  const out = new LineFrameWriter(task.outputs, SHARD_FRAME_CHARS);
  let i = 0;
  for await (const { line, text } of fileTexts(dataFiles(sandbox)[task.fileIndex]!)) {
    out.write(task.shardOfRow[i]!, `[${task.fileIndex},${line},${task.firstSeq + i},${task.componentOfRow[i]!}]\t${text}\n`);
    if (++i % 10_000 === 0 && rowsCopied !== undefined) Atomics.add(rowsCopied, 0, 10_000);
  }
  if (rowsCopied !== undefined) Atomics.add(rowsCopied, 0, i % 10_000);
  out.close();
}

/** Small frames (deflate's window): a spill task buffers a frame for every shard at once. */
const SHARD_FRAME_CHARS = 1 << 15;

/** Pass 1's result: the shard and the component of every row (in load order), and the rows of each input file. */
export interface ShardAssignment {
  readonly shardOfRow: Uint16Array;
  readonly componentOfRow: Int32Array;
  readonly fileRows: readonly number[];
}

/**
 * Where a spill writes: shard `k`'s files are `<dir>/shard-<k>.<input file>.data`, `.components`, and
 * `.membership.<generation>` (the membership snapshot they re-cut: its generation's name, or `none`).
 */
export function shardFile(dir: string, shard: number, suffix: string): string {
  return join(dir, `shard-${String(shard).padStart(5, "0")}.${suffix}`);
}

export function membershipSuffix(generation: string | undefined): string {
  return `membership.${generation ?? "none"}`;
}

/** The files of `count` shards spilled into `dir` from `inputFiles` files, with the memberships of `generation`. */
export function shardFilesIn(dir: string, count: number, inputFiles: number, generation: string | undefined): ShardFiles[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    data: Array.from({ length: inputFiles }, (_, f) => shardFile(dir, index, `${String(f).padStart(5, "0")}.data`)),
    components: shardFile(dir, index, "components"),
    membership: shardFile(dir, index, membershipSuffix(generation)),
  }));
}

/**
 * Pass 1: streams every dataset's identities (Parquet decodes only `identityMap`) into the identity graph of
 * all datasets, gives every row its component and that component's shard, writes each shard's component
 * names (so workers need not rebuild the graph), and re-cuts the membership snapshot of `generation` into the
 * shards' membership files. `rowsRead[0]` counts rows as they go, for progress. Runs on a worker, so
 * that the graph's memory goes with the worker's thread before the shards are loaded.
 */
export async function assignShards(sandbox: Sandbox, count: number, dir: string, generation: string | undefined, rowsRead: Int32Array): Promise<ShardAssignment> {
  const graph = new IdentityGraph();
  // Shared memory: overwritten by each row's component, it goes to the job's thread as is (at 10M persons,
  // half a gigabyte not copied).
  let primaries = new Int32Array(new SharedArrayBuffer(4 << 16));
  let rows = 0;
  const fileRowCounts: number[] = [];
  for (const file of dataFiles(sandbox)) {
    const first = rows;
    for await (const { line, value } of fileRows(file, ["identityMap"])) {
      const { identities, primary } = identitiesOf(file.dataset, value, file.rel, line);
      graph.observe(file.dataset.kind === "event" ? "event" : "record", identities, primary);
      if (rows === primaries.length) {
        const grown = new Int32Array(new SharedArrayBuffer(4 * rows * 2));
        grown.set(primaries);
        primaries = grown;
      }
      primaries[rows++] = graph.intern(primary);
      if (rows % 10_000 === 0) Atomics.store(rowsRead, 0, rows);
    }
    fileRowCounts.push(rows - first);
  }
  Atomics.store(rowsRead, 0, rows);
  // A component is named by the index of its canonical identity; its shard is computed once, not per row.
  const canonical = graph.canonicalIndexes();
  const shardOfComponent = new Int32Array(graph.size).fill(-1);
  const components = new LineFrameWriter(
    Array.from({ length: count }, (_, k) => shardFile(dir, k, "components")),
    SHARD_FRAME_CHARS,
  );
  for (let id = 0; id < graph.size; id++) {
    if (canonical[id] !== id) continue;
    const key = graph.keyAt(id);
    shardOfComponent[id] = shardOf(hashKey(key), count);
    components.write(shardOfComponent[id]!, `${id}\t${JSON.stringify(key)}\n`);
  }
  components.close();
  const shardOfRow = new Uint16Array(new SharedArrayBuffer(2 * Math.max(1, rows)));
  const componentOfRow = primaries.subarray(0, rows);
  for (let r = 0; r < rows; r++) {
    const component = canonical[componentOfRow[r]!]!;
    componentOfRow[r] = component;
    shardOfRow[r] = shardOfComponent[component]!;
  }

  const componentOfKey = graph.canonicalizer(canonical);
  const state = new SandboxState(sandbox.dir);
  const membership = new LineFrameWriter(
    Array.from({ length: count }, (_, k) => shardFile(dir, k, membershipSuffix(generation))),
    SHARD_FRAME_CHARS,
  );
  for (const part of state.membership.parts(generation)) {
    for await (const { line, text } of readLines(part)) {
      const key = (parseJson(text, part, line - 1) as { key?: unknown }).key;
      if (typeof key !== "string") throw new StoreError("STO-002", "corrupt membership snapshot: a line without \"key\"", { file: part, line });
      const component = componentOfKey(key) ?? key;
      membership.write(shardOf(hashKey(component), count), `${JSON.stringify(component)}\t${text}\n`);
    }
  }
  membership.close();
  return { shardOfRow, componentOfRow, fileRows: fileRowCounts };
}

/** How a spill's two passes run (on a worker pool). */
export interface SpillRunner {
  /** Runs pass 1 (`assignShards`) into `dir`. */
  assign(dir: string): Promise<ShardAssignment>;
  /** Runs pass 2 over the input files. */
  copy(tasks: readonly SpillFileTask[], fileRows: readonly number[]): Promise<void>;
}

/**
 * Cuts the sandbox's data and the memberships of `generation` into `count` shards on disk, under
 * `.profile-lab/tmp/shards-<pid>-<time>` (removed by `remove()`, or by recovery if the job is killed).
 */
export async function spillShards(sandbox: Sandbox, count: number, generation: string | undefined, run: SpillRunner): Promise<SpilledShards> {
  const dir = join(new SandboxState(sandbox.dir).tmpDir, `shards-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    const { shardOfRow, componentOfRow, fileRows: rowsOfFile } = await run.assign(dir);
    const tasks: SpillFileTask[] = [];
    let firstSeq = 0;
    const shards = shardFilesIn(dir, count, rowsOfFile.length, generation);
    rowsOfFile.forEach((n, fileIndex) => {
      const outputs = shards.map((s) => s.data[fileIndex]!);
      tasks.push({ fileIndex, firstSeq, shardOfRow: shardOfRow.subarray(firstSeq, firstSeq + n), componentOfRow: componentOfRow.subarray(firstSeq, firstSeq + n), outputs });
      firstSeq += n;
    });
    await run.copy(tasks, rowsOfFile);
    return { dir, shards, remove };
  } catch (e) {
    remove();
    throw e;
  }
}

/** A shard's memberships in the spill's format (the component as JSON TAB the stored line), in the given order. */
export function writeShardMembership(file: string, snapshot: MembershipSnapshot, orderedKeys: readonly string[], componentOf: (key: IdentityKey) => IdentityKey): void {
  const out = new LineFrameWriter([file], SHARD_FRAME_CHARS);
  for (const key of orderedKeys) {
    const entries = snapshot.get(key);
    if (entries !== undefined && entries.size > 0) out.write(0, `${JSON.stringify(componentOf(key))}\t${membershipLine(key, entries)}\n`);
  }
  out.close();
}

function splitAtTab(text: string): [string, string] {
  const tab = text.indexOf("\t");
  return [text.slice(0, tab), text.slice(tab + 1)];
}

/** Loads one spilled shard: its rows validated into fragments (errors name the original file and line). */
export function loadShard(sandbox: Sandbox, files: ShardFiles): Shard {
  const inputs = dataFiles(sandbox);
  const names = new Map<number, IdentityKey>();
  for (const { text } of frameLines(files.components)) {
    const [id, key] = splitAtTab(text);
    names.set(Number(id), JSON.parse(key) as IdentityKey);
  }
  const records: RecordFragment[] = [];
  const events: EventFragment[] = [];
  for (const data of files.data) {
    for (const { text } of frameLines(data)) {
      const [head, json] = splitAtTab(text);
      const [fileIndex, line, seq, component] = JSON.parse(head) as [number, number, number, number];
      const file = inputs[fileIndex]!;
      const fragment = toFragment(file.dataset, parseJson(json, file.rel, line - 1), file.rel, line, seq);
      fragment.component = names.get(component)!;
      if (file.dataset.kind === "event") events.push(fragment as EventFragment);
      else records.push(fragment);
    }
  }
  const prior: MembershipSnapshot = new Map();
  const components = new Map<IdentityKey, IdentityKey>();
  for (const { text } of frameLines(files.membership)) {
    const [component, stored] = splitAtTab(text);
    const { key, ups } = JSON.parse(stored) as { key: string; ups: Record<string, never> };
    prior.set(key, new Map(Object.entries(ups)));
    components.set(key, JSON.parse(component) as IdentityKey);
  }
  return { index: files.index, data: { records, events }, prior, componentOf: (key) => components.get(key) ?? key };
}

/**
 * The whole sandbox as one shard, loaded in this thread: the previous memberships, then the data. `checkpoint`
 * is called as lines are read (memberships and data rows counted together) and linked.
 */
export async function sandboxShardInMemory(sandbox: Sandbox, checkpoint?: Checkpoint<ShardProgress>): Promise<Shard> {
  const prior: MembershipSnapshot = new Map();
  let read = 0;
  await checkpoint?.({ stage: "reading", rows: read });
  for await (const { key, entries } of new SandboxState(sandbox.dir).membership.lines()) {
    prior.set(key, entries);
    if (checkpoint !== undefined && ++read % PROGRESS_EVERY === 0) await checkpoint({ stage: "reading", rows: read });
  }
  const { componentOf, ...data } = await loadSandboxData(sandbox, checkpoint && ((p) => checkpoint(p.stage === "reading" ? { ...p, rows: read + (p.rows ?? 0) } : p)));
  return { index: 0, data, prior, componentOf };
}
