import { describe, expect, it } from "vitest";
import { TEST_SCHEMA } from "../../test/pql/fixtures.js";
import { checkPql, compileSegmentExpression, parsePql, PqlError } from "./index.js";

function check(expr: string): PqlError[] {
  return checkPql(parsePql(expr), TEST_SCHEMA, expr, "segment.pql");
}

describe("checkPql accepts valid expressions", () => {
  it.each([
    'homeAddress.countryCode = "US" and person.age > 30',
    'person.name.firstName in ["Robert", "Bob"]',
    'personalEmail.address.endsWith(".edu")',
    'personalEmail.address like "%@example.com"',
    "personalEmail.address and not person.birthDate",
    "loyalty.joinDate occurs between date(2012, 1, 1) and date(2016, 12, 31)",
    'xEvent[eventType = "commerce.purchases" and commerce.order.priceTotal > 500].count() > 0',
    'select X from xEvent where X.eventType = "commerce.purchases" and X.device.type = "mobile" and X.timestamp occurs before today',
    'select X from xEvent where X.eventType = "a", I from X.productListItems where I.SKU = "PS"',
    'xEvent[productListItems[SKU = "PS"]]',
    'identityMap.ECID.id = "123"',
    'segmentMembership.ups.seg1.status in ["realized", "existing"]',
    '"red" in favoriteColors',
    'orders.items.sku = "A"',
    "loyalty.joinDate > date(2015, 1, 1)",
    'loyalty.joinDate < "2015-01-01T00:00:00Z"',
    "person.birthDate occurs = 3 days before today",
    "_repo.modifyDate occurs after date(2019, 4, 1)",
    "xEvent.timestamp occurs last month",
    "orders.price > 1",
    "xEvent",
    'favoriteColors = ["red", "blue"]',
    "person.age = 30.5",
  ])("%s", (expr) => {
    expect(check(expr).map((e) => e.format())).toEqual([]);
  });
});

interface CheckCase {
  readonly name: string;
  readonly expr: string;
  readonly code: string;
  readonly message: string;
  readonly column: number;
}

