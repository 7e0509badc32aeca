export { CRON_OPTIONS, MIN_FIRING_INTERVAL_MS, ONCE_A_DAY_HORIZON, checkOncePerDay, parseQuartzCron, type QuartzCron } from "./cron.js";
export { firings, planScheduleRuns, runIdOf, type PlanOptions, type ScheduledRun } from "./plan.js";
export { ScheduleError } from "./schedule-error.js";
export {
  DEFAULT_SCHEDULE_PAGE_SIZE,
  MAX_MERGE_POLICIES_FOR_SCHEDULING,
  SCHEDULE_STATES,
  SCHEDULE_TYPES,
  Schedules,
  type Schedule,
  type ScheduleCreateRequest,
  type ScheduleList,
  type ScheduleListQuery,
  type SchedulePatchOperation,
  type ScheduleProperties,
  type ScheduleState,
  type ScheduleType,
  type SchedulesOptions,
} from "./schedules.js";
