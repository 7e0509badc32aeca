/**
 * Round trips on what the parser accepts (issue 17): format → parse and pql/json → text → pql/json are identities,
 * deep `not` and minus runs and nested lambdas included. The property over generated inputs is in
 * test/fuzz/pql.fuzz.test.ts.
 */
import { describe, expect, it } from "vitest";
import { astToPqlJson, formatPql, parsePql, pqlJsonToAst, type PqlExpr } from "./index.js";
import { MAX_AST_DEPTH, MAX_BRACKET_DEPTH } from "./limits.js";

function shape(ast: PqlExpr): string {
  return JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v));
}

function expectRoundTrips(text: string): void {
  const ast = parsePql(text);
  const formatted = formatPql(ast);
  expect(shape(parsePql(formatted))).toBe(shape(ast));
  expect(formatPql(parsePql(formatted))).toBe(formatted);
  const json = astToPqlJson(ast);
  expect(astToPqlJson(parsePql(formatPql(pqlJsonToAst(json))))).toBe(json);
}

describe("round trips", () => {
  it.each([
    ["a run of not deeper than the bracket limit", `${"not ".repeat(MAX_AST_DEPTH - 10)}isVip`],
    ["a run of ! as deep", `${"!".repeat(MAX_AST_DEPTH - 10)}isVip`],
    ["a run of unary minus", `${"- ".repeat(MAX_AST_DEPTH - 10)}person.age > 1`],
    ["nested not around a comparison", `${"not ".repeat(MAX_BRACKET_DEPTH + 1)}person.age = 1`],
    ["a lambda whose body is a lambda", "(P) =>(P) => P.xEvent.count()"],
    ["a lambda in a list", "[(x) => x]"],
    ["a lambda as a lambda's result in map", "a.map((K, G) => (X) => 1)"],
    ["a lambda in parentheses", "((P) => P.a) and b"],
    // Found by the 100,000-input fuzz run: `^` past the profile is the profile in pql/json, and the field name
    // then starts a path, where a keyword or a bound name cannot stand: pql/json → text writes `$1.` before it.
    ["a keyword field reached past the profile", "^^. forall"],
    ["another keyword field", "not ^^. some"],
    ["an operator keyword as a field", "^or"],
    ["a field named like a lambda parameter", "ors.map((i, o) => ^i)"],
    ["a field named like a let variable", "let x = 1 in ^x"],
    ["a keyword field on an element", "xEvent[^^^select]"],
  ])("%s", (_name, text) => {
    expectRoundTrips(text);
  });

  it("writes a run of negations with one pair of brackets: not not (x), - -x", () => {
    expect(formatPql(parsePql("not not !a"))).toBe("not not not (a)");
    expect(formatPql(parsePql("not (not (a = 1))"))).toBe("not not (a = 1)");
    expect(formatPql(parsePql("-(-(-a))"))).toBe("- - -a");
    expect(formatPql(parsePql("-(-(a + 1))"))).toBe("- -(a + 1)");
  });
});