describe("checkPql reports", () => {
  it.each<CheckCase>([
    { name: "an unknown profile field with a suggestion", expr: "persn.age > 3", code: "PQL-T001", message: "unknown profile field 'persn'; did you mean 'person'?", column: 1 },
    { name: "a wrongly capitalised field with a suggestion", expr: "Person.age = 1", code: "PQL-T001", message: "unknown profile field 'Person'; did you mean 'person'?", column: 1 },
    { name: "an unknown nested field with a suggestion", expr: 'homeAddress.countryCod = "US"', code: "PQL-T001", message: "unknown profile field 'countryCod' in 'homeAddress'; did you mean 'countryCode'?", column: 13 },
    { name: "an unknown field with no close match and no suggestion", expr: "zzzzzzzz = 1", code: "PQL-T001", message: "unknown profile field 'zzzzzzzz'", column: 1 },
    { name: "an event field used outside an event context", expr: 'eventType = "x"', code: "PQL-T002", message: "'eventType' is an ExperienceEvent field, not a profile field; use it inside xEvent[…] or through a select variable (select X from xEvent where X.eventType …)", column: 1 },
    { name: "an unknown field inside an xEvent filter", expr: 'xEvent[eventTyp = "x"].count() > 1', code: "PQL-T003", message: "unknown ExperienceEvent field 'eventTyp'; did you mean 'eventType'?", column: 8 },
    { name: "an unknown member of xEvent", expr: "xEvent.eventTyp = 1", code: "PQL-T003", message: "unknown ExperienceEvent field 'eventTyp' in 'xEvent'; did you mean 'eventType'?", column: 8 },
    { name: "an unknown field of a select variable", expr: "select X from xEvent where X.comerce.order.priceTotal > 1", code: "PQL-T003", message: "unknown ExperienceEvent field 'comerce' in 'X'; did you mean 'commerce'?", column: 30 },
    { name: "a profile field inside an xEvent filter", expr: "xEvent[person.age > 1]", code: "PQL-T003", message: "unknown ExperienceEvent field 'person'; inside xEvent[…] the context is the element: did you mean the profile field '^.person'?", column: 8 },
    { name: "a profile field two levels down", expr: "xEvent[productListItems[person.age > 1]]", code: "PQL-T003", message: "unknown ExperienceEvent field 'person'; inside xEvent[…] the context is the element: did you mean the profile field '^^.person'?", column: 25 },
    { name: "a numeric field compared with a string", expr: 'person.age > "30"', code: "PQL-T004", message: 'cannot compare int field \'person.age\' with string "30"', column: 14 },
    { name: "a string field compared with a number", expr: "homeAddress.city = 3", code: "PQL-T004", message: "cannot compare string field 'homeAddress.city' with integer 3", column: 20 },
    { name: "a Boolean compared with the string \"true\"", expr: 'isVip = "true"', code: "PQL-T004", message: 'cannot compare boolean field \'isVip\' with string "true"', column: 9 },
    { name: "a projected list compared with the wrong type", expr: "orders.items.sku = 1", code: "PQL-T004", message: "cannot compare string values of 'orders.items.sku' with integer 1", column: 20 },
    { name: "a timestamp compared with text that is no timestamp", expr: 'loyalty.joinDate > "yesterday"', code: "PQL-T004", message: "\"yesterday\" is not an RFC 3339 timestamp, so it cannot be compared with date-time field 'loyalty.joinDate'", column: 20 },
    { name: "ordering on Booleans", expr: "isVip < true", code: "PQL-T004", message: "booleans can only be compared with = or !=, not <", column: 1 },
    { name: "a list item of the wrong type in 'in'", expr: 'person.age in ["a", 1]', code: "PQL-T004", message: "cannot compare int field 'person.age' with string \"a\"", column: 16 },
    { name: "'in' with a non-list right side", expr: '"a" in homeAddress', code: "PQL-T007", message: "the right side of 'in' must be a list, but object field 'homeAddress' is not one", column: 8 },
    { name: "'in' with an array on the left", expr: '"a" in favoriteColors and favoriteColors in ["a"]', code: "PQL-T004", message: "'in' tests a single value, but array<string> field 'favoriteColors' is not one", column: 27 },
    { name: "a field below a scalar", expr: "homeAddress.countryCode.x = 1", code: "PQL-T004", message: "'homeAddress.countryCode' is a string; it has no field 'x'", column: 25 },
    { name: "like on a number", expr: 'person.age like "3%"', code: "PQL-T004", message: "the left side of 'like' must be a string, not int field 'person.age'", column: 1 },
    { name: "a string function on a number", expr: 'person.age.contains("3")', code: "PQL-T004", message: "the receiver of contains() must be a string, not int field 'person.age'", column: 1 },
    { name: "a non-Boolean case flag", expr: 'homeAddress.city.contains("a", "b")', code: "PQL-T006", message: 'the case-sensitivity flag of contains() must be true or false, not string "b"', column: 32 },
    { name: "startsWith without arguments", expr: "homeAddress.city.startsWith()", code: "PQL-T005", message: "startsWith() takes 1 or 2 arguments (text [, caseSensitive]), got 0", column: 18 },
    { name: "endsWith with three arguments", expr: 'homeAddress.city.endsWith("a", true, 1)', code: "PQL-T005", message: "endsWith() takes 1 or 2 arguments (text [, caseSensitive]), got 3", column: 18 },
    { name: "count with an argument", expr: "favoriteColors.count(1) > 0", code: "PQL-T005", message: "count() takes no arguments, got 1", column: 16 },
    { name: "count on an object", expr: "person.count() > 0", code: "PQL-T007", message: "count() needs an array, but object field 'person' is not one", column: 8 },
    { name: "a filter on an object", expr: "person[age > 1]", code: "PQL-T007", message: "a filter '[…]' needs an array, but object field 'person' is not one", column: 1 },
    { name: "select from a non-array", expr: "select X from homeAddress", code: "PQL-T007", message: "'select X from …' needs an array, but object field 'homeAddress' is not one", column: 15 },
    { name: "date with two arguments", expr: "person.birthDate occurs date(2018, 2)", code: "PQL-T005", message: "date() takes 3 arguments (year, month, day), got 2", column: 25 },
    { name: "date with a day that does not exist", expr: "person.birthDate occurs date(2018, 2, 30)", code: "PQL-T006", message: "day 30 does not exist in 2018-02", column: 39 },
    { name: "date with month 13", expr: "person.birthDate occurs date(2018, 13, 1)", code: "PQL-T006", message: "month 13 is not in 1–12", column: 36 },
    { name: "date with a string argument", expr: 'person.birthDate occurs date("2018", 1, 1)', code: "PQL-T006", message: 'date() takes integers, not string "2018"', column: 30 },
    { name: "occurs on an object", expr: "person.name occurs today", code: "PQL-T004", message: "the subject of 'occurs' must be a timestamp, not object field 'person.name'", column: 1 },
    { name: "occurs on a Boolean", expr: "isVip occurs today", code: "PQL-T004", message: "the subject of 'occurs' must be a timestamp, not boolean field 'isVip'", column: 1 },
    { name: "an occurs reference that is not a timestamp", expr: 'loyalty.joinDate occurs before "soon"', code: "PQL-T004", message: "an 'occurs' reference must be a timestamp, but \"soon\" is not an RFC 3339 timestamp", column: 32 },
  ])("$name", ({ expr, code, message, column }) => {
    const errors = check(expr);
    expect(errors.map((e) => `${e.code} ${e.message}`)).toEqual([`${code} ${message}`]);
    const [e] = errors;
    expect(e?.location).toEqual({ file: "segment.pql", line: 1, column });
    expect(e?.detail).toContain(`> 1 | ${expr}`);
  });

  it("reports every error, in source order", () => {
    const errors = check('persn.age = 1 and homeAddress.city = 3 and xEvent[eventTyp = "x"]');
    expect(errors.map((e) => e.code)).toEqual(["PQL-T001", "PQL-T004", "PQL-T003"]);
  });

  it("reports errors in nested selects and filters", () => {
    const errors = check('select X from xEvent where X.timestamp occurs today, I from X.productListItems where I.sku = "PS"');
    expect(errors.map((e) => e.message)).toEqual(["unknown ExperienceEvent field 'sku' in 'I'; did you mean 'SKU'?"]);
  });
});

