import { describe, expect, it } from "vitest";
import { ev, evaluate } from "../../test/pql/fixtures.js";

/** `t` is the subject timestamp (profile field `t`); `now` defaults to Tuesday 2018-08-28T10:00:00Z. */
interface OccursCase {
  readonly name: string;
  readonly expr: string;
  readonly t: string | number | null;
  readonly now?: string;
  readonly result: boolean;
}

function run(c: OccursCase): void {
  const now = Date.parse(c.now ?? "2018-08-28T10:00:00.000Z");
  expect(evaluate(c.expr, { t: c.t, d: "2018-08-20" }, [], now)).toBe(c.result);
}

describe("F1: occurs CMP N UNIT before|after REF (pql.md §8.2)", () => {
  it.each<OccursCase>([
    // The spec's example: on 28 Aug, `<= 1 month before today` covers 28 Jul – 27 Aug.
    { name: "<= 1 month before today includes 28 Jul 00:00", expr: "t occurs <= 1 month before today", t: "2018-07-28T00:00:00Z", result: true },
    { name: "<= 1 month before today excludes 27 Jul 23:59:59.999", expr: "t occurs <= 1 month before today", t: "2018-07-27T23:59:59.999Z", result: false },
    { name: "<= 1 month before today includes the end of 27 Aug", expr: "t occurs <= 1 month before today", t: "2018-08-27T23:59:59.999Z", result: true },
    { name: "<= 1 month before today excludes today itself", expr: "t occurs <= 1 month before today", t: "2018-08-28T00:00:00Z", result: false },
    { name: "< 1 month before today excludes the far boundary", expr: "t occurs < 1 month before today", t: "2018-07-28T00:00:00Z", result: false },
    { name: "< 1 month before today includes just after it", expr: "t occurs < 1 month before today", t: "2018-07-28T00:00:00.001Z", result: true },
    { name: ">= 1 month before today includes the boundary", expr: "t occurs >= 1 month before today", t: "2018-07-28T00:00:00Z", result: true },
    { name: ">= 1 month before today includes older times", expr: "t occurs >= 1 month before today", t: "2001-01-01T00:00:00Z", result: true },
    { name: ">= 1 month before today excludes newer times", expr: "t occurs >= 1 month before today", t: "2018-07-28T00:00:00.001Z", result: false },
    { name: "> 1 month before today excludes the boundary", expr: "t occurs > 1 month before today", t: "2018-07-28T00:00:00Z", result: false },
    { name: "> 1 month before today includes just before it", expr: "t occurs > 1 month before today", t: "2018-07-27T23:59:59.999Z", result: true },
    { name: "= 3 days before today is the whole of 25 Aug (start)", expr: "t occurs = 3 days before today", t: "2018-08-25T00:00:00Z", result: true },
    { name: "= 3 days before today is the whole of 25 Aug (end)", expr: "t occurs = 3 days before today", t: "2018-08-25T23:59:59.999Z", result: true },
    { name: "= 3 days before today excludes 26 Aug", expr: "t occurs = 3 days before today", t: "2018-08-26T00:00:00Z", result: false },
    { name: "= 3 days before today excludes 24 Aug", expr: "t occurs = 3 days before today", t: "2018-08-24T23:59:59.999Z", result: false },
    { name: "a missing CMP reads as =", expr: "t occurs 3 days before today", t: "2018-08-25T12:00:00Z", result: true },
    { name: "!= 3 days before today is true on another day", expr: "t occurs != 3 days before today", t: "2018-08-24T12:00:00Z", result: true },
    { name: "!= 3 days before today is false on that day", expr: "t occurs != 3 days before today", t: "2018-08-25T12:00:00Z", result: false },
    { name: "!= is still false for a missing subject", expr: "t occurs != 3 days before today", t: null, result: false },
    { name: "= 3 hours before now is the hour containing 07:00", expr: "t occurs = 3 hours before now", t: "2018-08-28T07:59:59Z", result: true },
    { name: "<= 3 days before now starts exactly 72 h ago", expr: "t occurs <= 3 days before now", t: "2018-08-25T10:00:00Z", result: true },
    { name: "<= 3 days before now excludes 1 ms more", expr: "t occurs <= 3 days before now", t: "2018-08-25T09:59:59.999Z", result: false },
    { name: "<= 3 days before now excludes now itself", expr: "t occurs <= 3 days before now", t: "2018-08-28T10:00:00Z", result: false },
    { name: "<= 24 hours after now includes now", expr: "t occurs <= 24 hours after now", t: "2018-08-28T10:00:00Z", result: true },
    { name: "<= 24 hours after now includes now + 24 h", expr: "t occurs <= 24 hours after now", t: "2018-08-29T10:00:00Z", result: true },
    { name: "<= 24 hours after now excludes now + 24 h + 1 ms", expr: "t occurs <= 24 hours after now", t: "2018-08-29T10:00:00.001Z", result: false },
    { name: "<= 24 hours after now excludes the past", expr: "t occurs <= 24 hours after now", t: "2018-08-28T09:59:59.999Z", result: false },
    { name: "< 24 hours after now excludes now + 24 h", expr: "t occurs < 24 hours after now", t: "2018-08-29T10:00:00Z", result: false },
    { name: "> 1 day after today starts just after 30 Aug 00:00", expr: "t occurs > 1 day after today", t: "2018-08-30T00:00:00.001Z", result: true },
    { name: ">= 1 day after today starts at 30 Aug", expr: "t occurs >= 1 day after today", t: "2018-08-30T00:00:00Z", result: true },
    { name: "from reads as after", expr: "t occurs <= 2 days from now", t: "2018-08-29T10:00:00Z", result: true },
    { name: "month arithmetic clamps to the month's last day", expr: "t occurs <= 1 month before today", now: "2018-03-31T10:00:00Z", t: "2018-02-28T00:00:00Z", result: true },
    { name: "the clamped boundary excludes the day before", expr: "t occurs <= 1 month before today", now: "2018-03-31T10:00:00Z", t: "2018-02-27T23:59:59Z", result: false },
    { name: "years are calendar years (leap day clamps to 28 Feb)", expr: "t occurs <= 1 year before today", now: "2020-02-29T10:00:00Z", t: "2019-02-28T00:00:00Z", result: true },
    { name: "weeks are 7 days", expr: "t occurs <= 2 weeks before today", t: "2018-08-14T00:00:00Z", result: true },
    { name: "units may be upper case", expr: "t occurs <= 2 WEEKS before today", t: "2018-08-14T00:00:00Z", result: true },
    { name: "a reference may be another timestamp field", expr: "t occurs < 2 days before d", t: "2018-08-18T00:00:01Z", result: true },
    { name: "epoch milliseconds work as subjects", expr: "t occurs <= 1 day before now", t: Date.parse("2018-08-28T00:00:00Z"), result: true },
  ])("$name", run);
});

