/**
 * A pool of worker threads (piscina) whose heaps are capped at their share of the memory budget; a task's
 * error comes back as the coded error it was (worker-answer.ts). Jobs validate their data files on it
 * (validate-sources.ts).
 */
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { ProfileLabError } from "../xdm/errors.js";
import { rebuildError, type WorkerAnswer } from "./worker-answer.js";

/** The worker entry that holds each task: a thread loads an entry when its first task needs it, and only its modules. */
const TASK_ENTRIES = {
  validateFileTask: "validate-worker",
} as const;

export type WorkerTaskName = keyof typeof TASK_ENTRIES;

/**
 * A worker entry beside this module. Run from the TypeScript sources (tests), workers use the compiled one:
 * tsx's loader fails to resolve chevrotain's module graph inside a worker thread. The test setup builds it.
 */
function entryFile(entry: (typeof TASK_ENTRIES)[WorkerTaskName]): string {
  const fromSources = fileURLToPath(import.meta.url).endsWith(".ts");
  return new URL(fromSources ? `../../dist/engine/${entry}.js` : `./${entry}.js`, import.meta.url).href;
}

/** Below this a worker's heap cannot hold the engine's own code and a file's rows in flight. */
const MIN_WORKER_HEAP_MB = 96;
const MAX_YOUNG_GENERATION_MB = 64;

export class WorkerPool {
  private readonly pool: Piscina;
  private readonly heapMb: number;
  private ending: Promise<void> | undefined;

  /** `heapBytes` caps each worker's heap, young and old generations (so garbage is collected within the budget). */
  /** `work` names what the threads do, for the error when one runs out of memory. */
  constructor(
    workers: number,
    heapBytes: number,
    private readonly work: string,
  ) {
    this.heapMb = Math.max(MIN_WORKER_HEAP_MB, Math.floor(heapBytes / 2 ** 20));
    // A quarter of it, up to 64 MiB, for the young generation (V8's default is 48 MiB): measured 5 % faster on
    // workers whose objects mostly survive, as fewer scavenges copy them fewer times.
    const young = Math.min(MAX_YOUNG_GENERATION_MB, Math.floor(this.heapMb / 4));
    this.pool = new Piscina({
      minThreads: workers,
      maxThreads: workers,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: this.heapMb - young, maxYoungGenerationSizeMb: young },
    });
  }

  /** Runs the worker entry's export `name` on `task`. */
  async run<T, R>(name: WorkerTaskName, task: T): Promise<R> {
    let answer: WorkerAnswer<R>;
    try {
      answer = (await this.pool.run(task, { name, filename: entryFile(TASK_ENTRIES[name]) })) as WorkerAnswer<R>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_WORKER_OUT_OF_MEMORY") {
        throw new ProfileLabError(
          "ENG-M001",
          `${this.work} needed more than a thread's ${this.heapMb} MiB of heap (its share of the --memory budget); raise --memory or use fewer --workers`,
        );
      }
      throw e;
    }
    if ("error" in answer) throw rebuildError(answer.error);
    return answer.ok;
  }

  /** Ends the pool's threads; called again, waits for the same end. */
  destroy(): Promise<void> {
    return (this.ending ??= this.pool.destroy());
  }
}
