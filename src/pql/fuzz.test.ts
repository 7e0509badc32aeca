/**
 * Robustness: on any input the parser returns an AST or throws PqlError, never another exception and never
 * hangs; whatever parses also checks, formats (stably), converts to pql/json and back, compiles and evaluates
 * (as a predicate and as a value) without a foreign exception. Mutated pql/json trees only ever raise PqlError.
 */
import { describe, expect, it } from "vitest";
import { ev, GRAMMAR_SEEDS, NOW, rng, TEST_SCHEMA } from "../../test/pql/fixtures.js";
import type { JsonObject } from "../xdm/types.js";
import { astToPqlJson, checkPql, classifyEvaluation, compilePql, compilePqlValue, formatPql, parsePql, pqlJsonToAst, PqlError, type PqlExpr } from "./index.js";


const seeds = GRAMMAR_SEEDS;

const VOCAB = [
  "and", "or", "not", "!", "in", "notIn", "like", "select", "from", "where", "occurs", "between", "on", "before",
  "after", "this", "last", "next", "now", "today", "yesterday", "tomorrow", "true", "false", "xEvent", "date",
  "(", ")", "[", "]", ",", ".", "=", "!=", "<", "<=", ">", ">=", "==", "&&", "||", "=>", "+", "-", "*", "/", "%",
  "{", "}", ":", "^", "$1", "@", '"', '"x"', '"\\', "\\", "'", "“", "0", "1", "-1", ".5", "1e3", "9".repeat(30),
  "days", "month", "weeks", "count()", "contains(", "startsWith(\"a\", false)", "X", "X.a", "\n", "\t", " ", "é", "😀",
  "\u0000", "\r", "((((", "))))", "[[[", "not not not", "timestamp", "eventType",
  "let", "X", "=", "in", "exists", "forall", "some", "all", ":", "sum", "average", "min", "max", "over", "matches", "chain(", "CHAIN",
  "WHAT(", "WHEN(", "WHERE(", "COUNT(", "A:", "=>", "(x) =>", "(K, G) =>", "$1", "$2", "^", "^^.", "{", "}", '{"a": 1}', "if(", "inSegment(",
  "mapEntry(", ".filter(", ".map(", ".groupBy(", ".topN(", ".sum(", ".get(", ".keys()", ".values()", ".isNull()", ".exists(", ".regexGroup(",
  '"(?i)a"', '"a*+"', '"\\\\A"', "currentYear()", ".getMonth()", "+", "-", "*", "/", "%", "- -", "0", "/ 0",
];
const CHARS = ' \t\n()[]{}.,=!<>"\'\\%_-+*/:;^$@#&|?aAxXzZ019éß😀“”';

function mutate(s: string, r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const at = Math.floor(r() * (s.length + 1));
  switch (Math.floor(r() * 7)) {
    case 0:
      return s.slice(0, at) + pick(VOCAB) + s.slice(at);
    case 1:
      return s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 5));
    case 2:
      return s.slice(0, at) + pick([...CHARS]) + s.slice(at);
    case 3: {
      const b = Math.floor(r() * (s.length + 1));
      return s.slice(0, Math.min(at, b)) + s.slice(Math.min(at, b), Math.max(at, b)).repeat(2) + s.slice(Math.max(at, b));
    }
    case 4:
      return s.slice(0, at);
    case 5:
      return `${s} ${pick(["and", "or", "="])} ${pick(seeds)}`;
    default:
      return s.slice(at) + s.slice(0, at);
  }
}

/**
 * Input #i: a quarter random tokens, a quarter random characters, and half mutated seeds, taken in turn so
 * that every seed (each line of roundtrip.txt and each grammar example) is mutated the same number of times.
 */
