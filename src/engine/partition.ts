/**
 * The sandbox's data, shard by shard, within a memory budget. When the data fits, it is loaded once and
 * yielded whole. When it does not, pass 1 streams every dataset to build the identity graph of all datasets,
 * pass 2 streams them again and spills each fragment to the shard of its component (JSON Lines under
 * `.profile-lab/tmp/`), and each shard is then loaded alone. Every fragment of a profile, under any merge
 * policy, lies in one component, so a shard holds whole profiles; shards are ranges of the component hash,
 * so the output order is the same either way.
 */
import { once } from "node:events";
import { createWriteStream, mkdirSync, rmSync, statSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { IdentityGraph } from "../identity/identity-graph.js";
import { readJsonl } from "../io/jsonl.js";
import type { EventFragment, RecordFragment } from "../merge/fragment.js";
import { SandboxState } from "../store/sandbox-state.js";
import { loadSandboxData, readFragments, type SandboxData } from "./load-data.js";
import { hashKey, shardOf } from "./profile-groups.js";
import type { Sandbox } from "./sandbox.js";

/** Default memory budget for a job's data: 2 GiB. */
export const DEFAULT_MEMORY_BYTES = 2 * 2 ** 30;

/** JS heap per byte of JSON Lines input, measured on generated sandboxes (objects, strings, fragment headers). */
const HEAP_PER_INPUT_BYTE = 4;

export interface PartitionOptions {
  /** Memory budget for the data of one shard, in bytes. */
  readonly memoryBytes?: number;
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
function inputBytes(sandbox: Sandbox): number {
  let total = 0;
  for (const d of sandbox.datasets) {
    for (const f of d.entry.files ?? []) {
      const size = statSync(join(sandbox.dir, f), { throwIfNoEntry: false })?.size ?? 0;
      total += f.endsWith(".parquet") ? size * JSONL_BYTES_PER_PARQUET_BYTE : size;
    }
  }
  return total;
}

/** How many shards the data needs so that one shard fits the budget. */
export function shardCountFor(sandbox: Sandbox, options: PartitionOptions = {}): number {
  return Math.max(1, Math.ceil((inputBytes(sandbox) * HEAP_PER_INPUT_BYTE) / (options.memoryBytes ?? DEFAULT_MEMORY_BYTES)));
}

type Spilled = (RecordFragment & { k: "r" }) | (EventFragment & { k: "e" });

async function write(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(line)) await once(stream, "drain");
}

/** Yields the data shard by shard (one shard when it fits in the budget). */
export async function* sandboxShards(sandbox: Sandbox, options: PartitionOptions = {}): AsyncGenerator<SandboxData> {
  const count = shardCountFor(sandbox, options);
  if (count === 1) {
    yield await loadSandboxData(sandbox);
    return;
  }
  const graph = new IdentityGraph();
  for await (const f of readFragments(sandbox)) graph.observe(f.kind, f.fragment.identities, f.fragment.primary);
  const canonical = graph.canonicalizer();

  const dir = join(new SandboxState(sandbox.dir).root, "tmp", `shards-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = Array.from({ length: count }, (_, i) => join(dir, `shard-${String(i).padStart(5, "0")}.jsonl`));
    const streams = files.map((f) => createWriteStream(f));
    for await (const f of readFragments(sandbox)) {
      const fragment = f.fragment;
      fragment.component = canonical(fragment.primary) ?? fragment.primary;
      const line = `${JSON.stringify({ k: f.kind === "record" ? "r" : "e", ...fragment })}\n`;
      await write(streams[shardOf(hashKey(fragment.component), count)]!, line);
    }
    await Promise.all(streams.map((s) => new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())))));
    for (const file of files) {
      const records: RecordFragment[] = [];
      const events: EventFragment[] = [];
      for await (const { value } of readJsonl(file)) {
        const { k, ...fragment } = value as Spilled;
        if (k === "e") events.push(fragment as EventFragment);
        else records.push(fragment as RecordFragment);
      }
      rmSync(file);
      yield { records, events };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
