/**
 * Robustness: on any input the parser returns an AST or throws PqlError, never another exception and never
 * hangs; whatever parses also checks, formats (stably), compiles and evaluates without a foreign exception.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ev, NOW, TEST_SCHEMA } from "../../test/pql/fixtures.js";
import { checkPql, compilePql, formatPql, parsePql, PqlError, type PqlExpr } from "./index.js";

/** Deterministic PRNG (mulberry32) so a failure is reproducible from its index. */
function rng(seed: number): () => number {
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
const seeds = [
  ...readFileSync(`${grammarDir}roundtrip.txt`, "utf8").split("\n"),
  ...readdirSync(`${grammarDir}examples`)
    .filter((f) => f.endsWith(".pql"))
    .map((f) => readFileSync(`${grammarDir}examples/${f}`, "utf8").trimEnd()),
].filter((s) => s.trim() !== "");

const VOCAB = [
  "and", "or", "not", "!", "in", "notIn", "like", "select", "from", "where", "occurs", "between", "on", "before",
  "after", "this", "last", "next", "now", "today", "yesterday", "tomorrow", "true", "false", "xEvent", "date",
  "(", ")", "[", "]", ",", ".", "=", "!=", "<", "<=", ">", ">=", "==", "&&", "||", "=>", "+", "-", "*", "/", "%",
  "{", "}", ":", "^", "$1", "@", '"', '"x"', '"\\', "\\", "'", "“", "0", "1", "-1", ".5", "1e3", "9".repeat(30),
  "days", "month", "weeks", "count()", "contains(", "startsWith(\"a\", false)", "X", "X.a", "\n", "\t", " ", "é", "😀",
  "\u0000", "\r", "((((", "))))", "[[[", "not not not", "timestamp", "eventType",
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
  let s = seeds[Math.floor(r() * seeds.length)] as string;
  const m = 1 + Math.floor(r() * 4);
  for (let k = 0; k < m; k++) s = mutate(s, r);
  return s;
}

function shape(ast: PqlExpr): string {
  return JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v));
}

const profile = { person: { age: 30, name: { firstName: "John" } }, homeAddress: { countryCode: "US" }, orders: [{ items: [{ sku: "A" }] }] };
const events = [ev("2018-08-27T10:00:00Z", "commerce.purchases"), ev("2018-08-28T09:00:00Z")];

describe("fuzz: 20,000 random and mutated inputs", () => {
  it("only PqlError escapes parse/check/format/compile/evaluate, and formatting is stable", () => {
    let parsed = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const input = randomInput(i);
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
        expect(formatPql(again)).toBe(text);
        let pred;
        try {
          pred = compilePql(ast);
        } catch (e) {
          if (e instanceof PqlError) continue;
          throw e;
        }
        expect(typeof pred({ profile, events, now: NOW })).toBe("boolean");
      } catch (e) {
        throw new Error(`input #${i} ${JSON.stringify(input)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    // Both paths must be exercised for the test to mean anything.
    expect(parsed).toBeGreaterThan(2000);
    expect(rejected).toBeGreaterThan(2000);
  });

  it("rejects pathological inputs quickly", () => {
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
    ];
    const start = performance.now();
    for (const s of inputs) {
      try {
        parsePql(s);
      } catch (e) {
        expect(e).toBeInstanceOf(PqlError);
      }
    }
    expect(performance.now() - start).toBeLessThan(20_000);
  });
});
