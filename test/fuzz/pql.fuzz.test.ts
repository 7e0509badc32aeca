/**
 * The PQL fuzz suite (issue 17): generated, mutated and hostile inputs through the parser, the checker, the
 * formatter, pql/json both ways, the compiler and the evaluator. For every input it asserts that nothing but a coded
 * PqlError escapes and that what parses round-trips (format → parse, and pql/json → text → pql/json); it times
 * what the library does with each input (parse, check, compile, evaluate: the round trips are the oracle, not
 * timed) and reports the slowest and any over the per-input budget.
 *
 * Seeded and small in CI (a few seconds). Longer runs:
 *   PROFILE_LAB_FUZZ_RUNS=100000 npx vitest run test/fuzz
 * PROFILE_LAB_FUZZ_RUNS counts the text inputs here (default 800); the other settings are in ./harness.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  astToPqlJson,
  checkPql,
  compilePql,
  compilePqlValue,
  formatPql,
  parsePql,
  pqlJsonToAst,
  PqlError,
  type PqlContext,
  type PqlExpr,
} from "../../src/pql/index.js";
import { MAX_TEXT_LENGTH } from "../../src/pql/limits.js";
import type { JsonObject } from "../../src/xdm/types.js";
import { ev, GRAMMAR_SEEDS, NOW, rng, TEST_SCHEMA } from "../pql/fixtures.js";
import { clip, fuzz, fuzzRuns, int, logInt, pick, report, SEED, type CheckedOutcome, type Outcome, type Rand } from "./harness.js";


const RUNS = fuzzRuns(800);
const JSON_RUNS = Math.max(200, Math.round(RUNS / 5));
const PROPERTY_RUNS = Math.max(200, Math.round(RUNS / 4));
const TIMEOUT_MS = Math.max(120_000, RUNS * 40);

const SEEDS = GRAMMAR_SEEDS;

// ------------------------------------------------------------------------------------------ generators

const VOCAB = [
  "and", "or", "not", "!", "in", "notIn", "like", "select", "from", "where", "occurs", "between", "on", "before",
  "after", "this", "last", "next", "now", "today", "yesterday", "tomorrow", "true", "false", "xEvent", "date",
  "(", ")", "[", "]", ",", ".", "=", "!=", "<", "<=", ">", ">=", "==", "&&", "||", "=>", "+", "-", "*", "/", "%",
  "{", "}", ":", "^", "$1", "@", '"', '"x"', '"\\', "\\", "'", "“", "0", "1", "-1", ".5", "1e3", "9".repeat(30),
  "days", "month", "weeks", "count()", "contains(", 'startsWith("a", false)', "X", "X.a", "\n", "\t", " ", "é", "😀",
  "\u0000", "\r", "((((", "))))", "[[[", "not not not", "timestamp", "eventType", "let", "=", "exists", "forall",
  "some", "all", "sum", "average", "min", "max", "over", "matches", "chain(", "CHAIN", "WHAT(", "WHEN(", "WHERE(",
  "COUNT(", "A:", "(x) =>", "(K, G) =>", "$2", "^^.", '{"a": 1}', "if(", "inSegment(", "mapEntry(", ".filter(",
  ".map(", ".groupBy(", ".topN(", ".sum(", ".get(", ".keys()", ".values()", ".isNull()", ".exists(", ".regexGroup(",
  '"(?i)a"', '"a*+"', '"\\\\A"', '"(a+)+b"', '"%%%%x"', "currentYear()", ".getMonth()", "- -", "/ 0",
];
const CHARS = [...' \t\n()[]{}.,=!<>"\'\\%_-+*/:;^$@#&|?aAxXzZ019éß😀“”'];

