/**
 * Where a sandbox's engine state lives (`<sandbox>/.profile-lab/`): the state database (job, batch, dataset
 * and schedule records), the membership store and the data lake of exported Parquet files.
 */
import { join } from "node:path";
import { MembershipStore } from "./membership-store.js";
import { RecordStore } from "./record-store.js";
import { stateDb } from "./state-db.js";

/** The kinds of records kept in the state database. */
export type RecordKind = "segment-jobs" | "export-jobs" | "batches" | "datasets" | "schedules";

export class SandboxState {
  readonly root: string;

  constructor(sandboxDir: string) {
    this.root = join(sandboxDir, ".profile-lab");
  }

  /** The membership snapshot, in parts (see MembershipStore). */
  get membership(): MembershipStore {
    return new MembershipStore(join(this.root, "membership"));
  }

  /** The state database: job, batch, dataset and schedule records. */
  get databaseFile(): string {
    return join(this.root, "state.sqlite");
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
    return join(this.root, "lake", "datasets", datasetId, "batches", batchId);
  }

  /** A job's private staging folder; batches move out of it only when the job succeeds. */
  stagingDir(jobId: string | number): string {
    return join(this.root, "lake", "_staging", String(jobId));
  }
}