describe("F2: occurs before|after REF", () => {
  it.each<OccursCase>([
    { name: "before today is strictly before today's midnight", expr: "t occurs before today", t: "2018-08-27T23:59:59.999Z", result: true },
    { name: "before today excludes today's midnight", expr: "t occurs before today", t: "2018-08-28T00:00:00Z", result: false },
    { name: "after today starts tomorrow", expr: "t occurs after today", t: "2018-08-29T00:00:00Z", result: true },
    { name: "after today excludes the rest of today", expr: "t occurs after today", t: "2018-08-28T23:59:59.999Z", result: false },
    { name: "after date(...) excludes that day", expr: "t occurs after date(2018, 8, 1)", t: "2018-08-01T12:00:00Z", result: false },
    { name: "after date(...) starts the next day", expr: "t occurs after date(2018, 8, 1)", t: "2018-08-02T00:00:00Z", result: true },
    { name: "before now is strict", expr: "t occurs before now", t: "2018-08-28T10:00:00Z", result: false },
    { name: "after now includes now", expr: "t occurs after now", t: "2018-08-28T10:00:00Z", result: true },
    { name: "before last month is before 1 July", expr: "t occurs before last month", t: "2018-06-30T23:59:59Z", result: true },
    { name: "from today reads as after today", expr: "t occurs from today", t: "2018-08-29T00:00:00Z", result: true },
    { name: "offsets in the data are honoured", expr: "t occurs before today", t: "2018-08-28T01:00:00+02:00", result: true },
  ])("$name", run);
});