const REGEX_PIECES = [
  "a", "b", "x", ".", "*", "+", "?", "*?", "(", ")", "(?:", "[a-z]", "[^a]", "\\\\d", "\\\\w", "\\\\s", "\\\\S", "\\\\b",
  "\\\\1", "(?=", "(?!", "(?<=", "(?>", "(?i)", "(?<n>", "\\\\k<n>", "{2,3}", "{1000}", "{", "|", "^", "$", "\\\\Q", "\\\\E",
  "\\\\p{L}", "\\\\p{Alpha}", "\\\\p{javaLowerCase}", "\\\\p{InGreek}", "[a&&b]", "[[a]]", "*+", "++", "\\\\u00e9", "\\\\x{1F600}",
  "\\\\A", "\\\\z", "\\\\Z", "\\\\G", "\\\\R", "\\\\h", "\\\\0101", "\\\\cA", "\\\\e", "]", "-", "\\\\",
];
const REGEX_BOMBS = ["(a+)+b", "(a|aa)*b", "(a*)*b", "(.*a){25}", "^(a+)+$", "(x+x+)+y", "(\\\\w+\\\\s?)*$", "((a+)+)+b", "(a|a?)+b", "(.*){1000}", "(a{1,1000}){1,1000}"];

/** A hostile input, drawn from the shapes issue 17 found (sizes log-uniform up to past each limit). */
function hostile(r: Rand): string {
  switch (int(r, 16)) {
    case 0:
      return `personalEmail.address like "${Array.from({ length: logInt(r, 1, 1500) }, () => pick(r, ["%", "%", "%", "_", "a", "x"])).join("")}"`;
    case 1:
      return `personalEmail.address matches "${pick(r, REGEX_BOMBS)}"`;
    case 2:
      return `personalEmail.address${pick(r, [" matches ", ".matches("])}"${Array.from({ length: logInt(r, 1, 40) }, () => pick(r, REGEX_PIECES)).join("")}"${pick(r, ["", ")"])}`;
    case 3: {
      let s = "true";
      const depth = logInt(r, 1, 60);
      for (let i = 0; i < depth; i++) s = pick(r, [`orders.filter((O${i}) => ${s}).count() > 0`, `xEvent[${s}]`, `orders[${s}]`, `orders.items.map(${s}).count() > 0`]);
      return s;
    }
    case 4:
      return Array.from({ length: logInt(r, 1, 14_000) }, (_, i) => `person.age = ${i}`).join(pick(r, [" and ", " or "]));
    case 5:
      return `person.age ${pick(r, ["in", "notIn"])} [${Array.from({ length: logInt(r, 1, 14_000) }, (_, i) => i).join(", ")}]`;
    case 6:
      return `homeAddress.city in [${Array.from({ length: logInt(r, 1, 8000) }, (_, i) => (i % 7 === 0 ? `"2018-08-${String((i % 28) + 1).padStart(2, "0")}"` : `"c${i}"`)).join(", ")}]`;
    case 7:
      return `personalEmail.address = "${"x".repeat(logInt(r, 1, 1_200_000))}"`;
    case 8:
      return `${pick(r, ["not ", "!", "- ", "not (", "-("])}`.repeat(logInt(r, 1, 1200)) + "isVip";
    case 9: {
      const n = logInt(r, 1, 130);
      return `${"(".repeat(n)}person.age${")".repeat(n)} > 1`;
    }
    case 10: {
      const vars = Array.from({ length: logInt(r, 1, 5) }, (_, i) => `V${i} from xEvent where V${i}.timestamp occurs before now`);
      return `${pick(r, ["exists", "forall", "select"])} ${vars.join(", ")}`;
    }
    case 11:
      return `person${".name".repeat(logInt(r, 1, 1500))} = "x"`;
    case 12:
      return `chain(xEvent, timestamp, [${Array.from({ length: logInt(r, 1, 400) }, (_, i) => `S${i}: WHAT(eventType = "e${i % 3}") WHEN(< ${i + 1} days before now)`).join(", ")}])`;
    case 13:
      return `personalEmail.address.regexGroup("${pick(r, REGEX_BOMBS)}", ${int(r, 3)}) = "a"`;
    case 14:
      return `personalEmail.address ${pick(r, ["matches", "like"])} person.name.lastName`;
    default:
      return `${"(x) => ".repeat(logInt(r, 1, 300))}x.isVip`;
  }
}

