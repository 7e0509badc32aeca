import { describe, expect, it } from "vitest";
import type { JsonObject } from "../xdm/types.js";
import { ev, evaluate, NOW, type EvalCase } from "../../test/pql/fixtures.js";

const john: JsonObject = {
  person: { name: { firstName: "John", lastName: "Doe" }, age: 30, birthYear: 1988, birthDate: "1988-05-01", gender: "male" },
  homeAddress: { countryCode: "US", city: "Los Angeles", stateProvince: "CA" },
  personalEmail: { address: "john@example.edu" },
  workEmail: { address: null },
  favoriteColors: ["red", "blue"],
  visitedCities: [],
  isVip: false,
  loyalty: { tier: "gold", points: 0 },
  orders: [
    { id: "o1", storeId: "s1", price: 50, items: [{ sku: "A", price: 20 }, { sku: "B", price: 30 }] },
    { id: "o2", storeId: "s2", price: 150.5, items: [{ sku: "C", price: 150.5 }] },
  ],
  misc: { zero: 0, empty: "", nul: null, t: true, mixed: [null, "x"], nested: [["a", "b"], ["c"]] },
};

function run(c: EvalCase): void {
  const now = c.now === undefined ? NOW : Date.parse(c.now);
  expect(evaluate(c.expr, c.profile ?? john, c.events ?? [], now)).toBe(c.result);
}

describe("null rules (pql.md §3)", () => {
  it.each<EvalCase>([
    { name: "= with a missing field is false", expr: "person.height = 180", result: false },
    { name: "!= with a missing field is false too", expr: "person.height != 180", result: false },
    { name: "< with a missing field is false", expr: "person.height < 180", result: false },
    { name: "a JSON null behaves like a missing field", expr: 'workEmail.address != "x"', result: false },
    { name: "not of a comparison with a missing field is true", expr: "not (person.height = 180)", result: true },
    { name: "not of a missing field is true", expr: "not person.height", result: true },
    { name: "! is a synonym for not", expr: "!person.height", result: true },
    { name: "in with a missing left side is false", expr: 'person.height in [1, 2]', result: false },
    { name: "notIn with a missing left side is false", expr: 'person.height notIn [1, 2]', result: false },
    { name: "in with a missing right side is false", expr: '"red" in person.colors', result: false },
    { name: "notIn with a missing right side is false", expr: '"red" notIn person.colors', result: false },
    { name: "like with a missing left side is false", expr: 'person.nickname like "%"', result: false },
    { name: "contains on a missing string is false", expr: 'person.nickname.contains("")', result: false },
    { name: "startsWith with a missing argument is false", expr: 'person.name.firstName.startsWith(person.nickname)', result: false },
    { name: "a path through a missing object is missing, not an error", expr: "a.b.c.d = 1", result: false },
    { name: "a path through a string is missing", expr: "person.gender.length = 4", result: false },
    { name: "a comparison of two missing fields is false", expr: "a = b", result: false },
  ])("$name", run);
});

describe("truthiness of bare values (pql.md §3)", () => {
  it.each<EvalCase>([
    { name: "a defined object is true", expr: "person", result: true },
    { name: "a defined nested string is true", expr: "homeAddress.countryCode", result: true },
    { name: "an empty string is still defined, so true", expr: "misc.empty", result: true },
    { name: "zero is defined, so true", expr: "misc.zero", result: true },
    { name: "a missing field is false", expr: "homeAddress.zip", result: false },
    { name: "null is false", expr: "misc.nul", result: false },
    { name: "a false Boolean is false", expr: "isVip", result: false },
    { name: "a true Boolean is true", expr: "misc.t", result: true },
    { name: "not of a false Boolean is true", expr: "not isVip", result: true },
    { name: "a non-empty array is true", expr: "favoriteColors", result: true },
    { name: "an empty array is false", expr: "visitedCities", result: false },
    { name: "xEvent is false without events", expr: "xEvent", events: [], result: false },
    { name: "xEvent is true with an event", expr: "xEvent", events: [ev("2018-08-01T00:00:00Z")], result: true },
    { name: "a literal true is true", expr: "true", result: true },
    { name: "a literal false is false", expr: "false", result: false },
    { name: "and needs both sides", expr: "person and homeAddress.zip", result: false },
    { name: "or needs one side", expr: "homeAddress.zip or person", result: true },
    { name: "the sample's 'has an email and no birth date' is false for John", expr: "personalEmail.address and not person.birthDate", result: false },
  ])("$name", run);
});