function randomInput(i: number): string {
  const r = rng(i + 1);
  const kind = i % 4;
  if (kind === 0) {
    // Random tokens from the vocabulary.
    const n = 1 + Math.floor(r() * 12);
    return Array.from({ length: n }, () => VOCAB[Math.floor(r() * VOCAB.length)]).join(r() < 0.5 ? " " : "");
  }
  if (kind === 1) {
    // Random characters.
    const n = Math.floor(r() * 40);
    return Array.from({ length: n }, () => [...CHARS][Math.floor(r() * [...CHARS].length)]).join("");
  }
  // Mutated real expressions (1–4 mutations).
  let s = seeds[(2 * Math.floor(i / 4) + kind - 2) % seeds.length] as string;
  const m = 1 + Math.floor(r() * 4);
  for (let k = 0; k < m; k++) s = mutate(s, r);
  return s;
}

function shape(ast: PqlExpr): string {
  return JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v));
}

const profile: JsonObject = {
  person: { age: 30, name: { firstName: "John" }, birthDate: "1988-08-28" },
  homeAddress: { countryCode: "US", city: "Paris" },
  orders: [{ id: "o1", price: 5, storeId: "s", items: [{ sku: "A", price: 1 }] }, { price: "x", items: null }],
  favoriteColors: ["red", 1, null, [2]],
  identityMap: { ECID: [{ id: "e" }] },
  a: { b: [1, 2, { c: 3 }] },
};
const events: JsonObject[] = [
  ev("2018-08-27T10:00:00Z", "commerce.purchases", { commerce: { order: { priceTotal: 10 } }, productListItems: [{ SKU: "PS" }] }),
  ev("2018-08-28T09:00:00Z"),
  { eventType: "x", timestamp: 5 },
];
const inSegment = (ref: string): boolean => ref.length % 2 === 0;

/** Every seed mutated 16 times (16 rounds of the seeds), plus as many random token and character inputs. */
const MUTATIONS_PER_SEED = 16;
const TEXT_INPUTS = 2 * MUTATIONS_PER_SEED * seeds.length;
const JSON_INPUTS = 10_000;

/** Mutate a JSON tree: change a node type, a function name, a literal, drop or duplicate a key. */
function mutateJson(v: unknown, r: () => number): unknown {
  if (Array.isArray(v)) {
    const out = v.map((x) => (r() < 0.3 ? mutateJson(x, r) : x));
    if (r() < 0.1) out.pop();
    if (r() < 0.05) out.push(out[0] ?? null);
    return out;
  }
  if (typeof v !== "object" || v === null) {
    const choices: unknown[] = [null, 0, -1, 1.5, "", "x", "1", true, [], {}, "String", "Integer", "fnApply", "=", "and", "matches", "(", 1e300];
    return r() < 0.2 ? choices[Math.floor(r() * choices.length)] : v;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = r();
    if (p < 0.05) continue;
    if (k === "nodeType" && p < 0.15) {
      const kinds = ["fnApply", "fnCreate", "fieldLookup", "literal", "varRef", "varDecl", "select", "quantification", "parameterReference", "set", "wat"];
      out[k] = kinds[Math.floor(r() * kinds.length)];
      continue;
    }
    if (k === "fnName" && p < 0.2) {
      const names = ["=", "and", "or", "not", "in", "-", "occurs", "chain", "step", "WHEN", "let", "over", "object", "list", "filter", "map", "sum", "if", "date", "now", "last", "matches", "equals", "modelInstances"];
      out[k] = names[Math.floor(r() * names.length)];
      continue;
    }
    out[k] = p < 0.4 ? mutateJson(x, r) : x;
  }
  return out;
}