function mutate(s: string, r: Rand): string {
  const at = int(r, s.length + 1);
  switch (int(r, 7)) {
    case 0:
      return s.slice(0, at) + pick(r, VOCAB) + s.slice(at);
    case 1:
      return s.slice(0, at) + s.slice(at + 1 + int(r, 5));
    case 2:
      return s.slice(0, at) + pick(r, CHARS) + s.slice(at);
    case 3: {
      const b = int(r, s.length + 1);
      return s.slice(0, Math.min(at, b)) + s.slice(Math.min(at, b), Math.max(at, b)).repeat(2) + s.slice(Math.max(at, b));
    }
    case 4:
      return s.slice(0, at);
    case 5:
      return `${s} ${pick(r, ["and", "or", "="])} ${pick(r, SEEDS)}`;
    default:
      return s.slice(at) + s.slice(0, at);
  }
}

/** Text input #i: random tokens, random characters, mutated seeds, hostile shapes, mutated hostile shapes. */
function textInput(i: number): string {
  const r = rng(SEED * 1_000_003 + i);
  switch (i % 8) {
    case 0:
      return Array.from({ length: 1 + int(r, 12) }, () => pick(r, VOCAB)).join(r() < 0.5 ? " " : "");
    case 1:
      return Array.from({ length: int(r, 40) }, () => pick(r, CHARS)).join("");
    case 5:
    case 6:
      return hostile(r);
    case 7: {
      let s = hostile(r);
      for (let k = 0, m = 1 + int(r, 2); k < m; k++) s = mutate(s, r);
      return s;
    }
    default: {
      let s = pick(r, SEEDS);
      for (let k = 0, m = 1 + int(r, 4); k < m; k++) s = mutate(s, r);
      return s;
    }
  }
}

// ------------------------------------------------------------------------------------------ the pipeline

const events: JsonObject[] = Array.from({ length: 30 }, (_, i) =>
  ev(`2018-08-${String(1 + (i % 27)).padStart(2, "0")}T${String(i % 24).padStart(2, "0")}:00:00Z`, `e${i % 3}`, {
    _id: `ev${i}`,
    commerce: { order: { priceTotal: i * 3.5, currencyCode: "USD" }, purchases: { value: i % 4 } },
    productListItems: Array.from({ length: 1 + (i % 5) }, (_, k) => ({ SKU: `S${k}`, name: `n${k}`, quantity: k })),
  }),
).sort((a, b) => String(a["timestamp"]).localeCompare(String(b["timestamp"])));

const CONTEXTS: PqlContext[] = [
  {
    profile: {
      person: { age: 30, birthYear: 1988, name: { firstName: "John", lastName: "(a+)+b" }, birthDate: "1988-08-28", gender: "male" },
      homeAddress: { countryCode: "US", city: "c7", stateProvince: "CA" },
      personalEmail: { address: `${"a".repeat(20_000)}!` },
      workEmail: { address: "john@example.edu" },
      loyalty: { tier: "gold", points: 1200, joinDate: "2015-06-01T00:00:00Z" },
      favoriteColors: ["red", "blue"],
      visitedCities: Array.from({ length: 10 }, (_, i) => `c${i}`),
      orders: Array.from({ length: 10 }, (_, i) => ({ id: `o${i}`, storeId: `s${i % 3}`, price: i * 1.5, items: [{ sku: "A", price: 1 }, { sku: `B${i}`, price: 2 }] })),
      isVip: true,
      identityMap: { ECID: [{ id: "e1" }] },
      segmentMembership: { ups: { seg1: { status: "realized" } } },
    },
    events,
    now: NOW,
    inSegment: (ref) => ref.length % 2 === 0,
  },
  { profile: {}, events: [], now: NOW },
];

