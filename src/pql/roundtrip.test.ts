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
