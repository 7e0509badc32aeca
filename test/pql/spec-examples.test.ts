/**
 * Every concrete example expression of pql.md parses and checks against a schema with the example field paths
 * (§16), or fails with the error its defect calls for (§19). Examples written with a free variable (`X.timestamp
 * occurs …`) are checked in the context the spec shows them in (a select over xEvent or a chain step).
 */
import { describe, expect, it } from "vitest";
import { checkSegment, PqlError } from "../../src/pql/index.js";
import { SPEC_SCHEMA } from "./fixtures.js";

const VALID = [
  'homeAddress.countryISO = "CA" and person.birthYear = 1985',
  'not (homeAddress.countryISO = "CA")',
  'if (homeAddress.countryISO = "CA", 1, 2)',
  'xEvent[(timestamp occurs < 7 days before now) and eventType="download" and contentType = "image"].count()',
  'xEvent[(timestamp occurs < 7 days before now) and eventType="transaction" and category = "sporting goods"].sum(commerce.order.priceTotal)',
  "select X from xEvent where X.metrics.commerce.abandons.value > 0",
  "select Order1 from xEvent where Order1.commerce.order, Order2 from xEvent where Order2.commerce.order and Order2.timestamp occurs < 2 weeks after Order1.timestamp",
  'homeAddress.countryISO = "US" and (select Order1 from xEvent where Order1.commerce.order)',
  "homeAddress.stateProvince",
  "$1.homeAddress.stateProvince",
  "(Profile) => Profile.homeAddress.stateProvince = Profile.workAddress.stateProvince",
  "orders.groupBy(storeId).map((K, G) => mapEntry(K, G.count()))",
  "1 = 1.0",
  "homeAddress.countryISO",
  "person.orders.storeId.distinct()",
  "xEvent.metrics.commerce.abandons.value > 0",
  "xEvent.device.model",
  'identityMap.get("example@example.com")',
  "orders.sum(order.price)",
  "orders.groupBy(storeId)",
  "xEvent.groupBy(eventType).map((K, G) => mapEntry(K, G.sum(commerce.order.priceTotal)))",
  'let S = (sum X.commerce.order.priceTotal over X from xEvent where X.commerce.order.currencyCode = "USD") in (S > 100 and S < 1000)',
  'person1.favoriteColors.intersection(person2.favoriteColors) = ["red", "blue", "green"]',
  "select F1 from xEvent, F2 from xEvent where F1 != F2",
  "select A1 from xEvent, A2 from xEvent where A1.id != A2.id",
  "person.birthMonth > 2",
  'homeAddress.countryISO != "CA"',
  "homeAddress.countryISO = workAddress.countryISO",
  'workEmail.address like "%.edu"',
  'person.firstName like "John%"',
  'chain(xEvent, timestamp, [A: WHAT(eventType.equals("commerce.checkouts", false))])',
  'emailAddress.regexGroup("@(\\\\w+)", 1)',
  'person.name.firstName.matches("(?i)^John")',
  "date(currentYear() - 1, 10, 1)",
  "currentMonth()",
  "currentYear()",
  "person.birthDate.getMonth() = currentMonth()",
  "select X from xEvent where X.timestamp occurs <= 3 days before now",
  "select X from xEvent where X.timestamp occurs before today",
  "select X from xEvent, Y from xEvent where X.timestamp occurs after Y.timestamp",
  "select X from xEvent where X.timestamp occurs last month",
  "select X from xEvent where X.timestamp occurs on date(2017,10,1)",
  "select X from xEvent where X.timestamp occurs date(2017, 10, 1)",
  "product.saleDate occurs between date(2015, 1, 8) and date(2017, 7, 1)",
  "person.birthDate occurs <= 1 month before today",
  "_repo.lastModifiedDate occurs <= 24 hours after now",
  "person.birthday occurs = 3 days before today",
  "select A1 from xEvent, A2 from xEvent where A1.timestamp occurs < 2 days before A2.timestamp",
  "_repo.modifyDate occurs after date(2019, 4, 1)",
  "select X from xEvent where X.timestamp occurs between last month and last week",
  "[3, 6, 9]",
  '["US", "CA"]',
  "homeAddress.city in person.favoriteCities",
  'status in (["realized","existing"])',
  '"London" in person.citiesVisited',
  'person.favoriteColors.intersects(["red", "blue", "green"])',
  "person.citiesVisited.intersection(person.favoriteCities).count() > 1",
  'person.eatenFoods.subsetOf(["a"]) and person.eatenFoods.supersetOf(["a"]) and person.eatenFoods.includes("a")',
  "person.orders.storeId.distinct().count() > 1",
  "orders.topN(price, 5).head()",
  "orders.bottomN(price, 5).head()",
  "select X from xEvent where X.productListItems.count() < 3",
  'xEvent[productListItems[SKU="PS"]]',
  'xEvent[productListItems[SKU="PS" or ^^.person.gender="female"]]',
  // §9.3 `this[timestamp occurs today].count()`, in the map over groups that [CA] shows it in.
  'xEvent.groupBy(eventType).map({"downloadsSum": this.count(), "downloadsToday": this[timestamp occurs today].count()})',
  'segmentMembership.get("ups").get("segId").status',
  'externalSegmentMapProperty.values().exists(stringProperty="active")',
  "identityMap.keys().count() > 0",
  "person.homeAddress.isNull()",
  "person.homeAddress.isNotNull()",
  "person.birthYear - (person.birthMonth + person.birthDay)",
  "person.age % 5 = 0",
  'select _Any1 from xEvent, _Any1__Product_list_items1 from _Any1.productListItems where _Any1__Product_list_items1.SKU = "PS"',
  "select X from xEvent where X.timestamp occurs yesterday",
  "(select X from xEvent where X.timestamp occurs yesterday).count() > 0",
  'select X from xEvent where X.timestamp occurs yesterday and (select I from X.productListItems where I.SKU = "PS")',
  'exists E from xEvent where (E.commerce.item.price > 50), I from E.productListItems where I.SKU = "PS"',
  "forall X from xEvent : X.timestamp occurs before now",
  "(sum X.commerce.order.priceTotal + Y.commerce.order.priceTotal over X from xEvent where X.commerce.order, Y from xEvent where Y.commerce.order and Y.timestamp occurs < 2 weeks after X.timestamp) > 1000",
  'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")])',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHEN(< 8 days before now)])',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "homePageView") WHEN(< 24 hours before now) COUNT(5)])',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "checkoutPageView") WHEN(<= 24 hours before now)])',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "download") WHEN(< 7 days before now)])',
  'chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart") WHERE(externalSegmentMapProperty.values().exists(stringProperty="active"))])',
  'homeAddress.countryCode = "US"',
  'homeAddress.countryCode = "US" and not(chain(xEvent, timestamp, [A: WHAT(eventType = "addToCart")]))',
  'homeAddress.countryCode = "US" and inSegment("existing segment")',
  'CHAIN(xEvent, timestamp, [C0: WHAT(eventType = "addToCart") WHEN(today)])',
  'CHAIN(xEvent, timestamp, [C0: WHAT(eventType = "homePageView") WHEN(today), C1: WHAT(eventType = "checkoutPageView") WHEN(today)])',
  'homeAddress.country.equals("US", false)',
  'inSegment("7deb246a-6316df049948") and inSegment("9e16")',
  'inSegment("e3be…") and CHAIN(xEvent, timestamp, [C0: WHAT(eventType.equals("commerce.checkouts", false)) WHEN(<= 24 hours before now)])',
  "select var1 from xEvent where var1._experience.analytics.endUser.firstWeb.webPageDetails.isHomePage = true",
  "not (homeAddress.countryCode = workAddress.countryCode)",
  'person.firstName matches "%John"',
  'person.firstName matches "J_hn"',
];

