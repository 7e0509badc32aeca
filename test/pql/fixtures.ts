/**
 * Shared fixtures for the PQL tests: a small profile/event schema built with the xdm-type helpers, and a
 * one-call evaluator.
 */
import { compilePql, parsePql, type PqlSchema } from "../../src/pql/index.js";
import type { JsonObject } from "../../src/xdm/types.js";
import { array, IDENTITY_MAP_TYPE, object, scalar, SEGMENT_MEMBERSHIP_TYPE } from "../../src/xdm/xdm-type.js";

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
