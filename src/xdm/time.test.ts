import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDateTime, parseDate, parseDateTime, toEpochMs } from "./time.js";

describe("RFC 3339 parsing", () => {
  it.each([
    ["2018-10-25T13:22:04-07:00", Date.UTC(2018, 9, 25, 20, 22, 4)],
    ["2018-10-25T13:22:04.123Z", Date.UTC(2018, 9, 25, 13, 22, 4, 123)],
    ["2018-10-25t13:22:04.5z", Date.UTC(2018, 9, 25, 13, 22, 4, 500)],
    ["2018-10-25T13:22:04+05:30", Date.UTC(2018, 9, 25, 7, 52, 4)],
    ["2018-10-25T13:22:04.123456789+00:00", Date.UTC(2018, 9, 25, 13, 22, 4, 123)],
    ["2018-10-25 13:22:04Z", Date.UTC(2018, 9, 25, 13, 22, 4)],
    ["2024-02-29T00:00:00Z", Date.UTC(2024, 1, 29)],
  ])("reads %s", (text, expected) => {
    expect(parseDateTime(text)).toBe(expected);
  });

  it.each(["2018-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2018-10-25T13:22:04", "2018-13-01T00:00:00Z", "2018-10-25T24:00:00Z", "yesterday", "", "2018-10-25"])(
    "rejects %j",
    (text) => {
      expect(parseDateTime(text)).toBeUndefined();
    },
  );

  it("reads dates and rejects impossible ones", () => {
    expect(parseDate("1980-02-29")).toBe(Date.UTC(1980, 1, 29));
    expect(parseDate("1981-02-29")).toBeUndefined();
  });

  it("takes epoch milliseconds, date-times and dates as data values", () => {
    expect(toEpochMs(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(toEpochMs("2024-05-01")).toBe(Date.UTC(2024, 4, 1));
    expect(toEpochMs(true)).toBeUndefined();
  });

  it("formats in UTC with milliseconds", () => {
    expect(formatDateTime(Date.UTC(2024, 4, 1, 1))).toBe("2024-05-01T01:00:00.000Z");
  });
});

describe("calendar edge cases", () => {
  it("keeps years before 100 and knows century leap years", () => {
    expect(new Date(parseDate("0050-01-01")!).getUTCFullYear()).toBe(50);
    expect(parseDate("2000-02-29")).toBe(Date.UTC(2000, 1, 29));
    expect(parseDate("1900-02-29")).toBeUndefined();
  });
});

describe("the date-time scanner", () => {
  // The grammar as a regex, the scanner's reference: both must accept the same texts and read the same instant.
  const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
  function reference(text: string): number | undefined {
    const m = RFC3339.exec(text);
    if (m === null) return undefined;
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
    if (days === undefined || d < 1 || d > days || h > 23 || mi > 59 || s > 60) return undefined;
    const offset = m[9] === undefined ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
    if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return undefined;
    const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
    const t = new Date(Date.UTC(2000, mo - 1, d, h, mi, Math.min(s, 59), ms));
    t.setUTCFullYear(y);
    return t.getTime() - offset * 60_000;
  }
  const piece = fc.constantFrom("2024", "0050", "1999", "-", "02", "29", "30", "31", "13", "00", "T", "t", " ", ":", "59", "60", "24", ".", "5", "123", "123456789", "1234567890", "Z", "z", "+", "05:30", "0530", "x", "");
  const nearlyDates = fc
    .tuple(fc.constantFrom("2024", "2023", "1900", "2000", "0050", "20a4"), fc.constantFrom("01", "02", "12", "13", "00"), fc.constantFrom("01", "28", "29", "30", "31", "00"), fc.constantFrom("T", "t", " ", "_"), fc.constantFrom("00", "23", "24", "9"), fc.constantFrom("00", "59", "60"), fc.constantFrom("00", "59", "60", "61"), fc.constantFrom("", ".", ".5", ".12", ".123", ".123456789", ".1234567890"), fc.constantFrom("Z", "z", "+05:30", "-07:00", "+0530", "+24:00", "-00:60", "+05:3", "Zz", ""))
    .map(([y, mo, d, sep, h, mi, s, f, z]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${f}${z}`);

  it("accepts exactly what the RFC 3339 grammar does, and reads the same instant", () => {
    fc.assert(
      fc.property(fc.oneof(nearlyDates, fc.array(piece, { maxLength: 12 }).map((p) => p.join(""))), (text) => {
        expect(parseDateTime(text)).toBe(reference(text));
      }),
      { numRuns: 5000 },
    );
  });
});