const INVALID: ReadonlyArray<readonly [string, string, string]> = [
  ["§19.1 a missing quote (the string closes early, then '…' cannot be lexed)", 'inSegment("7deb246a-…-6316df049948) and inSegment("9e16…")', "PQL-L001"],
  ["§19.1 a missing quote, without the ellipses", 'inSegment("7deb246a-6316df049948) and inSegment("9e16")', "PQL-L002"],
  ["§19.2 an unbound variable in a chain step", 'chain(xEvent, timestamp, [X: WHAT(var1._experience.analytics.endUser.firstWeb.webPageDetails.isHomePage = "true")])', "PQL-T003"],
  ["§19.3 a typographic quote", 'stateProvinceISO = “CA"', "PQL-L001"],
  ["§19.7 single quotes", "homeAddress.countryISO = 'US'", "PQL-L001"],
  ["§19.8 the un-escaped regex", 'emailAddress.regexGroup("@(\\w+)", 1)', "PQL-L003"],
  ["§19.9 filter on a non-array", "person.filter(age >= 21)", "PQL-T007"],
  ["§19.9 map with a bare name of no meaning", "numbers.map(square)", "PQL-T004"],
  ["§19.10 count() of a Boolean", "select e from xEvent where (e.timestamp occurs <= 6 months before now).count() > 3", "PQL-T007"],
  ["an event field outside an event", 'eventType.equals("commerce.checkouts", false)', "PQL-T002"],
  ["§6 ordering a string with a Boolean (§19.2)", 'select X from xEvent where X._experience.analytics.endUser.firstWeb.webPageDetails.isHomePage = "true"', "PQL-T004"],
  ["§17 a chained comparison", "homeAddress.city = homeAddress.country = workAddress.country", "PQL-S005"],
  ["§15 the 2018 set syntax", '{ A1 as xEvent.metrics.commerce.abandons.value > 0, A2 as xEvent: A1.id != A2.id }', "PQL-S003"],
  ["§15 a set with count", '{ touchpoint.type="FLIGHT" }.count() > 1', "PQL-S003"],
  ["§15 the offer-filter dialect", 'select o from modelInstances("https://ns.adobe.com/x") where o.xdm:tags', "PQL-S009"],
  ["§2 a context reference", "@{_xdm.context.additionalParameters;version=1}.weather", "PQL-S007"],
  ["§9.3 this outside a per-element body (the profile has no 'this')", "this[timestamp occurs today].count()", "PQL-T009"],
  ["§2 not PQL: ==", "homeAddress.city == \"x\"", "PQL-S006"],
];

describe("pql.md examples parse and check", () => {
  it.each(VALID)("%s", (expr) => {
    const { errors, eligibility } = checkSegment(expr, SPEC_SCHEMA, "spec.pql");
    expect(errors.map((e) => e.format())).toEqual([]);
    expect(eligibility?.batch).toBe(true);
  });
});

describe("pql.md's defective examples fail with the documented error (§19)", () => {
  it.each(INVALID)("%s", (_name, expr, code) => {
    const { errors } = checkSegment(expr, SPEC_SCHEMA, "spec.pql");
    expect(errors[0]).toBeInstanceOf(PqlError);
    expect(errors[0]?.code).toBe(code);
  });
});