describe("F3: occurs [on] REF", () => {
  it.each<OccursCase>([
    { name: "today starts at midnight UTC", expr: "t occurs today", t: "2018-08-28T00:00:00Z", result: true },
    { name: "today ends before the next midnight", expr: "t occurs today", t: "2018-08-28T23:59:59.999Z", result: true },
    { name: "today excludes tomorrow", expr: "t occurs today", t: "2018-08-29T00:00:00Z", result: false },
    { name: "on is optional filler", expr: "t occurs on today", t: "2018-08-28T12:00:00Z", result: true },
    { name: "yesterday is 27 Aug", expr: "t occurs yesterday", t: "2018-08-27T23:00:00Z", result: true },
    { name: "tomorrow is 29 Aug", expr: "t occurs tomorrow", t: "2018-08-29T00:00:00Z", result: true },
    { name: "on date(...) is that UTC day", expr: "t occurs on date(2017, 10, 1)", t: "2017-10-01T23:59:59Z", result: true },
    { name: "on date(...) excludes the next day", expr: "t occurs date(2017, 10, 1)", t: "2017-10-02T00:00:00Z", result: false },
    { name: "last month is July (1 Jul)", expr: "t occurs last month", t: "2018-07-01T00:00:00Z", result: true },
    { name: "last month is July (31 Jul)", expr: "t occurs last month", t: "2018-07-31T23:59:59.999Z", result: true },
    { name: "last month excludes 1 Aug", expr: "t occurs last month", t: "2018-08-01T00:00:00Z", result: false },
    { name: "last month excludes 30 Jun", expr: "t occurs last month", t: "2018-06-30T23:59:59Z", result: false },
    { name: "this month is August", expr: "t occurs this month", t: "2018-08-31T23:00:00Z", result: true },
    { name: "next month is September", expr: "t occurs next month", t: "2018-09-15T00:00:00Z", result: true },
    { name: "this week starts on Sunday 26 Aug", expr: "t occurs this week", t: "2018-08-26T00:00:00Z", result: true },
    { name: "this week excludes Saturday 25 Aug", expr: "t occurs this week", t: "2018-08-25T23:59:59.999Z", result: false },
    { name: "this week ends with Saturday 1 Sep", expr: "t occurs this week", t: "2018-09-01T23:59:59Z", result: true },
    { name: "this week excludes Sunday 2 Sep", expr: "t occurs this week", t: "2018-09-02T00:00:00Z", result: false },
    { name: "last week is 19–25 Aug", expr: "t occurs last week", t: "2018-08-19T00:00:00Z", result: true },
    { name: "last week excludes 26 Aug", expr: "t occurs last week", t: "2018-08-26T00:00:00Z", result: false },
    { name: "this year is 2018", expr: "t occurs this year", t: "2018-01-01T00:00:00Z", result: true },
    { name: "last year is 2017", expr: "t occurs last year", t: "2017-12-31T23:59:59Z", result: true },
    { name: "last year in January is the previous calendar year", expr: "t occurs last year", now: "2019-01-01T00:00:00Z", t: "2018-06-01T00:00:00Z", result: true },
    { name: "last month in January is December", expr: "t occurs last month", now: "2019-01-15T00:00:00Z", t: "2018-12-31T12:00:00Z", result: true },
    { name: "this decade is 2010–2019", expr: "t occurs this decade", t: "2010-01-01T00:00:00Z", result: true },
    { name: "last hour is 09:00–10:00", expr: "t occurs last hour", t: "2018-08-28T09:30:00Z", result: true },
    { name: "this minute excludes the previous minute", expr: "t occurs this minute", t: "2018-08-28T09:59:59Z", result: false },
    { name: "occurs now matches the instant exactly", expr: "t occurs now", t: "2018-08-28T10:00:00Z", result: true },
    { name: "occurs now does not match 1 ms later", expr: "t occurs now", t: "2018-08-28T10:00:00.001Z", result: false },
    { name: "a date-only reference is a whole day", expr: "t occurs on d", t: "2018-08-20T18:00:00Z", result: true },
    { name: "a missing subject never occurs", expr: "t occurs today", t: null, result: false },
    { name: "not of a missing subject's occurs is true", expr: "not (t occurs today)", t: null, result: true },
    { name: "a non-timestamp string never occurs", expr: "t occurs today", t: "today", result: false },
    { name: "a missing reference never matches", expr: "t occurs on x", t: "2018-08-28T10:00:00Z", result: false },
  ])("$name", run);
});

describe("F4: occurs between REF1 and REF2", () => {
  it.each<OccursCase>([
    { name: "between includes the first day's start", expr: "t occurs between date(2015, 1, 8) and date(2017, 7, 1)", t: "2015-01-08T00:00:00Z", result: true },
    { name: "between excludes the day before", expr: "t occurs between date(2015, 1, 8) and date(2017, 7, 1)", t: "2015-01-07T23:59:59.999Z", result: false },
    { name: "between includes the whole last day", expr: "t occurs between date(2015, 1, 8) and date(2017, 7, 1)", t: "2017-07-01T23:59:59.999Z", result: true },
    { name: "between excludes the day after", expr: "t occurs between date(2015, 1, 8) and date(2017, 7, 1)", t: "2017-07-02T00:00:00Z", result: false },
    { name: "between last month and last week spans 1 Jul – 25 Aug", expr: "t occurs between last month and last week", t: "2018-08-25T23:00:00Z", result: true },
    { name: "between last month and last week excludes this week", expr: "t occurs between last month and last week", t: "2018-08-26T00:00:00Z", result: false },
    { name: "an instant upper bound is inclusive", expr: "t occurs between yesterday and now", t: "2018-08-28T10:00:00Z", result: true },
    { name: "an instant upper bound excludes later times", expr: "t occurs between yesterday and now", t: "2018-08-28T10:00:00.001Z", result: false },
  ])("$name", run);
});

describe("occurs on events", () => {
  const events = [ev("2018-07-15T00:00:00Z"), ev("2018-08-27T12:00:00Z"), ev("2018-08-28T09:00:00Z")];
  it.each([
    { name: "counts events in the last month by calendar", expr: "xEvent[timestamp occurs last month].count() = 1", result: true },
    { name: "counts events within 1 month before today", expr: "xEvent[timestamp occurs <= 1 month before today].count() = 1", result: true },
    { name: "a projected timestamp list is existential", expr: "xEvent.timestamp occurs today", result: true },
    { name: "select with occurs relative to another variable", expr: "select A from xEvent, B from xEvent where B.timestamp occurs < 1 day after A.timestamp and B._id != A._id", result: true },
  ])("$name", ({ expr, result }) => {
    expect(evaluate(expr, {}, events)).toBe(result);
  });
});
