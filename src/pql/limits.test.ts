/**
 * The cost budget (limits.ts, grammar/DECISIONS.md "Limits"): what exceeds a limit is refused before it is
 * evaluated, with a located PqlError that names the limit; deep nesting never overflows the stack anywhere.
 * Each case is one of issue 17's hostile inputs.
 */
import { describe, expect, it } from "vitest";
import { NOW, TEST_SCHEMA } from "../../test/pql/fixtures.js";
import type { PqlExpr } from "./ast.js";
import { astToPqlJson, checkPql, checkSegment, compilePql, compilePqlValue, compileSegmentExpression, formatPql, parsePql, PqlError, pqlJsonToAst } from "./index.js";
import { MAX_AST_DEPTH, MAX_ITERATION_DEPTH, MAX_LIST_ITEMS, MAX_LOGICAL_OPERANDS, MAX_TOKENS, PQL_LIMITS } from "./limits.js";

/** The errors of parse + check, as check would print them. */
function problems(expr: string): PqlError[] {
  return checkSegment(expr, TEST_SCHEMA, "segment.pql").errors;
}

function expectRefused(expr: string, code: string, limit: keyof typeof PQL_LIMITS): PqlError {
  const errors = problems(expr);
  const e = errors.find((x) => x.code === code);
  if (e === undefined) throw new Error(`expected ${code}, got ${errors.map((x) => x.format()).join("\n") || "no error"}`);
  expect(e.message).toContain(`(${limit})`);
  expect(e.message).toContain(PQL_LIMITS[limit].toLocaleString("en"));
  expect(e.location.line).toBeGreaterThanOrEqual(1);
  expect(e.detail).toContain("^");
  return e;
}

const ctx = { profile: { person: { age: 7 }, homeAddress: { city: "c7" } }, events: [{ timestamp: "2018-08-27T00:00:00Z" }, { timestamp: "2018-08-26T00:00:00Z" }], now: NOW };

describe("budgets are checked before evaluation", () => {
  it("fifty nested filter lambdas are refused (maxIterationDepth), one more than the limit too, the limit is accepted", () => {
    const nested = (d: number): string => {
      let s = "true";
      for (let i = 0; i < d; i++) s = `orders.filter((O${i}) => ${s}).count() > 0`;
      return s;
    };
    const e = expectRefused(nested(50), "PQL-T011", "maxIterationDepth");
    expect(e.message).toContain(`nested ${MAX_ITERATION_DEPTH + 1} deep`);
    expectRefused(nested(MAX_ITERATION_DEPTH + 1), "PQL-T011", "maxIterationDepth");
    expect(problems(nested(MAX_ITERATION_DEPTH)).map((x) => x.code)).not.toContain("PQL-T011");
  });

  it("three nested loops over xEvent are refused (maxEventLoopDepth), two are accepted", () => {
    expect(problems("exists X from xEvent, Y from xEvent where Y.timestamp occurs after X.timestamp")).toEqual([]);
    expectRefused("exists X from xEvent, Y from xEvent, Z from xEvent where Z.timestamp occurs after Y.timestamp", "PQL-T011", "maxEventLoopDepth");
    expectRefused("xEvent[^.xEvent[^^.xEvent[eventType = \"a\"]]]", "PQL-T011", "maxEventLoopDepth");
  });

  it("an `in` list of 100,000 elements is refused before parsing (maxTokens); 5,000 are a set lookup", () => {
    const list = (n: number): string => `person.age in [${Array.from({ length: n }, (_, i) => i).join(", ")}]`;
    expectRefused(list(200_000), "PQL-S013", "maxTextLength");
    const e = expectRefused(list(100_000), "PQL-S013", "maxTokens");
    expect(e.location.column).toBeGreaterThan(1);
    const items = Array.from({ length: MAX_LIST_ITEMS }, (_, i) => `"c${i}"`).join(", ");
    const ok = `homeAddress.city in [${items}]`;
    expect(problems(ok)).toEqual([]);
    const pred = compileSegmentExpression(ok, TEST_SCHEMA);
    expect(pred(ctx)).toBe(true);
    expect(pred({ ...ctx, profile: { homeAddress: { city: "nowhere" } } })).toBe(false);
    expect(compileSegmentExpression(`homeAddress.city notIn [${items}]`, TEST_SCHEMA)({ ...ctx, profile: { homeAddress: { city: "nowhere" } } })).toBe(true);
  });

  it("a list literal of more than 5,000 items is refused (maxListItems)", () => {
    expectRefused(`person.age in [${Array.from({ length: MAX_LIST_ITEMS + 1 }, () => "1").join(",")}]`, "PQL-T011", "maxListItems");
  });

  it("a 10,000-term and chain is refused before parsing (maxTokens); 1,001 operands by the checker (maxLogicalOperands)", () => {
    expectRefused(Array.from({ length: 10_000 }, (_, i) => `person.age = ${i}`).join(" and "), "PQL-S013", "maxTokens");
    expectRefused(Array.from({ length: MAX_LOGICAL_OPERANDS + 1 }, () => "isVip").join(" or "), "PQL-T011", "maxLogicalOperands");
    expect(problems(Array.from({ length: MAX_LOGICAL_OPERANDS }, () => "isVip").join(" or "))).toEqual([]);
  });

  it("a 2 MB string literal is refused before lexing (maxTextLength); 100,000 characters by the checker (maxStringLength)", () => {
    expectRefused(`personalEmail.address = "${"x".repeat(2_000_000)}"`, "PQL-S013", "maxTextLength");
    const e = expectRefused(`personalEmail.address = "${"x".repeat(100_000)}"`, "PQL-T011", "maxStringLength");
    expect(e.location.column).toBe(25);
  });

  it("tokens are counted before parsing: exactly the limit parses", () => {
    // `a in [1, …, 1]` is 2n + 1 counted tokens (brackets aside).
    const list = (n: number): string => `a in [${Array.from({ length: n }, () => "1").join(",")}]`;
    expect(() => parsePql(list((MAX_TOKENS - 2) / 2))).not.toThrow();
    expect(() => parsePql(`${list((MAX_TOKENS - 2) / 2)} and b`)).toThrow(/maxTokens/);
    expect(() => parsePql(`(${list((MAX_TOKENS - 2) / 2)}) and (((b)))`.replace(" and (((b)))", ""))).not.toThrow();
  });

  it("compileSegmentExpression throws the budget error (the segment job never starts)", () => {
    expect(() => compileSegmentExpression(`person.age in [${Array.from({ length: MAX_LIST_ITEMS + 1 }, () => "1").join(",")}]`, undefined)).toThrow(/maxListItems/);
  });
});