describe("checkPql on the whole language", () => {
  it.each([
    'person.birthYear - (person.age + 2) * 3 > 1900',
    'orders.sum(price) > 100 and orders.topN(price, 2).head().id = "o1"',
    'orders.groupBy(storeId).map((K, G) => mapEntry(K, G.count())).get("s1") > 1',
    'xEvent[productListItems[SKU = "PS" or ^^.person.gender = "female"]]',
    "(P) => P.person.age > 18 and P.xEvent.count() > 1",
    "let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = \"USD\") in (S > 100 and S < 1000)",
    'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 24 hours before now) COUNT(2), B: WHERE(commerce.order.priceTotal > 10)])',
    'forall X from xEvent : X.eventType = "a"',
    'identityMap.get("ECID").head().id.isNotNull() and segmentMembership.get("ups").values().exists(status = "realized")',
    'person.name.firstName matches "(?i)^jo" and personalEmail.address.regexGroup("@([a-z]+)", 1) = "x"',
    'person.birthDate.getMonth() = currentMonth() and inSegment("abc")',
    '$1.person.age = 30 and if(isVip, 1, 2) = 1',
    'orders.filter((o) => o.price > 10).map({"id": id}).count() > 0',
  ])("%s", (expr) => {
    expect(check(expr).map((e) => e.format())).toEqual([]);
  });

  it.each<CheckCase>([
    { name: "arithmetic on a string field", expr: "homeAddress.city * 2 > 1", code: "PQL-T004", message: "the left operand of '*' must be a number, not string field 'homeAddress.city'", column: 1 },
    { name: "an unknown field inside a per-element argument", expr: "orders.sum(prices) > 1", code: "PQL-T001", message: "unknown profile field 'prices'; did you mean 'price'?", column: 12 },
    { name: "an unknown field of a lambda parameter", expr: "orders.filter((o) => o.prise > 1)", code: "PQL-T001", message: "unknown profile field 'prise' in 'o'; did you mean 'price'?", column: 24 },
    { name: "an event field through a top-level lambda", expr: '(P) => P.eventType = "x"', code: "PQL-T002", message: "'eventType' is an ExperienceEvent field, not a profile field; use it inside xEvent[…] or through a select variable (select X from xEvent where X.eventType …)", column: 10 },
    { name: "a let name misspelt", expr: "let Total = 1 in Totl > 0", code: "PQL-T001", message: "unknown profile field 'Totl'; did you mean 'Total'?", column: 18 },
    { name: "a second positional parameter", expr: "$2.a = 1", code: "PQL-T008", message: "a segment expression has one parameter, the profile ($1); there is no $2", column: 1 },
    { name: "a misplaced lambda", expr: "favoriteColors = ((c) => c)", code: "PQL-T009", message: "a lambda is only allowed as the whole expression or as the argument of filter, map, groupBy, topN, bottomN, sum, average, min, max or exists", column: 19 },
    { name: "an up reference past the profile", expr: "xEvent[^^.a = 1]", code: "PQL-T009", message: "'^^' climbs 2 levels up, but only 1 enclosing context is here (each filter '[…]' or per-element argument is one level; the profile is the top)", column: 8 },
    { name: "a Java-only regex", expr: 'homeAddress.city matches "a++"', code: "PQL-T010", message: "invalid regex \"a++\": possessive quantifiers ('*+', '++', '?+', '{n}+') are Java-only", column: 26 },
    { name: "topN with a non-integer count", expr: "orders.topN(price, 1.5)", code: "PQL-T006", message: "the count of topN() must be a non-negative integer, not number 1.5", column: 20 },
    { name: "an unknown chain time field", expr: 'chain(xEvent, timestmp, [A: WHAT(eventType = "x")])', code: "PQL-T003", message: "unknown ExperienceEvent field 'timestmp' used as the chain's time field; did you mean 'timestamp'?", column: 1 },
    { name: "sum over strings", expr: "sum X.eventType over X from xEvent", code: "PQL-T004", message: "the value of 'sum … over' must be a number, not string field 'X.eventType'", column: 5 },
    { name: "inSegment with a number", expr: "inSegment(1)", code: "PQL-T004", message: "the argument of inSegment() must be a string, not integer 1", column: 11 },
    { name: "get on a number", expr: 'person.age.get("a")', code: "PQL-T004", message: "get() needs a map or an object, but int field 'person.age' is not one", column: 12 },
    { name: "if with two arguments", expr: "if(isVip, 1) = 1", code: "PQL-T005", message: "if() takes 3 arguments (test, whenTrue, whenFalse), got 2", column: 1 },
  ])("$name", ({ expr, code, message, column }) => {
    const errors = check(expr);
    expect(errors.map((e) => `${e.code} ${e.message}`)).toEqual([`${code} ${message}`]);
    expect(errors[0]?.location.column).toBe(column);
  });

  it("reports every error of a large expression at once", () => {
    const errors = check('persn.age = 1 and orders.sum(prce) > "x" and xEvent[eventTyp = "a"].count(1) > 0 and homeAddress.city matches "a*+" and $3.a');
    expect(errors.map((e) => e.code)).toEqual(["PQL-T001", "PQL-T001", "PQL-T004", "PQL-T003", "PQL-T005", "PQL-T010", "PQL-T008"]);
  });
});

