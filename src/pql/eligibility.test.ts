import { describe, expect, it } from "vitest";
import { classifyEvaluation, parsePql } from "./index.js";

interface Case {
  readonly name: string;
  readonly expr: string;
  readonly streaming: boolean;
  readonly edge: boolean;
}

describe("classifyEvaluation (pql.md §14)", () => {
  it.each<Case>([
    { name: "a single profile attribute", expr: 'homeAddress.countryCode = "US"', streaming: true, edge: true },
    { name: "a profile attribute with equals(…, false)", expr: 'homeAddress.country.equals("US", false)', streaming: true, edge: true },
    { name: "a single event with no time limit (edge only)", expr: 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")])', streaming: false, edge: true },
    { name: "a single event within 8 days (edge only)", expr: 'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 8 days before now)])', streaming: false, edge: true },
    { name: "a single event today", expr: 'CHAIN(xEvent, timestamp, [C0: WHAT(eventType = "addToCart") WHEN(today)])', streaming: true, edge: true },
    { name: "profile + single event within 24 h", expr: 'homeAddress.countryCode = "US" and chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(<= 24 hours before now)])', streaming: true, edge: true },
    { name: "profile + negated event", expr: 'homeAddress.countryCode = "US" and not (chain(xEvent, timestamp, [A: WHAT(eventType = "x") WHEN(< 24 hours before now)]))', streaming: false, edge: false },
    { name: "frequency within 24 h", expr: 'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5)])', streaming: true, edge: true },
    { name: "frequency without a window", expr: 'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") COUNT(5)])', streaming: false, edge: false },
    { name: "two events each within 24 h", expr: 'chain(xEvent, timestamp, [C0: WHAT(eventType = "a") WHEN(today), C1: WHAT(eventType = "b") WHEN(today)])', streaming: true, edge: true },
    { name: "two events, one with a long window", expr: 'chain(xEvent, timestamp, [C0: WHAT(eventType = "a") WHEN(< 3 days before now), C1: WHAT(eventType = "b") WHEN(today)])', streaming: false, edge: false },
    { name: "segment of segments", expr: 'inSegment("a") and inSegment("b")', streaming: true, edge: true },
    { name: "an event combined with inSegment", expr: 'inSegment("e3be") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])', streaming: false, edge: false },
    { name: "an xEvent filter with a count", expr: 'xEvent[eventType = "x"].count() > 2', streaming: false, edge: false },
    { name: "a select over xEvent", expr: "select X from xEvent where X.timestamp occurs today", streaming: false, edge: false },
    { name: "an aggregate over events", expr: "(sum X.commerce.order.priceTotal over X from xEvent) > 100", streaming: false, edge: false },
    { name: "a window given by an absolute date", expr: "chain(xEvent, timestamp, [A: WHEN(after date(2020, 1, 1))])", streaming: false, edge: false },
    { name: "this in a chain step (the event)", expr: 'CHAIN(xEvent, timestamp, [C0: WHAT(this.eventType = "addToCart") WHEN(today)])', streaming: true, edge: true },
    { name: "this over a profile array", expr: "favoriteColors[this = \"red\"].count() > 0", streaming: true, edge: true },
    { name: "this in groups of events", expr: 'xEvent.groupBy(eventType).map({"n": this.count()}).count() > 1', streaming: false, edge: false },
  ])("$name", ({ expr, streaming, edge }) => {
    const e = classifyEvaluation(parsePql(expr));
    expect({ streaming: e.streaming, edge: e.edge }).toEqual({ streaming, edge });
    expect(e.batch).toBe(true);
    expect(e.reasons.length === 0).toBe(streaming && edge);
  });

  it("explains what rules a method out", () => {
    expect(classifyEvaluation(parsePql('xEvent[eventType = "x"]')).reasons).toEqual([
      "event history is read outside chain(...) (an xEvent filter, path, select, quantifier or aggregate): batch only",
    ]);
    expect(classifyEvaluation(parsePql('chain(xEvent, timestamp, [A: WHAT(eventType = "x")])')).reasons).toEqual([
      "streaming: chain step 'A' has no time window",
    ]);
  });
});
