/**
 * Quartz cron expressions as the platform's schedules use them: 6 or 7 space-separated fields
 * (`sec min hour day-of-month month day-of-week [year]`), `?` in exactly one of the two day fields, Quartz
 * day-of-week numbers (1 = Sunday … 7 = Saturday), `L`, `W`, `#`, month and day names, years 1970–2099.
 * Times are UTC. Evaluation is croner's (DEPS.md §8); the Quartz rules croner does not enforce are checked
 * here first so a bad expression fails with a message that names the field.
 */
import { Cron } from "croner";
import { ScheduleError } from "./schedule-error.js";

/** croner settings that give Quartz semantics in UTC (DEPS.md §8). */
export const CRON_OPTIONS = { timezone: "UTC", paused: true, alternativeWeekdays: true, sloppyRanges: true } as const;

/** A schedule may fire at most once in any 24-hour period. */
export const MIN_FIRING_INTERVAL_MS = 24 * 60 * 60 * 1000;

/** How many consecutive firings the once-a-day rule inspects (more than a year of daily firings). */
export const ONCE_A_DAY_HORIZON = 400;

const FIELD_NAMES = ["seconds", "minutes", "hours", "day-of-month", "month", "day-of-week", "year"] as const;
const DAY_NAMES = new Set(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]);

export interface QuartzCron {
  /** The expression as given (trimmed). */
  readonly expression: string;
  /** Epoch ms of the first firing strictly after `afterMs`, or undefined when it never fires again. */
  nextAfter(afterMs: number): number | undefined;
  /** Epoch ms of every firing with `fromMs <= t < untilMs`, ascending. */
  between(fromMs: number, untilMs: number): number[];
  /** Epoch ms of the next `n` firings strictly after `afterMs` (fewer when the expression stops firing). */
  next(n: number, afterMs: number): number[];
}

function invalid(jsonPath: string, expression: string, why: string): ScheduleError {
  return new ScheduleError("SCH-020", `invalid cron expression "${expression}": ${why}`, 400, { jsonPath });
}

/** Day-of-week values: 1–7 or SUN–SAT, with `-`, `,`, `/`, `#n`, `nL`; croner would take 0 and 8 silently. */
function checkDayOfWeek(field: string, fail: (why: string) => ScheduleError): void {
  if (field === "?" || field === "*" || field.toUpperCase() === "L") return;
  for (const part of field.split(",")) {
    const base = part.split("/")[0]!.replace(/#\d+$/, "").replace(/L$/i, "");
    if (base === "*") continue;
    for (const v of base.split("-")) {
      if (DAY_NAMES.has(v.toUpperCase())) continue;
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 7) {
        throw fail(`day-of-week value "${v}" is not 1–7 (1 = Sunday) or SUN–SAT`);
      }
    }
  }
}

/** Year values: 1970–2099, with `*`, `-`, `,` and `/`. */
function checkYear(field: string, fail: (why: string) => ScheduleError): void {
  for (const part of field.split(",")) {
    const [range, step] = part.split("/");
    if (step !== undefined && !/^[1-9]\d*$/.test(step)) throw fail(`year step "${step}" is not a positive integer`);
    if (range === "*") continue;
    for (const v of range!.split("-")) {
      if (!/^\d+$/.test(v) || Number(v) < 1970 || Number(v) > 2099) throw fail(`year "${v}" is not in 1970–2099`);
    }
  }
}

/**
 * Parses and checks a Quartz cron expression; throws a `ScheduleError` (400) at `jsonPath` when it is not
 * one. Does not apply the once-a-day rule (see `checkOncePerDay`).
 */
export function parseQuartzCron(value: unknown, jsonPath = "$.schedule"): QuartzCron {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ScheduleError("SCH-019", "schedule must be a Quartz cron expression string, e.g. \"0 0 1 * * ?\"", 400, { jsonPath });
  }
  const expression = value.trim();
  const fail = (why: string): ScheduleError => invalid(jsonPath, expression, why);
  const fields = expression.split(/\s+/);
  if (fields.length !== 6 && fields.length !== 7) {
    throw fail(`a Quartz cron expression has 6 or 7 fields (${FIELD_NAMES.join(" ")}), got ${fields.length}`);
  }
  fields.forEach((f, i) => {
    if (f.includes("?") && f !== "?") throw fail(`"?" must stand alone in the ${FIELD_NAMES[i]} field`);
    if (f === "?" && i !== 3 && i !== 5) throw fail(`"?" is only allowed in the day-of-month or day-of-week field, not in ${FIELD_NAMES[i]}`);
  });
  const dom = fields[3]!;
  const dow = fields[5]!;
  if ((dom === "?") === (dow === "?")) {
    throw fail('exactly one of day-of-month and day-of-week must be "?" (Quartz does not combine both)');
  }
  checkDayOfWeek(dow, fail);
  if (fields[6] !== undefined) checkYear(fields[6], fail);
  // Quartz reads a lone "L" in day-of-week as 7 (Saturday); croner does not know that form.
  if (dow.toUpperCase() === "L") fields[5] = "7";
  let cron: Cron;
  try {
    cron = new Cron(fields.join(" "), { ...CRON_OPTIONS });
  } catch (e) {
    throw fail((e instanceof Error ? e.message : String(e)).replace(/^CronPattern:\s*/, ""));
  }
  const nextAfter = (afterMs: number): number | undefined => cron.nextRun(new Date(afterMs))?.getTime();
  return {
    expression,
    nextAfter,
    next: (n, afterMs) => cron.nextRuns(n, new Date(afterMs)).map((d) => d.getTime()),
    between(fromMs, untilMs) {
      const out: number[] = [];
      // croner returns firings strictly after its argument, at whole seconds.
      let t = nextAfter(fromMs - 1);
      while (t !== undefined && t < untilMs) {
        out.push(t);
        t = nextAfter(t);
      }
      return out;
    },
  };
}

/**
 * The platform's rule that a schedule runs at most once in a 24-hour period, checked on the next
 * `ONCE_A_DAY_HORIZON` firings after `nowMs`; also rejects an expression that never fires again
 * (e.g. a year field entirely in the past). Throws a `ScheduleError` (400) at `jsonPath`.
 */
export function checkOncePerDay(cron: QuartzCron, nowMs: number, jsonPath = "$.schedule"): void {
  const runs = cron.next(ONCE_A_DAY_HORIZON, nowMs);
  if (runs.length === 0) {
    throw new ScheduleError(
      "SCH-022",
      `the schedule is invalid: "${cron.expression}" never fires after ${new Date(nowMs).toISOString()}`,
      400,
      { jsonPath },
    );
  }
  for (let i = 1; i < runs.length; i++) {
    const a = runs[i - 1]!;
    const b = runs[i]!;
    if (b - a < MIN_FIRING_INTERVAL_MS) {
      throw new ScheduleError(
        "SCH-021",
        `the schedule is invalid: "${cron.expression}" fires more than once in 24 hours ` +
          `(${new Date(a).toISOString()} and ${new Date(b).toISOString()}); a schedule may run at most once a day`,
        400,
        { jsonPath },
      );
    }
  }
}