describe("checkPql on this (pql.md §9.3)", () => {
  it.each([
    'favoriteColors[this != "red"].count() = 2',
    "favoriteColors.map(this).includes(\"red\")",
    'orders.filter(this.price > 10).map(this.id).includes("o1")',
    "orders.groupBy(storeId).map({\"store\": this.head().storeId, \"n\": this.count(), \"total\": this.sum(price)})",
    'xEvent.groupBy(eventType).map({"today": this[timestamp occurs today].count()})',
    "orders[items[this.price > ^.price / 3 and this.sku != ^.id]].id",
    'chain(xEvent, timestamp, [A: WHAT(this.eventType = "addToCart")])',
    "xEvent[this.timestamp occurs this month]",
  ])("%s", (expr) => {
    expect(check(expr).map((e) => e.format())).toEqual([]);
  });

  const misplaced = "'this' is the current element of a filter '[…]', a chain step or a per-element argument such as map({…}), but here the context is the profile";
  it.each<CheckCase>([
    { name: "this at the top level", expr: "this.person.age > 1", code: "PQL-T009", message: misplaced, column: 1 },
    { name: "this in a select condition (not a level)", expr: 'select X from xEvent where this.eventType = "x"', code: "PQL-T009", message: misplaced, column: 28 },
    { name: "this in a top-level lambda", expr: "(P) => this.person", code: "PQL-T009", message: misplaced, column: 8 },
    { name: "this in a per-element lambda, naming the parameter", expr: "orders.groupBy(storeId).map((K, G) => mapEntry(K, this.count()))", code: "PQL-T009", message: `${misplaced}; in a lambda the element is its parameter 'G'`, column: 51 },
    { name: "this in a one-parameter lambda", expr: "orders.filter((o) => this.price > 1)", code: "PQL-T009", message: `${misplaced}; in a lambda the element is its parameter 'o'`, column: 22 },
    { name: "this typed as a string element", expr: "favoriteColors.filter(this > 2)", code: "PQL-T004", message: "cannot compare string 'this' with integer 2", column: 30 },
    { name: "this typed as an event", expr: 'xEvent[this.eventTyp = "x"]', code: "PQL-T003", message: "unknown ExperienceEvent field 'eventTyp'; did you mean 'eventType'?", column: 13 },
    { name: "this in a nested filter is the inner element", expr: 'orders[items[this.storeId = "s1"]]', code: "PQL-T001", message: "unknown profile field 'storeId'", column: 19 },
    { name: "this in a groupBy body is a group, an array", expr: 'orders.groupBy(storeId).map(this like "s%")', code: "PQL-T004", message: "the left side of 'like' must be a string, not array<object> 'this'", column: 29 },
    { name: "this as a number", expr: "orders.map(this + 1)", code: "PQL-T004", message: "the left operand of '+' must be a number, not object 'this'", column: 12 },
  ])("$name", ({ expr, code, message, column }) => {
    const errors = check(expr);
    expect(errors.map((e) => `${e.code} ${e.message}`)).toEqual([`${code} ${message}`]);
    expect(errors[0]?.location.column).toBe(column);
  });

  it("reports a misplaced this with its source frame", () => {
    const [e] = check('xEvent.count() > 1 and\n  this.eventType = "x"');
    expect(e?.format()).toBe(
      [
        `PQL-T009 segment.pql:2:3: ${misplaced}`,
        "    1 | xEvent.count() > 1 and",
        '  > 2 |   this.eventType = "x"',
        "      |   ^^^^",
      ].join("\n"),
    );
  });
});