describe("comparisons (pql.md §6)", () => {
  it.each<EvalCase>([
    { name: "numbers compare as numbers: 30 = 30.0", expr: "person.age = 30.0", result: true },
    { name: "an integer literal equals a double field value", expr: "orders.price = 50", result: true },
    { name: "> works on numbers", expr: "person.age > 21", result: true },
    { name: ">= includes equality", expr: "person.age >= 30", result: true },
    { name: "<= includes equality", expr: "person.age <= 30", result: true },
    { name: "< is strict", expr: "person.age < 30", result: false },
    { name: "!= on numbers", expr: "person.age != 31", result: true },
    { name: "negative literals parse as numbers", expr: "person.age > -5", result: true },
    { name: "a double literal with a leading dot", expr: "person.age > .45", result: true },
    { name: "a double literal with an exponent", expr: "person.age > 2.02E1", result: true },
    { name: "= on strings is case-sensitive", expr: 'homeAddress.countryCode = "us"', result: false },
    { name: "strings order by UTF-16 code units (upper case first)", expr: '"B" < "a"', result: true },
    { name: "strings order by code units beyond ASCII", expr: '"é" > "z"', result: true },
    { name: "a number never equals a string", expr: 'person.age = "30"', result: false },
    { name: "!= across types is false, not true", expr: 'person.age != "30"', result: false },
    { name: "a Boolean never equals the string \"false\"", expr: 'isVip = "false"', result: false },
    { name: "a Boolean equals a Boolean literal", expr: "isVip = false", result: true },
    { name: "!= on Booleans", expr: "isVip != true", result: true },
    { name: "Booleans have no ordering", expr: "isVip < true", result: false },
    { name: "timestamps compare by instant, not by text", expr: '"2018-08-28T10:00:00+02:00" < "2018-08-28T09:00:00Z"', result: true },
    { name: "equal instants in different offsets are equal", expr: '"2018-08-28T10:00:00+02:00" = "2018-08-28T08:00:00Z"', result: true },
    { name: "a timestamp field equals a timestamp literal by instant", expr: 'loyalty.joinDate = "2015-03-01T01:00:00+01:00"', profile: { loyalty: { joinDate: "2015-03-01T00:00:00Z" } }, result: true },
    { name: "a timestamp field orders against a literal by instant", expr: 'loyalty.joinDate < "2015-03-01T00:30:00+01:00"', profile: { loyalty: { joinDate: "2015-02-28T23:00:00Z" } }, result: true },
    { name: "a timestamp compared with plain text falls back to code units", expr: 'loyalty.joinDate < "a"', profile: { loyalty: { joinDate: "2015-02-28T23:00:00Z" } }, result: true },
    { name: "arrays are equal element by element, in order", expr: 'favoriteColors = ["red", "blue"]', result: true },
    { name: "arrays in another order are not equal", expr: 'favoriteColors = ["blue", "red"]', result: false },
    { name: "!= on arrays", expr: 'favoriteColors != ["blue", "red"]', result: true },
    { name: "two fields compare with each other", expr: "homeAddress.countryCode = homeAddress.countryCode", result: true },
    { name: "a timestamp field is before date(...)", expr: "person.birthDate < date(1990, 1, 1)", result: true },
    { name: "= date(...) means within that UTC day", expr: 'loyalty.joinDate = date(2015, 3, 1)', profile: { loyalty: { joinDate: "2015-03-01T23:59:59Z" } }, result: true },
    { name: "> date(...) means after the whole day", expr: 'loyalty.joinDate > date(2015, 3, 1)', profile: { loyalty: { joinDate: "2015-03-01T23:59:59Z" } }, result: false },
    { name: "<= date(...) includes the whole day", expr: 'loyalty.joinDate <= date(2015, 3, 1)', profile: { loyalty: { joinDate: "2015-03-01T23:59:59Z" } }, result: true },
    { name: "a date on the left is flipped correctly", expr: 'date(2015, 3, 1) < loyalty.joinDate', profile: { loyalty: { joinDate: "2015-03-02T00:00:00Z" } }, result: true },
    { name: "a field compared with now", expr: 'loyalty.joinDate < now', profile: { loyalty: { joinDate: "2018-08-28T09:59:59Z" } }, result: true },
    { name: "a field equal to today", expr: 'loyalty.joinDate = today', profile: { loyalty: { joinDate: "2018-08-28T00:00:00Z" } }, result: true },
    { name: "a non-timestamp string is never before a date", expr: 'homeAddress.city < date(2030, 1, 1)', result: false },
  ])("$name", run);
});

