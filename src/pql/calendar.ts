/**
 * UTC calendar arithmetic for PQL time references and `occurs`, on epoch milliseconds, without Date objects
 * (no allocation in hot paths; years 0–99 are not remapped to 19xx as Date.UTC does).
 * Weeks start on Sunday; decades, centuries and millennia are aligned on multiples of 10/100/1000 years.
 */
import type { TimeUnit } from "./ast.js";

export const MS_PER_DAY = 86_400_000;

/** Units of a fixed length, in ms (the others are calendar months: see addUnits). */
export const FIXED_MS: Partial<Record<TimeUnit, number>> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: MS_PER_DAY,
  week: 7 * MS_PER_DAY,
};

const YEARS_PER: Partial<Record<TimeUnit, number>> = { year: 1, decade: 10, century: 100, millennium: 1000 };

/** Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1–12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const mp = (m + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

let civilY = 1970;
let civilM = 1;
let civilD = 1;

/** Sets civilY/civilM/civilD from days since the epoch. */
function civilFromDays(days: number): void {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  civilD = doy - Math.floor((153 * mp + 2) / 5) + 1;
  civilM = mp < 10 ? mp + 3 : mp - 9;
  civilY = yoe + era * 400 + (civilM <= 2 ? 1 : 0);
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Epoch ms of the UTC midnight starting y-m-d, or NaN when the date does not exist. */
export function utcDate(y: number, m: number, d: number): number {
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(d)) return NaN;
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return NaN;
  return daysFromCivil(y, m, d) * MS_PER_DAY;
}

/** Start of the UTC day containing ms. */
export function startOfDay(ms: number): number {
  return Math.floor(ms / MS_PER_DAY) * MS_PER_DAY;
}

/** Start of the calendar granule of `unit` that contains ms. */
export function startOfUnit(ms: number, unit: TimeUnit): number {
  if (!Number.isFinite(ms)) return NaN;
  if (unit === "week") {
    const days = Math.floor(ms / MS_PER_DAY);
    const dow = (((days + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; Sunday = 0
    return (days - dow) * MS_PER_DAY;
  }
  const fixed = FIXED_MS[unit];
  if (fixed !== undefined) return Math.floor(ms / fixed) * fixed;
  civilFromDays(Math.floor(ms / MS_PER_DAY));
  if (unit === "month") return daysFromCivil(civilY, civilM, 1) * MS_PER_DAY;
  const span = YEARS_PER[unit] ?? 1;
  return daysFromCivil(Math.floor(civilY / span) * span, 1, 1) * MS_PER_DAY;
}

/**
 * ms + n·unit with calendar arithmetic: days and weeks are fixed lengths (UTC has no DST); months and years
 * keep the time of day and clamp the day to the target month's length (31 Jul − 1 month = 30 Jun).
 */
export function addUnits(ms: number, n: number, unit: TimeUnit): number {
  if (!Number.isFinite(ms)) return NaN;
  const fixed = FIXED_MS[unit];
  if (fixed !== undefined) return ms + n * fixed;
  const days = Math.floor(ms / MS_PER_DAY);
  const timeOfDay = ms - days * MS_PER_DAY;
  civilFromDays(days);
  const months = unit === "month" ? n : n * 12 * (YEARS_PER[unit] ?? 1);
  const total = civilY * 12 + (civilM - 1) + months;
  const y = Math.floor(total / 12);
  const m = total - y * 12 + 1;
  const d = Math.min(civilD, daysInMonth(y, m));
  return daysFromCivil(y, m, d) * MS_PER_DAY + timeOfDay;
}

/** The UTC calendar day of ms: [year, month 1–12, day 1–31]. */
export function civil(ms: number): [number, number, number] {
  civilFromDays(Math.floor(ms / MS_PER_DAY));
  return [civilY, civilM, civilD];
}
