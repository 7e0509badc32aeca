import { describe, expect, it } from "vitest";
import { checkOncePerDay, parseQuartzCron } from "./cron.js";
import { ScheduleError } from "./schedule-error.js";
import { thrown } from "../../test/helpers/thrown.js";

const FROM = Date.parse("2026-01-15T10:30:00Z");
const iso = (ms: number[]): string[] => ms.map((t) => new Date(t).toISOString());
const next3 = (expr: string): string[] => iso(parseQuartzCron(expr).next(3, FROM));

const rejection = (fn: () => unknown): ScheduleError => thrown(fn, ScheduleError);

describe("Quartz cron forms (DEPS.md §8)", () => {
  it("6 fields with ? in day-of-week or day-of-month", () => {
    expect(next3("0 0 1 * * ?")).toEqual(["2026-01-16T01:00:00.000Z", "2026-01-17T01:00:00.000Z", "2026-01-18T01:00:00.000Z"]);
    expect(next3("0 0 1 ? * *")).toEqual(["2026-01-16T01:00:00.000Z", "2026-01-17T01:00:00.000Z", "2026-01-18T01:00:00.000Z"]);
  });

  it("7 fields: * and an explicit year", () => {
    expect(next3("0 0 1 * * ? *")).toEqual(["2026-01-16T01:00:00.000Z", "2026-01-17T01:00:00.000Z", "2026-01-18T01:00:00.000Z"]);
    expect(next3("0 0 1 * * ? 2027")[0]).toBe("2027-01-01T01:00:00.000Z");
    expect(next3("0 0 12 29 2 ? 2028/4")).toEqual(["2028-02-29T12:00:00.000Z", "2032-02-29T12:00:00.000Z", "2036-02-29T12:00:00.000Z"]);
  });

  it("day names and ranges, case-insensitive month names", () => {
    expect(next3("0 15 10 ? * MON-FRI")).toEqual(["2026-01-16T10:15:00.000Z", "2026-01-19T10:15:00.000Z", "2026-01-20T10:15:00.000Z"]);
    expect(next3("0 0 12 ? jan-mar mon")[0]).toBe("2026-01-19T12:00:00.000Z");
  });

  it("L, W and LW in day-of-month", () => {
    expect(next3("0 0 12 L * ?")).toEqual(["2026-01-31T12:00:00.000Z", "2026-02-28T12:00:00.000Z", "2026-03-31T12:00:00.000Z"]);
    expect(next3("0 0 12 15W * ?")).toEqual(["2026-01-15T12:00:00.000Z", "2026-02-16T12:00:00.000Z", "2026-03-16T12:00:00.000Z"]);
    expect(next3("0 0 12 LW * ?")).toEqual(["2026-01-30T12:00:00.000Z", "2026-02-27T12:00:00.000Z", "2026-03-31T12:00:00.000Z"]);
  });

  it("Quartz day-of-week numbers: 1 = Sunday, 7 = Saturday, # and nL", () => {
    expect(next3("0 0 1 ? * 1")[0]).toBe("2026-01-18T01:00:00.000Z"); // Sunday
    expect(next3("0 0 1 ? * 7")[0]).toBe("2026-01-17T01:00:00.000Z"); // Saturday
    expect(next3("0 0 12 ? * 6#3")).toEqual(["2026-01-16T12:00:00.000Z", "2026-02-20T12:00:00.000Z", "2026-03-20T12:00:00.000Z"]);
    expect(next3("0 0 12 ? * FRI#3")).toEqual(next3("0 0 12 ? * 6#3"));
    expect(next3("0 0 12 ? * 6L")).toEqual(["2026-01-30T12:00:00.000Z", "2026-02-27T12:00:00.000Z", "2026-03-27T12:00:00.000Z"]);
    // A lone L in day-of-week is Saturday.
    expect(next3("0 0 12 ? * L")[0]).toBe("2026-01-17T12:00:00.000Z");
  });

  it("Quartz steps (sloppy ranges)", () => {
    expect(next3("0 0/30 * * * ?")).toEqual(["2026-01-15T11:00:00.000Z", "2026-01-15T11:30:00.000Z", "2026-01-15T12:00:00.000Z"]);
  });

  it("between() is half-open [from, until) and includes a firing exactly at from", () => {
    const cron = parseQuartzCron("0 0 1 * * ?");
    const from = Date.parse("2026-01-16T01:00:00Z");
    expect(iso(cron.between(from, from + 2 * 86_400_000))).toEqual(["2026-01-16T01:00:00.000Z", "2026-01-17T01:00:00.000Z"]);
    expect(cron.between(from + 1, from + 86_400_000)).toEqual([]);
  });
});

describe("invalid expressions", () => {
  const cases: [string, unknown, RegExp][] = [
    ["5 fields (Unix cron)", "0 1 * * *", /6 or 7 fields/],
    ["8 fields", "0 0 1 * * ? 2030 1", /6 or 7 fields/],
    ["both day fields set", "0 0 1 * * *", /exactly one of day-of-month and day-of-week/],
    ["neither day field set", "0 0 1 ? * ?", /exactly one of day-of-month and day-of-week/],
    ["? outside the day fields", "0 ? 1 * * ?", /only allowed in the day-of-month or day-of-week/],
    ["day-of-week 0", "0 0 1 ? * 0", /day-of-week value "0"/],
    ["day-of-week 8", "0 0 1 ? * 8", /day-of-week value "8"/],
    ["year before 1970", "0 0 1 * * ? 1969", /year "1969"/],
    ["year after 2099", "0 0 1 * * ? 2100", /year "2100"/],
    ["hour 25", "0 0 25 * * ?", /invalid cron expression "0 0 25 \* \* \?"/],
    ["not a cron", "every day", /6 or 7 fields/],
    ["empty", "", /Quartz cron expression string/],
    ["not a string", 42, /Quartz cron expression string/],
  ];
  for (const [what, expr, message] of cases) {
    it(what, () => {
      const e = rejection(() => parseQuartzCron(expr, "$[0].value"));
      expect(e.status).toBe(400);
      expect(e.location.jsonPath).toBe("$[0].value");
      expect(e.message).toMatch(message);
    });
  }
});

describe("at most once per 24 hours", () => {
  it("accepts daily, weekly, monthly and yearly schedules", () => {
    for (const expr of ["0 0 1 * * ?", "0 15 10 ? * MON-FRI", "0 0 12 L * ?", "0 0 12 1 1 ?", "0 30 9 * * ? 2030"]) {
      expect(() => checkOncePerDay(parseQuartzCron(expr), FROM)).not.toThrow();
    }
  });

  it("rejects several firings a day, naming the two firings", () => {
    const e = rejection(() => checkOncePerDay(parseQuartzCron("0 0/10 17 * * ?"), FROM));
    expect(e.code).toBe("SCH-021");
    expect(e.status).toBe(400);
    expect(e.message).toContain("2026-01-15T17:00:00.000Z and 2026-01-15T17:10:00.000Z");
    for (const expr of ["0 0 1,23 * * ?", "* * * * * ?", "0 0 12,13 L * ? *", "0 0 0,12 ? * SUN 2031"]) {
      expect(rejection(() => checkOncePerDay(parseQuartzCron(expr), FROM)).code).toBe("SCH-021");
    }
  });

  it("rejects a schedule that never fires again", () => {
    const e = rejection(() => checkOncePerDay(parseQuartzCron("0 0 1 * * ? 2020"), FROM, "$.schedule"));
    expect(e.code).toBe("SCH-022");
    expect(e.location.jsonPath).toBe("$.schedule");
  });
});