describe("like (pql.md §7)", () => {
  it.each<EvalCase>([
    { name: "% matches any suffix", expr: 'person.name.firstName like "Jo%"', result: true },
    { name: "% matches an empty run", expr: 'person.name.firstName like "John%"', result: true },
    { name: "% on both sides finds a substring", expr: 'homeAddress.city like "%Ange%"', result: true },
    { name: "like is case-sensitive", expr: 'homeAddress.city like "%ange%"', result: false },
    { name: "_ matches exactly one character", expr: 'person.name.firstName like "J_hn"', result: true },
    { name: "_ does not match zero characters", expr: 'person.name.firstName like "Joh_n"', result: false },
    { name: "like matches the whole string", expr: 'person.name.firstName like "Joh"', result: false },
    { name: "regex characters are literal", expr: 'personalEmail.address like "%.edu"', result: true },
    { name: "a dot is not a wildcard", expr: 'personalEmail.address like "john@example_edu"', result: true },
    { name: "a dot in the pattern needs a dot in the text", expr: 'person.name.firstName like "J.hn"', result: false },
    { name: "like on a number is false", expr: 'person.age like "%"', result: false },
    { name: "like with a pattern from a field", expr: "person.name.firstName like person.name.firstName", result: true },
  ])("$name", run);
});

describe("in and notIn (pql.md §9.1)", () => {
  it.each<EvalCase>([
    { name: "in a list literal", expr: 'homeAddress.countryCode in ["US", "CA"]', result: true },
    { name: "not in a list literal", expr: 'homeAddress.countryCode in ["FR", "DE"]', result: false },
    { name: "in compares numbers as numbers", expr: "person.age in [30.0, 40]", result: true },
    { name: "in does not coerce strings to numbers", expr: 'person.age in ["30"]', result: false },
    { name: "in an array field", expr: '"red" in favoriteColors', result: true },
    { name: "in an empty array field is false", expr: '"red" in visitedCities', result: false },
    { name: "in a parenthesised list", expr: 'homeAddress.countryCode in (["US", "CA"])', result: true },
    { name: "in a list with field items", expr: 'homeAddress.countryCode in [homeAddress.stateProvince, "US"]', result: true },
    { name: "notIn a list literal", expr: 'homeAddress.countryCode notIn ["FR", "DE"]', result: true },
    { name: "notIn when the value is listed", expr: 'homeAddress.countryCode notIn ["US"]', result: false },
    { name: "notIn an empty array field is true", expr: '"red" notIn visitedCities', result: true },
    { name: "notIn a non-array is false", expr: '"red" notIn homeAddress', result: false },
    { name: "in with a timestamp list compares instants", expr: '"2018-01-01T01:00:00+01:00" in ["2018-01-01T00:00:00Z"]', result: true },
    { name: "keywords are case-insensitive: NOTIN", expr: 'homeAddress.countryCode NOTIN ["FR"]', result: true },
  ])("$name", run);
});

