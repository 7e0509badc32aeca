/**
 * Where a sandbox's engine state lives (`<sandbox>/.profile-lab/`): the state database (job, batch, dataset
 * and schedule records), the membership store, the data lake of exported Parquet files, DuckDB's spill, the
 * tables kept per data version. Every path is confined to the sandbox (a link in `.profile-lab/` that leads out is
 * IO-X003) and every id that becomes a folder name is checked as an identifier (IO-X004): see io/sandbox-path.ts.
 */
import { join } from "node:path";
import { STATE_DIR } from "../io/sandbox-files.js";
import { checkIdentifier, confined } from "../io/sandbox-path.js";
import { MembershipStore } from "./membership-store.js";
import { RecordStore } from "./record-store.js";
import { stateDb } from "./state-db.js";

/** The kinds of records kept in the state database. */
export type RecordKind = "segment-jobs" | "export-jobs" | "batches" | "datasets" | "schedules";

export class SandboxState {
  readonly root: string;

  constructor(readonly sandboxDir: string) {
    this.root = this.path();
  }

  /** `parts` under the state folder, checked against the sandbox's real path when asked for. */
  private path(...parts: string[]): string {
    return confined(this.sandboxDir, join(this.sandboxDir, STATE_DIR, ...parts));
  }

  /** The membership snapshot, in parts (see MembershipStore). */
  get membership(): MembershipStore {
    return new MembershipStore(this.path("membership"), this.sandboxDir);
  }

  /** The state database: job, batch, dataset and schedule records. */
  get databaseFile(): string {
    return this.path("state.sqlite");
  }

  /** Where versions before the DuckDB engine kept the reference engine's shards for the next job: job recovery removes it. */
  get oldSpillDir(): string {
    return this.path("spill");
  }

  /** What a job spills, in a folder named by its process: `duckdb-<pid>-…` (see sql/jobs/engine-session.ts). */
  get tmpDir(): string {
    return this.path("tmp");
  }

  /** The DuckDB files of tables kept for the next job over the same data, one per data version (engine/data-version.ts). */
  get engineDir(): string {
    return this.path("engine");
  }

  records<T>(kind: RecordKind): RecordStore<T> {
    return new RecordStore<T>(stateDb(this.databaseFile), kind);
  }

  /** Runs `fn` in one database transaction: its record writes land together or not at all. */
  transaction<R>(fn: () => R): R {
    return stateDb(this.databaseFile).transaction(fn)();
  }

  /** The committed folder of a batch in the lake. */
  batchDir(datasetId: string, batchId: string): string {
    return this.path("lake", "datasets", checkIdentifier(datasetId, "dataset id"), "batches", checkIdentifier(batchId, "batch id"));
  }

  /** A job's private staging folder; batches move out of it only when the job succeeds. */
  stagingDir(jobId: string | number): string {
    return this.path("lake", "_staging", checkIdentifier(String(jobId), "job id"));
  }

  /** A batch's folder in its job's staging folder. */
  stagedBatchDir(jobId: string | number, batchId: string): string {
    return join(this.stagingDir(jobId), checkIdentifier(batchId, "batch id"));
  }
}
