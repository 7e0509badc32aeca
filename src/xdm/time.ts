/**
 * Timestamps: RFC 3339 strings at the edges, epoch milliseconds inside. Date-times are read by a scanner over
 * character codes (no regex match or substrings: ingestion and event times are parsed for every row) plus
 * Date.UTC, and impossible dates such as 2018-02-30, which Date.parse silently rolls over, are rejected.
 */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

/** Date.UTC, but years 0–99 stay years 0–99 (Date.UTC maps them to 1900–1999). */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  if (year >= 100) return t;
  const d = new Date(t);
  d.setUTCFullYear(year);
  return d.getTime();
}

const ZERO = 48;

/** The number written by the `width` digits at `at`, or -1 if any is not a digit. */
function digits(text: string, at: number, width: number): number {
  let n = 0;
  for (let i = at; i < at + width; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * Epoch ms of an RFC 3339 date-time, `YYYY-MM-DD(T|t| )HH:MM:SS[.f{1,9}](Z|z|±HH:MM|±HHMM)`, or undefined
 * when the text is not one.
 */
export function parseDateTime(text: string): number | undefined {
  if (text.length < 20 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined;
  const sep = text.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined;
  let at = 19;
  let ms = 0;
  if (text.charCodeAt(at) === 46) {
    const start = ++at;
    while (at < text.length && at - start < 9 && digits(text, at, 1) >= 0) at++;
    const width = at - start;
    if (width === 0) return undefined;
    ms = digits(text, start, Math.min(width, 3)) * (width === 1 ? 100 : width === 2 ? 10 : 1);
  }
  let offsetMin = 0;
  const zone = text.charCodeAt(at);
  if (zone === 90 || zone === 122) {
    if (at + 1 !== text.length) return undefined;
  } else if (zone === 43 || zone === 45) {
    const colon = text.charCodeAt(at + 3) === 58 ? 1 : 0;
    if (at + 5 + colon !== text.length) return undefined;
    const oh = digits(text, at + 1, 2);
    const om = digits(text, at + 3 + colon, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return undefined;
    offsetMin = (zone === 45 ? -1 : 1) * (oh * 60 + om);
  } else {
    return undefined;
  }
  return utc(year, month, day, hour, minute, Math.min(second, 59), ms) - offsetMin * 60_000;
}

/** Epoch ms of the start (UTC) of a `YYYY-MM-DD` date, or undefined. */
export function parseDate(text: string): number | undefined {
  const m = DATE_ONLY.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return utc(year, month, day);
}

/** Epoch ms from a data value: epoch ms number, RFC 3339 date-time or `YYYY-MM-DD` date. */
export function toEpochMs(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string") return parseDateTime(value) ?? parseDate(value);
  return undefined;
}

/** RFC 3339 in UTC with milliseconds: `2024-05-01T01:00:00.000Z`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}