describe("string functions with the case flag (pql.md §7)", () => {
  it.each<EvalCase>([
    { name: "contains is case-sensitive by default", expr: 'homeAddress.city.contains("angeles")', result: false },
    { name: "contains with false ignores case", expr: 'homeAddress.city.contains("angeles", false)', result: true },
    { name: "contains with true is case-sensitive", expr: 'homeAddress.city.contains("Angeles", true)', result: true },
    { name: "startsWith matches a prefix", expr: 'person.name.firstName.startsWith("Jo")', result: true },
    { name: "startsWith is case-sensitive by default", expr: 'person.name.firstName.startsWith("jo")', result: false },
    { name: "startsWith with false ignores case", expr: 'person.name.firstName.startsWith("JO", false)', result: true },
    { name: "endsWith matches a suffix", expr: 'personalEmail.address.endsWith(".edu")', result: true },
    { name: "endsWith with false ignores case", expr: 'personalEmail.address.endsWith(".EDU", false)', result: true },
    { name: "the empty string is contained in any string", expr: 'homeAddress.city.contains("")', result: true },
    { name: "a string function on a number is false", expr: 'person.age.contains("3")', result: false },
    { name: "a non-Boolean flag makes the predicate false", expr: 'homeAddress.city.contains("L", homeAddress.city)', result: false },
    { name: "the flag may come from a field", expr: 'homeAddress.city.contains("los", isVip)', result: true },
    { name: "the argument may come from a field", expr: 'personalEmail.address.startsWith(person.name.firstName, false)', result: true },
  ])("$name", run);
});

describe("paths through arrays are existential (pql.md §4)", () => {
  it.each<EvalCase>([
    { name: "some order item has sku C", expr: 'orders.items.sku = "C"', result: true },
    { name: "no order item has sku Z", expr: 'orders.items.sku = "Z"', result: false },
    { name: "some order costs more than 100", expr: "orders.price > 100", result: true },
    { name: "!= is existential too: some sku is not A", expr: 'orders.items.sku != "A"', result: true },
    { name: "in is existential", expr: 'orders.storeId in ["s2"]', result: true },
    { name: "like is existential", expr: 'orders.items.sku like "_"', result: true },
    { name: "string functions are existential", expr: 'orders.id.endsWith("2")', result: true },
    { name: "the projected list counts every leaf", expr: "orders.items.sku.count() = 3", result: true },
    { name: "a bare projected path is true when some leaf is truthy", expr: "orders.items.sku", result: true },
    { name: "nested arrays are flattened", expr: 'misc.nested = [["a", "b"], ["c"]]', result: true },
    { name: "a projected path drops missing values", expr: "misc.objs.v.count() = 2", profile: { misc: { objs: [{ v: 1 }, { w: 2 }, { v: null }, { v: [3] }] } }, result: true },
    { name: "a stored array keeps its nulls when counted", expr: "misc.mixed.count() = 2", result: true },
    { name: "xEvent.f is the list of f across events", expr: 'xEvent.eventType = "commerce.purchases"', events: [ev("2018-08-01T00:00:00Z"), ev("2018-08-02T00:00:00Z", "commerce.purchases")], result: true },
    { name: "xEvent.f with deeper paths", expr: "xEvent.commerce.order.priceTotal > 100", events: [ev("2018-08-01T00:00:00Z", "commerce.purchases", { commerce: { order: { priceTotal: 120 } } })], result: true },
    { name: "an existential comparison over no events is false", expr: 'xEvent.eventType = "x"', events: [], result: false },
    { name: "a field named like an Object.prototype member is looked up as data", expr: 'misc.constructor = "x"', result: false },
    { name: "a data field named constructor is found", expr: 'misc.constructor = "x"', profile: { misc: { constructor: "x" } }, result: true },
  ])("$name", run);
});

