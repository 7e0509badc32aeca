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
