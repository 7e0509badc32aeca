import { describe, expect, it } from "vitest";
import { addUnits, daysFromCivil, startOfUnit, utcDate } from "./calendar.js";

const iso = (ms: number): string => new Date(ms).toISOString();
const at = (s: string): number => Date.parse(s);

describe("UTC calendar arithmetic", () => {
  it("agrees with Date.UTC on every day from 1900 to 2100", () => {
    for (let ms = Date.UTC(1900, 0, 1); ms <= Date.UTC(2100, 11, 31); ms += 86_400_000) {
      const d = new Date(ms);
      expect(daysFromCivil(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()) * 86_400_000).toBe(ms);
    }
  });

  it.each([
    ["2018-08-28T10:11:12.345Z", "week", "2018-08-26T00:00:00.000Z"],
    ["2018-08-26T00:00:00.000Z", "week", "2018-08-26T00:00:00.000Z"],
    ["2018-08-25T23:59:59.999Z", "week", "2018-08-19T00:00:00.000Z"],
    ["2018-08-28T10:11:12.345Z", "day", "2018-08-28T00:00:00.000Z"],
    ["2018-08-28T10:11:12.345Z", "hour", "2018-08-28T10:00:00.000Z"],
    ["2018-08-28T10:11:12.345Z", "month", "2018-08-01T00:00:00.000Z"],
    ["2018-08-28T10:11:12.345Z", "year", "2018-01-01T00:00:00.000Z"],
    ["2018-08-28T10:11:12.345Z", "decade", "2010-01-01T00:00:00.000Z"],
    ["2018-08-28T10:11:12.345Z", "century", "2000-01-01T00:00:00.000Z"],
    ["2018-08-28T10:11:12.345Z", "millennium", "2000-01-01T00:00:00.000Z"],
    ["1969-12-31T23:59:59.999Z", "day", "1969-12-31T00:00:00.000Z"],
    ["1970-01-01T00:00:00.000Z", "week", "1969-12-28T00:00:00.000Z"],
  ] as const)("the %s granule of %s starts at %s", (t, unit, start) => {
    expect(iso(startOfUnit(at(t), unit))).toBe(start);
  });

  it.each([
    ["2018-07-31T10:00:00.000Z", -1, "month", "2018-06-30T10:00:00.000Z"],
    ["2018-03-31T00:00:00.000Z", -1, "month", "2018-02-28T00:00:00.000Z"],
    ["2020-02-29T00:00:00.000Z", 1, "year", "2021-02-28T00:00:00.000Z"],
    ["2018-01-15T00:00:00.000Z", -13, "month", "2016-12-15T00:00:00.000Z"],
    ["2018-08-28T00:00:00.000Z", -1, "decade", "2008-08-28T00:00:00.000Z"],
    ["2018-08-28T00:00:00.000Z", 3, "day", "2018-08-31T00:00:00.000Z"],
    ["2018-08-28T00:00:00.000Z", -2, "week", "2018-08-14T00:00:00.000Z"],
  ] as const)("%s %s %s is %s", (t, n, unit, expected) => {
    expect(iso(addUnits(at(t), n, unit))).toBe(expected);
  });

  it("rejects dates that do not exist and keeps years below 100", () => {
    expect(utcDate(2018, 2, 29)).toBeNaN();
    expect(utcDate(2018, 13, 1)).toBeNaN();
    expect(iso(utcDate(2016, 2, 29))).toBe("2016-02-29T00:00:00.000Z");
    expect(iso(utcDate(50, 1, 1))).toBe("0050-01-01T00:00:00.000Z");
  });
});