const purchases = [
  ev("2018-07-01T10:00:00Z", "commerce.purchases", { commerce: { order: { priceTotal: 20, currencyCode: "USD" } } }),
  ev("2018-08-01T10:00:00Z", "commerce.productListAdds", { productListItems: [{ SKU: "PS", name: "PlayStation" }] }),
  ev("2018-08-20T10:00:00Z", "commerce.purchases", { commerce: { order: { priceTotal: 600, currencyCode: "USD" } }, productListItems: [{ SKU: "PS" }] }),
  ev("2018-08-27T10:00:00Z", "commerce.purchases", { commerce: { order: { priceTotal: 80, currencyCode: "EUR" } } }),
  ev("2018-08-28T09:00:00Z", "web.webpagedetails.pageViews", { device: { type: "mobile" } }),
];

describe("events: xEvent filters and count (pql.md §9.3)", () => {
  it.each<EvalCase>([
    { name: "three purchases count as more than 2", expr: 'xEvent[eventType = "commerce.purchases"].count() > 2', events: purchases, result: true },
    { name: "three purchases are not more than 3", expr: 'xEvent[eventType = "commerce.purchases"].count() > 3', events: purchases, result: false },
    { name: "count of a filter with no match is 0", expr: 'xEvent[eventType = "nope"].count() = 0', events: purchases, result: true },
    { name: "a filter in Boolean position is true when something matches", expr: 'xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 500]', events: purchases, result: true },
    { name: "a filter with no match is false", expr: 'xEvent[commerce.order.priceTotal > 1000]', events: purchases, result: false },
    { name: "filter conditions combine time and fields", expr: 'xEvent[eventType = "commerce.purchases" and timestamp occurs last month].count() = 1', events: purchases, result: true },
    { name: "a nested filter on productListItems", expr: 'xEvent[productListItems[SKU = "PS"]].count() = 2', events: purchases, result: true },
    { name: "a projection after a filter", expr: 'xEvent[eventType = "commerce.purchases"].commerce.order.currencyCode = "EUR"', events: purchases, result: true },
    { name: "a filter over a profile array", expr: "orders[price > 100].count() = 1", result: true },
    { name: "count of a profile array", expr: "favoriteColors.count() = 2", result: true },
    { name: "count of a missing array is null, so comparisons are false", expr: "person.pets.count() = 0", result: false },
    { name: "the sample 'big spender' segment", expr: 'xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 500].count() > 0', events: purchases, result: true },
  ])("$name", run);
});

describe("select (pql.md §12.1)", () => {
  it.each<EvalCase>([
    { name: "select is true when some event qualifies", expr: 'select X from xEvent where X.eventType = "commerce.purchases"', events: purchases, result: true },
    { name: "select is false when nothing qualifies", expr: 'select X from xEvent where X.eventType = "nope"', events: purchases, result: false },
    { name: "select without where is true for any event", expr: "select X from xEvent", events: purchases, result: true },
    { name: "select over no events is false", expr: "select X from xEvent", events: [], result: false },
    { name: "select combined with a profile condition", expr: 'homeAddress.countryCode = "US" and (select X from xEvent where X.eventType = "commerce.purchases" and X.timestamp occurs last month)', events: purchases, result: true },
    { name: "a purchase followed within 10 days by another purchase", expr: 'select A from xEvent where A.eventType = "commerce.purchases", B from xEvent where B.eventType = "commerce.purchases" and B.timestamp occurs <= 10 days after A.timestamp and B._id != A._id', events: purchases, result: true },
    { name: "no purchase followed within 2 days by another", expr: 'select A from xEvent where A.eventType = "commerce.purchases", B from xEvent where B.eventType = "commerce.purchases" and B.timestamp occurs <= 2 days after A.timestamp and B._id != A._id', events: purchases, result: false },
    { name: "a second variable ranging over the first one's items", expr: 'select X from xEvent where X.eventType = "commerce.purchases", I from X.productListItems where I.SKU = "PS"', events: purchases, result: true },
    { name: "the second variable's condition can fail", expr: 'select X from xEvent where X.eventType = "commerce.productListAdds", I from X.productListItems where I.SKU = "XX"', events: purchases, result: false },
    { name: "a select's count is its number of tuples", expr: '(select X from xEvent where X.eventType = "commerce.purchases").count() = 3', events: purchases, result: true },
    { name: "a select over a profile array", expr: 'select O from orders where O.price > 100', result: true },
    { name: "bare names in a where clause are profile fields", expr: 'select X from xEvent where X.device.type = "mobile" and homeAddress.countryCode = "US"', events: purchases, result: true },
    { name: "cart abandoners: an add in the last 7 days and no purchase", expr: '(select A from xEvent where A.eventType = "commerce.productListAdds" and A.timestamp occurs <= 7 days before now) and not (select P from xEvent where P.eventType = "commerce.purchases" and P.timestamp occurs <= 7 days before now)', events: [ev("2018-08-25T00:00:00Z", "commerce.productListAdds")], result: true },
    { name: "not a cart abandoner when a purchase followed", expr: '(select A from xEvent where A.eventType = "commerce.productListAdds" and A.timestamp occurs <= 7 days before now) and not (select P from xEvent where P.eventType = "commerce.purchases" and P.timestamp occurs <= 7 days before now)', events: [ev("2018-08-25T00:00:00Z", "commerce.productListAdds"), ev("2018-08-26T00:00:00Z", "commerce.purchases")], result: false },
  ])("$name", run);
});