function shape(ast: PqlExpr): string {
  return JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v));
}


/**
 * Everything the library does with a segment expression (timed): parse, check, and when the checker accepts,
 * compile as a predicate and as a value and evaluate both on every context.
 */
function pipeline(input: string): Outcome & { readonly ast?: PqlExpr } {
  let ast: PqlExpr;
  try {
    ast = parsePql(input, "fuzz.pql");
  } catch (e) {
    if (!(e instanceof PqlError)) return { failure: `parsePql threw ${String(e)}` };
    if ((e.location.line ?? 0) < 1 || !(e.detail ?? "").includes("^")) return { failure: `an error without a location or frame: ${e.format()}` };
    return { code: e.code };
  }
  try {
    const errors = checkPql(ast, TEST_SCHEMA, input, "fuzz.pql");
    if (errors.length > 0) return { code: errors[0]?.code as string, ast };
    const pred = compilePql(ast);
    const value = compilePqlValue(ast);
    for (const ctx of CONTEXTS) {
      if (typeof pred(ctx) !== "boolean") return { failure: "a predicate returned a non-Boolean" };
      if (value(ctx) === undefined) return { failure: "a value function returned undefined" };
    }
    return { ast };
  } catch (e) {
    if (e instanceof PqlError) return { code: e.code, ast };
    return { failure: `threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
  }
}

/** The oracle (not timed): what parsed round-trips through the formatter and through pql/json. */
function roundTrips(input: string, ast: PqlExpr): string | undefined {
  if (input.length > MAX_TEXT_LENGTH / 4) return undefined;
  try {
    const text = formatPql(ast);
    let again: PqlExpr;
    try {
      again = parsePql(text);
    } catch (e) {
      return `formatted text does not parse (${e instanceof PqlError ? e.code : String(e)}): ${text.slice(0, 300)}`;
    }
    if (shape(again) !== shape(ast)) return `format → parse changed the tree: ${text.slice(0, 300)}`;
    if (formatPql(again) !== text) return `format is not idempotent: ${text.slice(0, 300)}`;
    const json = astToPqlJson(ast);
    let back: string;
    try {
      back = astToPqlJson(parsePql(formatPql(pqlJsonToAst(json))));
    } catch (e) {
      return `pql/json → text → pql/json threw ${e instanceof PqlError ? e.format() : String(e)}: ${json.slice(0, 300)}`;
    }
    if (back !== json) return `pql/json → text → pql/json changed the tree: ${json.slice(0, 300)} → ${back.slice(0, 300)}`;
    return undefined;
  } catch (e) {
    return `a round trip threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
}

/** The pipeline, then the round trips of what parsed. */
function textCase(input: string): CheckedOutcome {
  const outcome = pipeline(input);
  const { ast } = outcome;
  if (outcome.failure !== undefined || ast === undefined) return outcome;
  return { ...outcome, verify: () => roundTrips(input, ast) };
}

// ------------------------------------------------------------------------------------------ pql/json mutations

function mutateJson(v: unknown, r: Rand): unknown {
  if (Array.isArray(v)) {
    const out = v.map((x) => (r() < 0.3 ? mutateJson(x, r) : x));
    if (r() < 0.1) out.pop();
    if (r() < 0.05) out.push(out[0] ?? null);
    return out;
  }
  if (typeof v !== "object" || v === null) {
    const choices: unknown[] = [null, 0, -1, 1.5, "", "x", "1", true, [], {}, "String", "Integer", "fnApply", "=", "and", "matches", "(", 1e300, "(a+)+b", "%%%%x"];
    return r() < 0.2 ? pick(r, choices) : v;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = r();
    if (p < 0.05) continue;
    if (k === "nodeType" && p < 0.15) {
      out[k] = pick(r, ["fnApply", "fnCreate", "fieldLookup", "literal", "varRef", "varDecl", "select", "quantification", "parameterReference", "set", "wat"]);
      continue;
    }
    if (k === "fnName" && p < 0.2) {
      out[k] = pick(r, ["=", "and", "or", "not", "in", "-", "occurs", "chain", "step", "WHEN", "let", "over", "object", "list", "filter", "map", "sum", "if", "date", "now", "last", "matches", "like", "equals", "modelInstances"]);
      continue;
    }
    out[k] = p < 0.4 ? mutateJson(x, r) : x;
  }
  return out;
}

const JSON_TREES = SEEDS.flatMap((s) => {
  try {
    return [JSON.parse(astToPqlJson(parsePql(s))) as unknown];
  } catch {
    return [];
  }
});

function jsonInput(i: number): string {
  const r = rng(SEED * 7_000_003 + i);
  let tree = pick(r, JSON_TREES);
  for (let k = 0, m = 1 + int(r, 3); k < m; k++) tree = mutateJson(tree, r);
  return JSON.stringify(tree) ?? "null";
}

/** A pql/json definition as the library takes it: converted, formatted, parsed, checked, compiled, evaluated. */
function jsonPipeline(json: string): Outcome {
  let ast: PqlExpr;
  try {
    ast = pqlJsonToAst(json, "fuzz.json");
  } catch (e) {
    return e instanceof PqlError ? { code: e.code } : { failure: `pqlJsonToAst threw ${String(e)}` };
  }
  try {
    const text = formatPql(ast);
    const errors = checkPql(ast, TEST_SCHEMA, text, "fuzz.json");
    parsePql(text);
    if (errors.length > 0) return { code: errors[0]?.code as string };
    const pred = compilePql(ast);
    for (const ctx of CONTEXTS) if (typeof pred(ctx) !== "boolean") return { failure: "a predicate returned a non-Boolean" };
    return {};
  } catch (e) {
    return e instanceof PqlError ? { code: e.code } : { failure: `threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
  }
}

// ------------------------------------------------------------------------------------------ a grammar for fast-check

const { expr: pqlText } = fc.letrec<{ expr: string; pred: string; value: string; path: string; strPath: string; event: string }>((tie) => ({
  path: fc.constantFrom("person.age", "person.birthYear", "loyalty.points", "orders.price", "xEvent.commerce.order.priceTotal", "$1.person.age"),
  strPath: fc.constantFrom("person.name.firstName", "homeAddress.city", "personalEmail.address", "favoriteColors", "orders.items.sku"),
  value: fc.oneof(
    { depthSize: "small" },
    tie("path"),
    fc.integer({ min: -1000, max: 1000 }).map(String),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }).map((d) => (Number.isInteger(d) ? `${d}.0` : String(d))),
    fc.tuple(tie("value"), fc.constantFrom("+", "-", "*", "/", "%"), tie("value")).map(([a, op, b]) => `${a} ${op} ${b}`),
    tie("value").map((v) => `-(${v})`),
    tie("value").map((v) => `(${v})`),
    fc.constantFrom("orders.count()", "xEvent[eventType = \"e1\"].count()", "orders.sum(price)", "currentYear()", "orders.items.count()"),
    fc.tuple(tie("pred"), tie("value"), tie("value")).map(([t, a, b]) => `if(${t}, ${a}, ${b})`),
  ),
  event: fc.oneof(
    fc.constantFrom('eventType = "e1"', "commerce.order.priceTotal > 10", "timestamp occurs < 7 days before now", 'productListItems[SKU = "S1"]', "^.isVip", "this.commerce.purchases.value >= 1"),
    fc.tuple(tie("event"), fc.constantFrom(" and ", " or "), tie("event")).map(([a, op, b]) => `(${a}${op}${b})`),
    tie("event").map((e) => `not ${e}`),
  ),
  pred: fc.oneof(
    { depthSize: "small" },
    fc.tuple(tie("value"), fc.constantFrom("=", "!=", "<", "<=", ">", ">="), tie("value")).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie("strPath"), fc.stringMatching(/^[a-z%_]{0,12}$/)).map(([p, s]) => `${p} like "${s}"`),
    fc.tuple(tie("strPath"), fc.constantFrom("^J", "(?i)john", "n$", "a.b", "\\\\d+", "(a+)+b", "[a-c]{2}", "(?x) a b", "\\\\Q.\\\\E", "(a)\\\\1", "a(?=b)")).map(([p, s]) => `${p} matches "${s}"`),
    fc.tuple(tie("path"), fc.constantFrom("in", "notIn"), fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 8 })).map(([p, op, xs]) => `${p} ${op} [${xs.join(", ")}]`),
    fc.tuple(tie("pred"), fc.constantFrom(" and ", " or "), tie("pred")).map(([a, op, b]) => `${a}${op}${b}`),
    tie("pred").map((p) => `(${p})`),
    fc.tuple(fc.constantFrom("not ", "!", "not not ", "!!"), tie("pred")).map(([n, p]) => `${n}(${p})`),
    tie("event").map((e) => `xEvent[${e}].count() > 1`),
    tie("event").map((e) => `xEvent[${e}]`),
    tie("event").map((e) => `chain(xEvent, timestamp, [A: WHAT(${e}), B: WHAT(eventType = "e2") COUNT(2)])`),
    tie("pred").map((p) => `exists X from xEvent where X.timestamp occurs before now and ${p}`),
    fc.constantFrom("isVip", "person", 'inSegment("seg1")', "loyalty.joinDate occurs between date(2015, 1, 1) and today", "orders.filter((O) => O.price > 3).count() > 2", "orders.groupBy(storeId).map((K, G) => mapEntry(K, G.sum(price)))", "let s = orders.sum(price) in s > 10"),
  ),
  expr: fc.oneof(tie("pred"), tie("pred").map((p) => `(P) => ${p.replace(/\$1\./g, "P.")}`), tie("value")),
}));

// ------------------------------------------------------------------------------------------ the suite

describe(`PQL fuzz (seed ${SEED}, ${RUNS.toLocaleString("en")} text inputs, ${JSON_RUNS.toLocaleString("en")} pql/json inputs, ${PROPERTY_RUNS.toLocaleString("en")} properties)`, () => {
  it(
    "text inputs: only coded PqlErrors escape, what parses round-trips, and no input runs over its time budget",
    () => {
      const r = fuzz(textInput, RUNS, textCase, (s) => s);
      report("text", r, "accepted and evaluated");
      expect(r.failures.slice(0, 20)).toEqual([]);
      expect(r.over.map((o) => `${o.ms.toFixed(0)} ms: ${clip(o.input)}`)).toEqual([]);
      // Both paths must be exercised for the suite to mean anything.
      expect(r.accepted).toBeGreaterThan(RUNS / 50);
      expect(r.count - r.accepted).toBeGreaterThan(RUNS / 4);
    },
    TIMEOUT_MS,
  );

  it(
    "pql/json inputs: mutated trees only raise coded PqlErrors, within the time budget",
    () => {
      const r = fuzz(jsonInput, JSON_RUNS, jsonPipeline, (s) => s);
      report("pql/json", r, "accepted and evaluated");
      expect(r.failures.slice(0, 20)).toEqual([]);
      expect(r.over.map((o) => `${o.ms.toFixed(0)} ms: ${clip(o.input)}`)).toEqual([]);
      expect(r.accepted).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );

  it(
    "property: format → parse and pql/json → text → pql/json are identities on generated expressions",
    () => {
      fc.assert(
        fc.property(pqlText, (text) => {
          const outcome = textCase(text);
          const failure = outcome.failure ?? outcome.verify?.();
          if (failure !== undefined) throw new Error(failure);
        }),
        { seed: SEED, numRuns: PROPERTY_RUNS },
      );
    },
    TIMEOUT_MS,
  );
});