describe(`fuzz: ${TEXT_INPUTS.toLocaleString("en")} text and ${JSON_INPUTS.toLocaleString("en")} pql/json inputs`, () => {
  it("only PqlError escapes parse/check/format/json/compile/evaluate, and formatting is stable", () => {
    let parsed = 0;
    let rejected = 0;
    // The seeds as they are first, then the generated inputs.
    for (let i = -seeds.length; i < TEXT_INPUTS; i++) {
      const input = i < 0 ? seeds[seeds.length + i]! : randomInput(i);
      let ast: PqlExpr;
      try {
        ast = parsePql(input, "fuzz.pql");
      } catch (e) {
        if (!(e instanceof PqlError)) throw new Error(`input #${i} ${JSON.stringify(input)} threw ${String(e)}`);
        expect(e.location.line, `input #${i}`).toBeGreaterThanOrEqual(1);
        expect(e.detail, `input #${i}`).toContain("^");
        rejected++;
        continue;
      }
      parsed++;
      try {
        for (const err of checkPql(ast, TEST_SCHEMA, input, "fuzz.pql")) expect(err).toBeInstanceOf(PqlError);
        const text = formatPql(ast);
        const again = parsePql(text);
        if (shape(again) !== shape(ast)) throw new Error(`format is not stable: ${JSON.stringify(text)}`);
        if (formatPql(again) !== text) throw new Error(`format is not idempotent: ${JSON.stringify(text)}`);
        classifyEvaluation(ast);
        try {
          formatPql(pqlJsonToAst(astToPqlJson(ast)));
        } catch (e) {
          if (!(e instanceof PqlError)) throw e;
        }
        let pred;
        let value;
        try {
          pred = compilePql(ast);
          value = compilePqlValue(ast);
        } catch (e) {
          if (e instanceof PqlError) continue;
          throw e;
        }
        const ctx = { profile, events, now: NOW, inSegment };
        if (typeof pred(ctx) !== "boolean") throw new Error("a predicate returned a non-Boolean");
        if (value(ctx) === undefined) throw new Error("a value function returned undefined");
      } catch (e) {
        throw new Error(`input #${i} ${JSON.stringify(input)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // Both paths must be exercised for the test to mean anything.
    expect(parsed).toBeGreaterThan(TEXT_INPUTS / 10);
    expect(rejected).toBeGreaterThan(TEXT_INPUTS / 10);
  });

  it("only PqlError escapes pqlJsonToAst on mutated trees, and what converts also formats and parses", () => {
    const trees = seeds.flatMap((s) => {
      try {
        return [JSON.parse(astToPqlJson(parsePql(s))) as unknown];
      } catch {
        return [];
      }
    });
    let converted = 0;
    for (let i = 0; i < JSON_INPUTS; i++) {
      const r = rng(1_000_003 + i);
      let tree = trees[Math.floor(r() * trees.length)];
      const m = 1 + Math.floor(r() * 3);
      for (let k = 0; k < m; k++) tree = mutateJson(tree, r);
      const json = JSON.stringify(tree) ?? "null";
      try {
        const ast = pqlJsonToAst(json, "fuzz.json");
        converted++;
        parsePql(formatPql(ast));
      } catch (e) {
        if (!(e instanceof PqlError)) throw new Error(`json input #${i} ${json}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
    expect(converted).toBeGreaterThan(JSON_INPUTS / 10);
  });

  // No clock here: a parser that backtracked exponentially on these would not finish before the test's timeout.
  it("parses or rejects pathological inputs (deep nesting, long chains, huge literals) without a foreign exception", () => {
    const inputs = [
      "(".repeat(100_000),
      "[".repeat(100_000),
      "not ".repeat(50_000) + "a",
      "!".repeat(100_000) + "a",
      `a${".b".repeat(50_000)}`,
      `"${"\\\\".repeat(50_000)}`,
      "a = 1 and ".repeat(20_000) + "b",
      `[${"1, ".repeat(50_000)}1]`,
      "x".repeat(200_000),
      "-".repeat(100_000) + "a",
      "let x = 1 in ".repeat(20_000) + "x",
      "(x) => ".repeat(20_000) + "x",
      "a.map(".repeat(5_000),
      "{".repeat(100_000),
      "^".repeat(100_000) + "a",
      "a + ".repeat(20_000) + "a",
      `chain(xEvent, timestamp, [${Array.from({ length: 5_000 }, (_, i) => `S${i}: WHAT(a)`).join(", ")}])`,
    ];
    for (const s of inputs) {
      try {
        parsePql(s);
      } catch (e) {
        expect(e).toBeInstanceOf(PqlError);
      }
    }
  }, 600_000);
});
