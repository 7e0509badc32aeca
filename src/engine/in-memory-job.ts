/**
 * How the reference engine runs a job: the whole sandbox loaded in this thread as one shard (the data and the
 * previous memberships), within the memory budget or refused before anything is read (checkFitsInMemory).
 */
import type { MembershipSnapshot } from "../store/membership-store.js";
import { SandboxState } from "../store/sandbox-state.js";
import { PROGRESS_EVERY, type Checkpoint, type ShardProgress, type StageProgress } from "./job-progress.js";
import { loadSandboxData, type SandboxData } from "./load-data.js";
import { checkFitsInMemory } from "./memory-budget.js";
import type { Sandbox } from "./sandbox.js";

/** Whole profiles' fragments and the previous memberships of their identities: what a job works on. */
export interface Shard {
  readonly data: SandboxData;
  readonly prior: MembershipSnapshot;
}

/**
 * The whole sandbox as one shard, loaded in this thread: the previous memberships, then the data. `checkpoint`
 * is called as rows are read (stored profiles and data rows counted together) and linked.
 */
async function sandboxShardInMemory(sandbox: Sandbox, checkpoint?: Checkpoint<ShardProgress>): Promise<Shard> {
  const prior: MembershipSnapshot = new Map();
  let read = 0;
  await checkpoint?.({ stage: "reading", rows: read });
  for await (const { key, entries } of new SandboxState(sandbox.dir).membership.profiles()) {
    prior.set(key, entries);
    if (checkpoint !== undefined && ++read % PROGRESS_EVERY === 0) await checkpoint({ stage: "reading", rows: read });
  }
  const data = await loadSandboxData(sandbox, checkpoint && ((p) => checkpoint(p.stage === "reading" ? { ...p, rows: read + (p.rows ?? 0) } : p)));
  return { data, prior };
}

export interface InMemoryJobOptions {
  readonly memoryBytes?: number | undefined;
  /** The merge policies the job works under (a segment job's; one for an export), for progress. */
  readonly policies: number;
  /** Reports progress and throws to stop the job. */
  readonly checkpoint: Checkpoint<StageProgress>;
}

/** The shard's progress as the job's: its policy counted from 1. */
function jobProgress(p: ShardProgress, policies: number): StageProgress {
  return {
    stage: p.stage,
    rows: p.rows ?? 0,
    ...(p.totalRows !== undefined ? { totalRows: p.totalRows } : {}),
    profiles: p.profiles ?? 0,
    ...(p.totalProfiles !== undefined ? { totalProfiles: p.totalProfiles } : {}),
    ...(p.policy !== undefined ? { policy: p.policy + 1, policies } : {}),
    ...(p.exported !== undefined ? { exported: p.exported } : {}),
  };
}

/** Runs `work` over the whole sandbox loaded in this thread, once the data is known to fit `memoryBytes`. */
export async function runInMemory<R>(
  sandbox: Sandbox,
  options: InMemoryJobOptions,
  work: (shard: Shard, checkpoint: Checkpoint<ShardProgress>) => R | Promise<R>,
): Promise<R> {
  checkFitsInMemory(sandbox, options.memoryBytes);
  const checkpoint = (p: ShardProgress): void | Promise<void> => options.checkpoint(jobProgress(p, options.policies));
  return work(await sandboxShardInMemory(sandbox, checkpoint), checkpoint);
}