describe("precedence (pql.md §17)", () => {
  it.each<EvalCase>([
    { name: "and binds tighter than or", expr: "true or false and false", result: true },
    { name: "parentheses override precedence", expr: "(true or false) and false", result: false },
    { name: "not binds tighter than and", expr: "not false and false", result: false },
    { name: "not applies to the whole comparison", expr: "not person.age = 31", result: true },
    { name: "keywords are case-insensitive", expr: "TRUE AND NOT FALSE Or false", result: true },
    { name: "keywords can be member names after a dot", expr: 'misc.select.from.in = 1', profile: { misc: { select: { from: { in: 1 } } } }, result: true },
  ])("$name", run);
});

describe("a compiled predicate", () => {
  it("can be evaluated many times against different profiles and clocks", () => {
    const f = evaluate;
    expect(f("person.age > 21", { person: { age: 22 } })).toBe(true);
    expect(f("person.age > 21", { person: { age: 20 } })).toBe(false);
  });

  it("is reusable: one compile, many contexts", async () => {
    const { compilePql, parsePql } = await import("./index.js");
    const pred = compilePql(parsePql('xEvent[timestamp occurs today].count() = 1'));
    const events = [ev("2018-08-28T01:00:00Z")];
    expect(pred({ profile: {}, events, now: NOW })).toBe(true);
    expect(pred({ profile: {}, events, now: NOW + 86_400_000 })).toBe(false);
    expect(pred({ profile: {}, events: [], now: NOW })).toBe(false);
  });
});

describe("this (pql.md §9.3)", () => {
  it("refuses a this with no element around it when compiling an unchecked tree (PQL-C001)", async () => {
    const { compilePql, parsePql, PqlError } = await import("./index.js");
    let error: unknown;
    try {
      compilePql(parsePql("person.age > 1 and this.a"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PqlError);
    expect(error).toMatchObject({ code: "PQL-C001", location: { line: 1, column: 20 } });
  });

  it("is the element in a predicate as in a value, and one compile serves many profiles", async () => {
    const { compilePql, parsePql } = await import("./index.js");
    const pred = compilePql(parsePql('orders[this.items[this.price > 100]].count() = 1'));
    expect(pred({ profile: john, events: [], now: NOW })).toBe(true);
    expect(pred({ profile: { orders: [] }, events: [], now: NOW })).toBe(false);
  });

  it("traces as part of the construct that binds it (explain)", async () => {
    const { parsePql, tracePql } = await import("./index.js");
    const trace = tracePql(parsePql("orders.map(this.price).count() = 2"), { profile: john, events: [], now: NOW });
    expect(trace.value).toBe(true);
    expect(trace.children.map((c) => [c.text, c.value])).toEqual([["orders.map(this.price).count()", 2]]);
  });
});
