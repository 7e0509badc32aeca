/**
 * Simulated scheduler: when active schedules fire in a time window, and the runs they start. Each run is a
 * segment job the caller starts with `source: "scheduler"` and `properties: {scheduleId, runId}` [SEG-JOBS];
 * run ids are derived from the schedule id and the firing time, so replaying a window gives the same ids.
 */
import { deterministicUuid } from "../store/ids.js";
import { parseQuartzCron } from "./cron.js";
import type { Schedule, ScheduleType } from "./schedules.js";

export interface ScheduledRun {
  scheduleId: string;
  /** Deterministic UUID of this firing. */
  runId: string;
  /** Epoch ms (UTC) of the firing. */
  at: number;
  /** The schedule's `properties.segments` (`["*"]` = every segment). */
  segments: string[];
  type: ScheduleType;
}

export interface PlanOptions {
  /** Schedule types to plan; default only `batch_segmentation` (the runs are segment jobs). */
  types?: readonly ScheduleType[];
}

/** The run id of a schedule's firing at `atMs`. */
export function runIdOf(scheduleId: string, atMs: number): string {
  return deterministicUuid("schedule-run", scheduleId, atMs);
}

/**
 * Epoch ms of the firings of `schedule` with `fromMs <= t < untilMs`, ascending, in UTC (the optional year
 * field included). An inactive schedule never fires.
 */
export function firings(schedule: Pick<Schedule, "state" | "schedule">, fromMs: number, untilMs: number): number[] {
  if (schedule.state !== "active" || !(untilMs > fromMs)) return [];
  return parseQuartzCron(schedule.schedule, "$.schedule").between(fromMs, untilMs);
}

/**
 * Every run the active schedules start with `fromMs <= at < untilMs`, sorted by time (then schedule id).
 * Consecutive windows `[a, b)`, `[b, c)` never repeat or skip a run.
 */
export function planScheduleRuns(schedules: readonly Schedule[], fromMs: number, untilMs: number, options: PlanOptions = {}): ScheduledRun[] {
  const types = options.types ?? ["batch_segmentation"];
  const runs: ScheduledRun[] = [];
  for (const s of schedules) {
    if (!types.includes(s.type)) continue;
    for (const at of firings(s, fromMs, untilMs)) {
      runs.push({ scheduleId: s.id, runId: runIdOf(s.id, at), at, segments: [...(s.properties.segments ?? [])], type: s.type });
    }
  }
  return runs.sort((a, b) => a.at - b.at || (a.scheduleId < b.scheduleId ? -1 : a.scheduleId > b.scheduleId ? 1 : 0));
}
