/**
 * Shared fixtures for the PQL tests: a small profile/event schema built with the xdm-type helpers, and a
 * one-call evaluator.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compilePql, parsePql, type PqlSchema } from "../../src/pql/index.js";
import type { JsonObject } from "../../src/xdm/types.js";
import { array, IDENTITY_MAP_TYPE, map, object, scalar, SEGMENT_MEMBERSHIP_TYPE } from "../../src/xdm/xdm-type.js";

const str = scalar("string");

export const TEST_SCHEMA: PqlSchema = {
  profile: object([
    ["person", object([
      ["name", object([["firstName", str], ["lastName", str]])],
      ["age", scalar("int")],
      ["birthYear", scalar("int")],
      ["birthDate", scalar("date")],
      ["gender", str],
    ])],
    ["homeAddress", object([["countryCode", str], ["city", str], ["stateProvince", str]])],
    ["workAddress", object([["countryCode", str], ["city", str]])],
    ["personalEmail", object([["address", str]])],
    ["workEmail", object([["address", str]])],
    ["loyalty", object([["tier", str], ["points", scalar("long")], ["joinDate", scalar("date-time")]])],
    ["favoriteColors", array(str)],
    ["visitedCities", array(str)],
    ["orders", array(object([
      ["id", str],
      ["storeId", str],
      ["price", scalar("double")],
      ["items", array(object([["sku", str], ["price", scalar("double")]]))],
    ]))],
    ["isVip", scalar("boolean")],
    ["identityMap", IDENTITY_MAP_TYPE],
    ["segmentMembership", SEGMENT_MEMBERSHIP_TYPE],
    ["_repo", object([["modifyDate", scalar("date-time")]])],
  ]),
  event: object([
    ["_id", str],
    ["timestamp", scalar("date-time")],
    ["eventType", str],
    ["commerce", object([
      ["order", object([["priceTotal", scalar("double")], ["currencyCode", str]])],
      ["purchases", object([["value", scalar("double")]])],
    ])],
    ["productListItems", array(object([["SKU", str], ["name", str], ["quantity", scalar("int")]]))],
    ["web", object([["webPageDetails", object([["name", str], ["isHomePage", scalar("boolean")]])]])],
    ["device", object([["model", str], ["type", str]])],
  ]),
};

/** 2018-08-28T10:00:00Z, a Tuesday (the spec's reference day for `occurs`). */
export const NOW = Date.parse("2018-08-28T10:00:00.000Z");

export interface EvalCase {
  readonly name: string;
  readonly expr: string;
  readonly profile?: JsonObject;
  readonly events?: readonly JsonObject[];
  readonly now?: string;
  readonly result: boolean;
}

/** Parse, compile and run `expr` once. */
export function evaluate(expr: string, profile: JsonObject = {}, events: readonly JsonObject[] = [], now: number = NOW): boolean {
  return compilePql(parsePql(expr))({ profile, events, now });
}

/** An event with just a timestamp and a type. */
export function ev(timestamp: string, eventType = "web.webpagedetails.pageViews", extra: JsonObject = {}): JsonObject {
  return { _id: `${eventType}@${timestamp}`, timestamp, eventType, ...extra };
}

const int = scalar("int");
const dbl = scalar("double");
const dateTime = scalar("date-time");

/** A schema with every field path the examples of pql.md use (§16), for the spec-example test. */
export const SPEC_SCHEMA: PqlSchema = {
  profile: object([
    ["homeAddress", object([["countryCode", str], ["countryISO", str], ["country", str], ["stateProvince", str], ["stateProvinceISO", str], ["city", str]])],
    ["workAddress", object([["countryCode", str], ["country", str], ["countryISO", str], ["stateProvince", str], ["stateProvinceISO", str]])],
    ["personalEmail", object([["address", str]])],
    ["workEmail", object([["address", str]])],
    ["emailAddress", str],
    ["stateProvinceISO", str],
    ["status", str],
    ["person", object([
      ["birthYear", int], ["birthMonth", int], ["birthDay", int], ["birthDate", scalar("date")], ["birthday", scalar("date")], ["age", int],
      ["gender", str], ["firstName", str], ["name", object([["firstName", str], ["lastName", str]])],
      ["favoriteColors", array(str)], ["favoriteCities", array(str)], ["visitedCities", array(str)], ["citiesVisited", array(str)], ["eatenFoods", array(str)],
      ["orders", array(object([["storeId", str], ["price", dbl]]))],
      ["homeAddress", object([["city", str]])],
    ])],
    ["person1", object([["favoriteColors", array(str)]])],
    ["person2", object([["favoriteColors", array(str)]])],
    ["orders", array(object([["storeId", str], ["price", dbl], ["order", object([["price", dbl]])]]))],
    ["numbers", array(int)],
    ["product", object([["saleDate", scalar("date")]])],
    ["externalSegmentMapProperty", map(object([["stringProperty", str]]))],
    ["identityMap", IDENTITY_MAP_TYPE],
    ["segmentMembership", SEGMENT_MEMBERSHIP_TYPE],
    ["_repo", object([["modifyDate", dateTime], ["lastModifiedDate", dateTime]])],
  ]),
  event: object([
    ["timestamp", dateTime], ["eventType", str], ["id", str], ["_id", str], ["contentType", str], ["category", str], ["type", str], ["destination", str],
    ["commerce", object([
      ["order", object([["priceTotal", dbl], ["currencyCode", str], ["purchaseId", str]])],
      ["checkouts", object([["value", dbl]])], ["purchases", object([["value", dbl]])], ["cartAbandons", object([["value", dbl]])], ["productViews", object([["value", dbl]])],
      ["item", object([["price", dbl]])],
    ])],
    ["metrics", object([["commerce", object([["abandons", object([["value", dbl]])], ["productListViews", object([["value", dbl]])]])]])],
    ["web", object([["webPageDetails", object([["name", str]])]])],
    ["productListItems", array(object([["SKU", str], ["name", str]]))],
    ["_experience", object([["analytics", object([["endUser", object([["firstWeb", object([["webPageDetails", object([["isHomePage", scalar("boolean")]])]])]])]])]])],
    ["device", object([["model", str]])],
    ["externalSegmentMapProperty", map(object([["stringProperty", str]]))],
  ]),
};

/** Deterministic PRNG (mulberry32): generated inputs are reproducible from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const grammarDir = fileURLToPath(new URL("../../grammar/", import.meta.url));

/** The fuzzers' seed corpus: every line of grammar/roundtrip.txt and every golden example expression. */
export const GRAMMAR_SEEDS: readonly string[] = [
  ...readFileSync(`${grammarDir}roundtrip.txt`, "utf8").split("\n"),
  ...readdirSync(`${grammarDir}examples`)
    .filter((f) => f.endsWith(".pql"))
    .map((f) => readFileSync(`${grammarDir}examples/${f}`, "utf8").trimEnd()),
].filter((s) => s.trim() !== "");
