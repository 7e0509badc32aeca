/**
 * Counted event conditions: which nodes a segment pass counts (only conditions of the event alone, where the profile
 * is the implicit context), and that the counts give the closure compiler's answers — on profiles with no events,
 * events missing the fields read, and conditions with nested filters, variables and the clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalise, runClosure, SqlRunner, type Input } from "../../test/sql/harness.js";
import { parsePql } from "../pql/index.js";
import type { JsonObject } from "../xdm/types.js";
import { countedEventNodes, EventCounts } from "./event-counts.js";

const counted = (pql: string): number => countedEventNodes(parsePql(pql)).size;

describe("which event conditions are counted", () => {
  it.each([
    ['xEvent[eventType = "commerce.purchases"].count() > 0', 1],
    ["xEvent.count() >= 2", 1],
    ['xEvent[eventType = "a"]', 1],
    ['select X from xEvent where X.eventType = "a"', 1],
    ["select X from xEvent", 1],
    ['exists X from xEvent where X.eventType = "a"', 1],
    ['(select X from xEvent where X.eventType = "a").count() = 2', 1],
    ['not xEvent[eventType = "a"] and xEvent[eventType = "b"].count() + xEvent.count() > 3', 3],
    ['xEvent[productListItems[quantity > 2 and ^.eventType = "a"]].count() > 0', 0],
    ['xEvent[eventType = "a" and timestamp occurs < 7 days before now].count() > 0', 1],
    ['xEvent[let t = "a" in eventType = t].count() > 0', 1],
    ['xEvent[productListItems.map((p) => p.SKU).includes("x")].count() > 0', 1],
  ])("%s: %i", (pql, n) => expect(counted(pql)).toBe(n));

  it.each([
    // Reads the profile: an up-reference, the implicit context of a select, inSegment, a variable bound outside.
    ['xEvent[^.homeAddress.countryCode = "US"].count() > 0'],
    ['select X from xEvent where X.eventType = homeAddress.city'],
    ['xEvent[inSegment("s1")].count() > 0'],
    ['let t = "a" in xEvent[eventType = t].count() > 0'],
    ['xEvent[eventType = $1.homeAddress.city].count() > 0'],
    // Not where the profile is the implicit context, or not a count of events passing a condition.
    ['orders[xEvent.count() > 0]'],
    ['(P) => P.xEvent.count() > 0'],
    ['xEvent[eventType = "a"].map((e) => e.timestamp).count() > 0'],
    ['forall X from xEvent where X.eventType = "a"'],
    ['select X from xEvent, Y from xEvent where X.eventType = Y.eventType'],
    ['xEvent[eventType = "a"] = []'],
  ])("%s: none", (pql) => expect(counted(pql)).toBe(0));

  it("tells a variable bound inside a condition from an outer one of the same name", () => {
    // The second `t` is the let's own inside, but the first is outside it: bound only outside the condition.
    expect(counted('let t = "a" in xEvent[(let t = "b" in eventType = t) or eventType = t].count() > 0')).toBe(0);
    expect(counted('xEvent[(let t = "b" in eventType = t) or eventType = "c"].count() > 0')).toBe(1);
  });
});

describe("EventCounts", () => {
  it("numbers each condition once and forgets what a refused segment added", () => {
    const counts = new EventCounts();
    expect([counts.add("a"), counts.add("b"), counts.add("a")]).toEqual([0, 1, 0]);
    const mark = counts.size;
    counts.add("c");
    counts.add("b");
    counts.truncate(mark);
    expect(counts.conditions()).toEqual(["a", "b"]);
    expect(counts.add("d")).toBe(2);
  });
});

const EVENTS: JsonObject[] = [
  { _id: "e1", timestamp: "2018-08-27T09:00:00Z", eventType: "commerce.purchases", commerce: { order: { priceTotal: 250 } }, device: { type: "mobile" } },
  { _id: "e2", timestamp: "2018-08-01T10:00:00Z", eventType: "commerce.purchases", commerce: { order: { priceTotal: 20 } } },
  { _id: "e3", timestamp: "2018-08-28T08:00:00Z", eventType: "commerce.productViews", productListItems: [{ SKU: "x", quantity: 3 }, { SKU: "y" }] },
  { _id: "e4", timestamp: "2018-06-28T08:00:00Z", eventType: "commerce.productViews", productListItems: [] },
  { _id: "e5", timestamp: "2018-08-28T09:59:00Z" },
];
const INPUTS: Array<readonly [string, Input]> = [
  ["five events", { profile: { homeAddress: { countryCode: "US" } }, events: EVENTS, now: "2018-08-28T10:00:00Z", segments: [] }],
  ["no events", { profile: { homeAddress: { countryCode: "US" } }, events: [], now: "2018-08-28T10:00:00Z", segments: [] }],
  ["one bare event", { profile: {}, events: [{ _id: "b1", timestamp: "2018-08-20T00:00:00Z" }], now: "2018-08-28T10:00:00Z", segments: [] }],
];
const EXPRESSIONS = [
  'xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 100].count() > 0',
  'xEvent[eventType = "commerce.purchases"].count() >= 2',
  "xEvent.count() = 5",
  'xEvent[commerce.order.priceTotal < 100].count() = 1',
  'not xEvent[device.type = "mobile"]',
  'xEvent[eventType != "commerce.purchases"].count() = 3',
  'select X from xEvent where X.eventType = "commerce.productViews" and X.timestamp occurs < 7 days before now',
  'exists X from xEvent where X.productListItems[quantity > 2]',
  'xEvent[productListItems[SKU = "y"].count() = 1].count() = 1',
  'xEvent[timestamp occurs this month].count() * 2 > xEvent.count()',
  'homeAddress.countryCode = "US" or xEvent[let t = "commerce.productViews" in eventType = t].count() = 2',
  '(select X from xEvent where X.eventType.startsWith("commerce")).count() = 4',
];

let runner: SqlRunner;
beforeAll(async () => {
  runner = await SqlRunner.open();
});
afterAll(() => runner.close());

describe("counted conditions give the closure compiler's answers", () => {
  it.each(INPUTS.flatMap(([name, input]) => EXPRESSIONS.map((expr) => ({ name, input, expr }))))("$name: $expr", async ({ input, expr }) => {
    expect(counted(expr)).toBeGreaterThan(0);
    const outcome = await runner.run(expr, input, true, true);
    if (outcome.kind === "refused") throw new Error(`${expr} refused: ${outcome.code} ${outcome.message}`);
    expect(outcome.sql).toContain("xEventCounts");
    expect(normalise(outcome.value), outcome.sql).toEqual(normalise(runClosure(expr, input, true)));
  });
});