describe("compileSegmentExpression", () => {
  it("compiles a valid expression against the schema", () => {
    const f = compileSegmentExpression('homeAddress.countryCode = "US"', TEST_SCHEMA);
    expect(f({ profile: { homeAddress: { countryCode: "US" } }, events: [], now: 0 })).toBe(true);
  });

  it("throws one PqlError listing every check error with frames", () => {
    const text = "persn.age > 3 and homeAddress.city = 3";
    let err: unknown;
    try {
      compileSegmentExpression(text, TEST_SCHEMA, "seg.json");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PqlError);
    const e = err as PqlError;
    expect(e.code).toBe("PQL-T000");
    expect(e.location).toEqual({ file: "seg.json", line: 1, column: 1 });
    expect(e.format()).toBe(
      [
        "PQL-T000 seg.json:1:1: segment expression has 2 errors; first: unknown profile field 'persn'; did you mean 'person'?",
        "PQL-T001 seg.json:1:1: unknown profile field 'persn'; did you mean 'person'?",
        "  > 1 | persn.age > 3 and homeAddress.city = 3",
        "      | ^^^^^",
        "",
        "PQL-T004 seg.json:1:38: cannot compare string field 'homeAddress.city' with integer 3",
        "  > 1 | persn.age > 3 and homeAddress.city = 3",
        "      |                                      ^",
      ].join("\n"),
    );
  });

  it("throws a single check error as it is", () => {
    expect(() => compileSegmentExpression("persn.age > 3", TEST_SCHEMA, "seg.json")).toThrow(
      expect.objectContaining({ code: "PQL-T001", location: { file: "seg.json", line: 1, column: 1 } }),
    );
  });

  it("without a schema still checks arity", () => {
    expect(() => compileSegmentExpression("x occurs date(2018, 1)", undefined)).toThrow(/date\(\) takes 3 arguments/);
  });

  it("without a schema accepts unknown fields", () => {
    const f = compileSegmentExpression("anything.at.all = 1", undefined);
    expect(f({ profile: { anything: { at: { all: 1 } } }, events: [], now: 0 })).toBe(true);
  });

  it("passes syntax errors through as they are", () => {
    expect(() => compileSegmentExpression("a = ", undefined)).toThrow(PqlError);
  });
});