describe("deep nesting is a located PQL error, never a stack overflow", () => {
  /** A hand-built (or converted) tree deeper than the parser would ever give. */
  function deepNot(depth: number): PqlExpr {
    let n: PqlExpr = { nodeType: "literal", literalType: "Boolean", value: true };
    for (let i = 0; i < depth; i++) n = { nodeType: "not", operand: n };
    return n;
  }

  it.each([
    ["checkPql", (ast: PqlExpr) => checkPql(ast, TEST_SCHEMA, "x")[0] as never],
    ["compilePql", (ast: PqlExpr) => compilePql(ast)],
    ["compilePqlValue", (ast: PqlExpr) => compilePqlValue(ast)],
    ["formatPql", (ast: PqlExpr) => formatPql(ast)],
    ["astToPqlJson", (ast: PqlExpr) => astToPqlJson(ast)],
  ])("%s on a 200,000-deep tree", (_name, f) => {
    let outcome: unknown;
    try {
      outcome = f(deepNot(200_000));
    } catch (e) {
      outcome = e;
    }
    expect(outcome).toBeInstanceOf(PqlError);
    expect((outcome as PqlError).code).toBe("PQL-S011");
    expect((outcome as PqlError).message).toContain("maxAstDepth");
  });

  it("pqlJsonToAst on a 100,000-deep pql/json tree", () => {
    let json = '{"nodeType":"literal","literalType":"Boolean","value":true}';
    for (let i = 0; i < 100_000; i++) json = `{"nodeType":"fnApply","fnName":"not","params":[${json}]}`;
    expect(() => pqlJsonToAst(json)).toThrow(/maxAstDepth/);
  });

  it.each([
    ["not ", 100_000, "a"],
    ["- ", 100_000, "a"],
    ["(", 100_000, ""],
    ["xEvent[", 10_000, ""],
    ["a.map(", 10_000, ""],
    ["(x) => ", 20_000, "x"],
  ])("parsePql on %j × %i", (unit, n, tail) => {
    expect(() => parsePql(unit.repeat(n) + tail)).toThrow(PqlError);
  });

  it("a tree at the depth limit still checks, compiles, formats and converts", () => {
    const ast = deepNot(MAX_AST_DEPTH - 1);
    expect(checkPql(ast, TEST_SCHEMA, "x")).toEqual([]);
    expect(compilePql(ast)(ctx)).toBe((MAX_AST_DEPTH - 1) % 2 === 0);
    expect(formatPql(ast).startsWith("not not ")).toBe(true);
    expect(pqlJsonToAst(astToPqlJson(ast))).toEqual(ast);
  });
});
