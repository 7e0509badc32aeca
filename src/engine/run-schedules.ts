/**
 * Simulates the scheduler between two instants: every firing of an active `batch_segmentation` schedule
 * becomes a segment job evaluated as of the firing time, with `source: "scheduler"` and
 * `properties.{scheduleId, runId}`. Firings that already ran (a job with the same runId exists) are
 * skipped, so running the same window twice does not evaluate twice.
 */
import { Schedules, type ScheduledRun } from "../schedule/index.js";
import type { StatusModel } from "../segment/membership.js";
import type { SegmentJob } from "../segment/segment-job.js";
import { SandboxState } from "../store/sandbox-state.js";
import { runSegmentJob } from "./run-segment-job.js";
import type { Sandbox } from "./sandbox.js";

export interface ScheduleRunOptions {
  readonly from: number;
  readonly until: number;
  readonly statusModel: StatusModel;
  readonly clock?: () => number;
}

/** The schedules of a sandbox, with its merge-policy count for the five-policy rule. */
export function schedulesOf(sandbox: Sandbox, clock: () => number = Date.now): Schedules {
  return new Schedules(new SandboxState(sandbox.dir), sandbox.manifest, { clock, mergePolicyCount: sandbox.policies.all().length });
}

export interface ScheduleRunResult {
  readonly run: ScheduledRun;
  readonly job: SegmentJob;
}

/** Runs the due firings in time order; returns each firing with the job it ran. */
export async function runSchedules(sandbox: Sandbox, options: ScheduleRunOptions): Promise<ScheduleRunResult[]> {
  const state = new SandboxState(sandbox.dir);
  const done = new Set(
    state
      .records<SegmentJob>("segment-jobs")
      .all()
      .map((j) => j.properties["runId"])
      .filter((id): id is string => id !== undefined),
  );
  const results: ScheduleRunResult[] = [];
  for (const run of schedulesOf(sandbox, options.clock).planRuns(options.from, options.until)) {
    if (done.has(run.runId)) continue;
    const job = await runSegmentJob(sandbox, {
        segmentIds: run.segments,
        asOf: run.at,
        statusModel: options.statusModel,
        source: "scheduler",
        properties: { scheduleId: run.scheduleId, runId: run.runId },
      ...(options.clock ? { clock: options.clock } : {}),
    });
    results.push({ run, job });
  }
  return results;
}
