/**
 * Where a sandbox's engine state lives (`<sandbox>/.profile-lab/`): job records, the membership snapshot,
 * Catalog batch records and the data lake of exported Parquet files.
 */
import { join } from "node:path";
import { readMembership, writeMembership, type MembershipSnapshot } from "./membership-store.js";
import { RecordStore } from "./record-store.js";

/** The kinds of records kept under `.profile-lab/`, and the folder of each. */
const RECORD_DIRS = {
  "segment-jobs": "jobs/segment-jobs",
  "export-jobs": "jobs/export-jobs",
  batches: "catalog/batches",
  datasets: "catalog/datasets",
  schedules: "schedules",
} as const;

export type RecordKind = keyof typeof RECORD_DIRS;

export class SandboxState {
  readonly root: string;

  constructor(sandboxDir: string) {
    this.root = join(sandboxDir, ".profile-lab");
  }

  get membershipFile(): string {
    return join(this.root, "membership.jsonl");
  }

  readMembership(): MembershipSnapshot {
    return readMembership(this.membershipFile);
  }

  writeMembership(snapshot: MembershipSnapshot): void {
    writeMembership(this.membershipFile, snapshot);
  }

  records<T>(kind: RecordKind): RecordStore<T> {
    return new RecordStore<T>(join(this.root, RECORD_DIRS[kind]));
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
