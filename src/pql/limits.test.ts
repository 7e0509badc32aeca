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

  it("an `in` list of 100,000 elements is refused before lexing (maxTextLength), 20,000 before parsing (maxListItems); 5,000 are a set lookup", () => {
    const list = (n: number): string => `person.age in [${Array.from({ length: n }, (_, i) => i).join(", ")}]`;
    expectRefused(list(100_000), "PQL-S013", "maxTextLength");
    const e = expectRefused(list(20_000), "PQL-S013", "maxListItems");
    expect(e.location.column).toBe(15);
    const items = Array.from({ length: MAX_LIST_ITEMS }, (_, i) => `"c${i}"`).join(", ");
    const ok = `homeAddress.city in [${items}]`;
    expect(problems(ok)).toEqual([]);
    const pred = compileSegmentExpression(ok, TEST_SCHEMA);
    expect(pred(ctx)).toBe(true);
    expect(pred({ ...ctx, profile: { homeAddress: { city: "nowhere" } } })).toBe(false);
    expect(compileSegmentExpression(`homeAddress.city notIn [${items}]`, TEST_SCHEMA)({ ...ctx, profile: { homeAddress: { city: "nowhere" } } })).toBe(true);
  });

  it("a list of more than 5,000 items is refused: literals before parsing, others by the checker (maxListItems)", () => {
    expectRefused(`person.age in [${Array.from({ length: MAX_LIST_ITEMS + 1 }, () => "1").join(",")}]`, "PQL-S013", "maxListItems");
    const items: PqlExpr[] = Array.from({ length: MAX_LIST_ITEMS + 1 }, () => ({ nodeType: "literal", literalType: "Integer", value: 1 }));
    const fromJson = checkPql({ nodeType: "membership", op: "in", left: { nodeType: "fieldLookup", object: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "person" }, fieldName: "age" }, right: { nodeType: "list", items } }, TEST_SCHEMA, "x");
    expect(fromJson.map((e) => e.code)).toEqual(["PQL-T011"]);
    expect(fromJson[0]?.message).toContain("(maxListItems)");
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

  it("tokens are counted before parsing, brackets aside: exactly the limit parses", () => {
    // `isVip or … or isVip` with n terms is 2n - 1 counted tokens.
    const chain = (n: number): string => Array.from({ length: n }, () => "isVip").join(" or ");
    expect(() => parsePql(chain(MAX_TOKENS / 2 + 1))).toThrow(/maxTokens/);
    expect(() => parsePql(chain(MAX_TOKENS / 2))).not.toThrow();
    expect(() => parsePql(`((((${chain(MAX_TOKENS / 2)}))))`)).not.toThrow();
  });

  it("compileSegmentExpression throws the budget error (the segment job never starts)", () => {
    expect(() => compileSegmentExpression(`person.age in [${Array.from({ length: MAX_LIST_ITEMS + 1 }, () => "1").join(",")}]`, undefined)).toThrow(/maxListItems/);
    expect(() => compileSegmentExpression(Array.from({ length: MAX_LOGICAL_OPERANDS + 1 }, () => "isVip").join(" or "), undefined)).toThrow(/maxLogicalOperands/);
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

describe("literal lists are parsed on a fast path with the same result", () => {
  /** The same list, with one item that is not a literal so that it takes chevrotain's path. */
  const slow = (items: string): string => `x in [${items}, (0)]`;
  const fast = (items: string): string => `x in [${items}, 0]`;
  const strip = (ast: PqlExpr): string => JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v));

  it.each(['1, -2, "a\\n", true, FALSE, 1.5e3, -0.5, ""', '"😀", -9007199254740991'])("[%s]", (items) => {
    const a = parsePql(fast(items));
    const b = parsePql(slow(items));
    expect(strip(a).replace(/,\{"nodeType":"literal","literalType":"Integer","value":0\}\]/, "")).toBe(strip(b).replace(/,\{"nodeType":"literal","literalType":"Integer","value":0\}\]/, ""));
    // Spans as chevrotain gives them: each item's, and the list's from '[' to ']'.
    const list = (a as unknown as { right: { items: Array<{ span: unknown }>; span: { start: { column: number }; end: { column: number } } } }).right;
    expect(list.span.start.column).toBe(6);
    expect(list.span.end.column).toBe(fast(items).length + 1);
    expect(list.items[1]?.span).toEqual((b as unknown as { right: { items: Array<{ span: unknown }> } }).right.items[1]?.span);
  });

  it.each([
    ["[-", "PQL-S002"],
    ["[1, -", "PQL-S002"],
    ["[1, 2", "PQL-S003"],
    ["[1 2]", "PQL-S003"],
    ["[1, 99999999999999999999]", "PQL-S012"],
    ['[1, "\\q"]', "PQL-L003"],
    ["a.in[1, 2]", "PQL-S003"],
    ["a[1, 2]", "PQL-S003"],
  ])("%s is the same error (%s)", (text, code) => {
    let error: unknown;
    try {
      parsePql(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PqlError);
    expect((error as PqlError).code).toBe(code);
  });
});
