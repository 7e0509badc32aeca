/**
 * After a crash: jobs whose process died mid-way are recorded as FAILED, their batches as failed, and
 * anything they staged or half-committed to the lake is removed — so the store never shows a partial batch —
 * and so is what they spilled.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ExportJob } from "../export/export-job.js";
import type { SegmentJob } from "../segment/segment-job.js";
import type { BatchRecord } from "../store/catalog-types.js";
import { JobControl } from "../store/job-control.js";
import { SandboxState } from "../store/sandbox-state.js";

const INTERRUPTED = {
  code: "INTERRUPTED",
  msg: "the process running this job stopped before the job finished; nothing it wrote was committed",
  callStack: "profile-lab job recovery",
};

/** Fails every job left running by a dead process; returns how many were recovered. */
export function recoverInterruptedJobs(sandboxDir: string, clock: () => number = Date.now): number {
  const state = new SandboxState(sandboxDir);
  const control = new JobControl(state.root);
  const orphans = control.orphans();
  for (const { kind, id } of orphans) {
    const now = clock();
    if (kind === "export-jobs") {
      const jobs = state.records<ExportJob>("export-jobs");
      const job = jobs.get(id);
      if (job && (job.status === "NEW" || job.status === "PROCESSING")) {
        const batches = state.records<BatchRecord>("batches");
        const ids = job.destination.batches?.map((b) => b.batchId) ?? (job.destination.batchId ? [job.destination.batchId] : []);
        for (const batchId of ids) {
          const batch = batches.get(batchId);
          if (batch === undefined || batch.status === "success") continue;
          rmSync(state.batchDir(job.destination.datasetId, batchId), { recursive: true, force: true });
          batches.put(batchId, { ...batch, status: "failed", updated: now });
        }
        rmSync(state.stagingDir(id), { recursive: true, force: true });
        jobs.put(id, { ...job, status: "FAILED", errors: [INTERRUPTED], updateTime: now, metrics: { ...job.metrics, totalTime: { startTimeInMs: job.creationTime, endTimeInMs: now, totalTimeInMs: now - job.creationTime } } });
      }
    } else {
      const jobs = state.records<SegmentJob>("segment-jobs");
      const job = jobs.get(id);
      if (job && (job.status === "NEW" || job.status === "PROCESSING" || job.status === "CANCELLING")) {
        jobs.put(id, { ...job, status: "FAILED", errors: [INTERRUPTED], updateTime: now, updateEpoch: Math.floor(now / 1000) });
      }
    }
    control.release(kind, id);
  }
  // The dead processes' DuckDB spill (`duckdb-<pid>-…`, see sql/jobs/engine-session.ts), or the shards of
  // versions before it (`shards-<pid>-<time>`), can be gigabytes; so can the shards those versions kept.
  rmSync(state.oldSpillDir, { recursive: true, force: true });
  const dead = new Set(orphans.map((o) => String(o.pid)));
  const tmp = state.tmpDir;
  if (dead.size > 0 && existsSync(tmp)) {
    for (const name of readdirSync(tmp)) if (dead.has(/^(?:shards|duckdb)-(\d+)-/.exec(name)?.[1] ?? "")) rmSync(join(tmp, name), { recursive: true, force: true });
  }
  return orphans.length;
}
