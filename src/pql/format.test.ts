import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatPql, parsePql, type PqlExpr } from "./index.js";

const ROUNDTRIP = fileURLToPath(new URL("../../grammar/roundtrip.txt", import.meta.url));
const lines = readFileSync(ROUNDTRIP, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "");

function shape(ast: PqlExpr): unknown {
  return JSON.parse(JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v)));
}

describe("grammar/roundtrip.txt survives text → AST → text unchanged", () => {
  it("has at least 200 expressions", () => {
    expect(lines.length).toBeGreaterThanOrEqual(200);
  });

  it.each(lines)("%s", (line) => {
    const ast = parsePql(line);
    const text = formatPql(ast);
    expect(text).toBe(line);
    expect(shape(parsePql(text))).toEqual(shape(ast));
  });
});

describe("formatPql writes canonical text", () => {
  it.each([
    ["lower-case keywords, field names untouched", "A AND B OR NOT C", "A and B or not (C)"],
    ["! as not", "!(a = 1)", "not (a = 1)"],
    ["not without parentheses in the input", "not a = 1", "not (a = 1)"],
    ["single spaces", "  a=1   and\n b  >=2 ", "a = 1 and b >= 2"],
    ["no redundant parentheses", "((a = 1)) and (b)", "a = 1 and b"],
    ["parentheses kept where precedence needs them", "(a or b) and c", "(a or b) and c"],
    ["doubles in canonical form", "x = .45", "x = 0.45"],
    ["exponents in lower case", "x = 2.02E-12", "x = 2.02e-12"],
    ["integer-valued doubles keep a decimal point", "x = 1E3", "x = 1000.0"],
    ["a missing occurs comparison as =", "t occurs 3 days before now", "t occurs = 3 days before now"],
    ["the optional on dropped", "t occurs on today", "t occurs today"],
    ["units by amount: singular for 1", "t occurs <= 1 days before now", "t occurs <= 1 day before now"],
    ["units by amount: plural otherwise", "t occurs <= 2 day before now", "t occurs <= 2 days before now"],
    ["the 2018 spelling millenium", "t occurs last millenium", "t occurs last millennium"],
    ["upper-case units", "t occurs <= 2 WEEKS before NOW", "t occurs <= 2 weeks before now"],
    ["a parenthesised in list", 'a in (["x"])', 'a in ["x"]'],
    ["a select in an and", "a and (select X from xEvent)", "a and (select X from xEvent)"],
    ["keywords as member names", "a.SELECT = 1", "a.SELECT = 1"],
    ["some as exists", "some X from xEvent where X.a", "exists X from xEvent where X.a"],
    ["all as forall", "ALL X from xEvent where X.a", "forall X from xEvent where X.a"],
    ["':' as the last where", "exists X from xEvent : X.a = 1", "exists X from xEvent where X.a = 1"],
    ["infix matches for the member form", 'a.matches("x")', 'a matches "x"'],
    ["a negative literal folded", "a = - 5", "a = -5"],
    ["arithmetic without redundant parentheses", "((a + b) * c) - (d / e)", "(a + b) * c - d / e"],
    ["right operands parenthesised when needed", "a - (b - c)", "a - (b - c)"],
    ["$1 kept as written", "$1.a = 1", "$1.a = 1"],
    ["up references", "x[y[^^.a = ^.b]]", "x[y[^^.a = ^.b]]"],
    ["an up reference without a dot", "x[^a = 1]", "x[^.a = 1]"],
    ["chain clauses in upper case", "chain(xEvent, timestamp, [A: what(a) when(today) count(2)])", "chain(xEvent, timestamp, [A: WHAT(a) WHEN(today) COUNT(2)])"],
    ["CHAIN keeps its spelling", "CHAIN(xEvent, timestamp, [A: WHAT(a)])", "CHAIN(xEvent, timestamp, [A: WHAT(a)])"],
    ["a select argument parenthesised", "f.map((select X from y))", "f.map((select X from y))"],
    ["a lambda argument bare", "f.map(((x) => x.a))", "f.map((x) => x.a)"],
    ["this in lower case", "x[THIS.a = 1]", "x[this.a = 1]"],
    ["this without redundant parentheses", "x[(this).a = (this)]", "x[this.a = this]"],
    ["this kept as written, not as the implicit context", "x.map(this.a)", "x.map(this.a)"],
    ["this alone as an occurs reference", "x[t occurs before (this)]", "x[t occurs before this]"],
  ])("%s", (_name, input, expected) => {
    expect(formatPql(parsePql(input))).toBe(expected);
  });

  it("formats trees built without spans", () => {
    const ast: PqlExpr = {
      nodeType: "comparison",
      op: "=",
      left: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "a" },
      right: { nodeType: "literal", literalType: "String", value: 'x"y' },
    };
    expect(formatPql(ast)).toBe('a = "x\\"y"');
  });
});
