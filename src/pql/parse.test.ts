import { describe, expect, it } from "vitest";
import { formatPql, parsePql, PqlError, type PqlExpr } from "./index.js";
import { MAX_AST_DEPTH, MAX_BRACKET_DEPTH } from "./parse.js";

function parseError(text: string, file?: string): PqlError {
  try {
    parsePql(text, file);
  } catch (e) {
    if (e instanceof PqlError) return e;
    throw e;
  }
  throw new Error(`expected a PqlError for ${JSON.stringify(text)}`);
}

/** The AST without spans, for shape assertions. */
function shape(ast: PqlExpr): unknown {
  return JSON.parse(JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v)));
}

interface ErrorCase {
  readonly name: string;
  readonly text: string;
  readonly code: string;
  readonly message: string;
  readonly column: number;
}

describe("parsePql rejects", () => {
  it.each<ErrorCase>([
    { name: "an unterminated string", text: 'person.name = "John', code: "PQL-L002", message: "unterminated string literal: missing closing '\"'", column: 15 },
    { name: "a string broken by a newline", text: '"a\nb"', code: "PQL-L002", message: "unterminated string literal: missing closing '\"'", column: 1 },
    { name: "an unknown escape", text: 'a = "\\w+"', code: "PQL-L003", message: "invalid escape sequence '\\w' in string; use \\\\ for a backslash (escapes: \\\\ \\\" \\n \\t)", column: 6 },
    { name: "a typographic quote", text: 'stateProvinceISO = “CA"', code: "PQL-L001", message: "unexpected character '“': PQL strings use straight double quotes (\")", column: 20 },
    { name: "a single-quoted string", text: "homeAddress.countryISO = 'US'", code: "PQL-L001", message: "unexpected character ''': PQL strings use double quotes (\")", column: 26 },
    { name: "an unknown character", text: "a = #1", code: "PQL-L001", message: "unexpected character '#'", column: 5 },
    { name: "a missing closing parenthesis", text: "person.age > (21 and homeAddress.countryCode = \"US\"", code: "PQL-S003", message: 'expected ")" but found end of input', column: 52 },
    { name: "a missing closing bracket", text: '[1, 2', code: "PQL-S003", message: 'expected "]" but found end of input', column: 6 },
    { name: "a chained comparison", text: "a = b = c", code: "PQL-S005", message: "comparisons cannot be chained: found \"=\" after a complete comparison; use 'and' or parentheses", column: 7 },
    { name: "a chained comparison inside parentheses", text: "(a < b < c)", code: "PQL-S005", message: "comparisons cannot be chained: found \"<\" after a complete comparison; use 'and' or parentheses", column: 8 },
    { name: "==", text: "a == 1", code: "PQL-S006", message: "'==' is not a PQL operator; use '='", column: 3 },
    { name: "&&", text: "a && b", code: "PQL-S006", message: "'&&' is not a PQL operator; use 'and'", column: 3 },
    { name: "||", text: "a || b", code: "PQL-S006", message: "'||' is not a PQL operator; use 'or'", column: 3 },
    { name: "an unknown function", text: "foo(1) = 2", code: "PQL-S008", message: "unknown function 'foo'", column: 1 },
    { name: "an unknown member function with a suggestion", text: 'a.startWith("x")', code: "PQL-S008", message: "unknown function 'startWith'; did you mean 'startsWith'?", column: 3 },
    { name: "a function of the offer-filter dialect", text: 'modelInstances("x")', code: "PQL-S009", message: "function 'modelInstances' belongs to the offer-filter dialect, which is not supported", column: 1 },
    { name: "a context reference", text: "@{schema}.a = 1", code: "PQL-S007", message: "context references ('@{…}') belong to offer decisioning, which is not supported", column: 1 },
    { name: "this UNIT outside occurs", text: "a = this month", code: "PQL-S001", message: "'this month' is a time reference, only used after 'occurs' or in WHEN(…): e.g. 'timestamp occurs this month'", column: 5 },
    { name: "last UNIT outside occurs", text: "a = LAST Week and b", code: "PQL-S001", message: "'last week' is a time reference, only used after 'occurs' or in WHEN(…): e.g. 'timestamp occurs last week'", column: 5 },
    { name: "next UNIT outside occurs", text: "next days", code: "PQL-S001", message: "'next days' is a time reference, only used after 'occurs' or in WHEN(…): e.g. 'timestamp occurs next days'", column: 1 },
    { name: "this after a complete expression", text: "x[this > 1] this", code: "PQL-S004", message: 'unexpected "this" after the end of the expression', column: 13 },
    { name: "a positional parameter without a number", text: "$.a = 1", code: "PQL-S001", message: "a positional parameter needs a number: $1", column: 1 },
    { name: "positional parameter zero", text: "$0.a = 1", code: "PQL-S001", message: "positional parameters start at $1, not $0", column: 1 },
    { name: "a lambda parameter declared twice", text: "(P, P) => P.a", code: "PQL-S001", message: "parameter 'P' is declared twice", column: 5 },
    { name: "a let without a body", text: "let x = 1 in", code: "PQL-S002", message: "expected an expression but found end of input", column: 13 },
    { name: "a let whose value is a bare comparison", text: "let x = a = 1 in x", code: "PQL-S001", message: 'expected "in" but found "="', column: 11 },
    { name: "both 'where' and ':' on the last clause", text: "exists X from xEvent where X.a : X.b", code: "PQL-S001", message: "the last clause already has a 'where'; ':' is another spelling of it, so use one or the other", column: 32 },
    { name: "':' after a select", text: "select X from xEvent : X.a", code: "PQL-S001", message: "':' is only used after exists/forall; a select takes 'where'", column: 22 },
    { name: "a variable declared twice in exists", text: "exists X from xEvent, X from xEvent", code: "PQL-S001", message: "variable 'X' is already declared in this exists", column: 23 },
    { name: "an object key given twice", text: '{"a": 1, "a": 2}', code: "PQL-S001", message: 'key "a" appears twice in the object', column: 10 },
    { name: "a chain step with two WHAT clauses", text: 'chain(xEvent, timestamp, [A: WHAT(a) WHAT(b)])', code: "PQL-S001", message: "chain step 'A' has two WHAT clauses", column: 38 },
    { name: "a chain step with COUNT(0)", text: "chain(xEvent, timestamp, [A: WHAT(a) COUNT(0)])", code: "PQL-S001", message: "COUNT(n) needs n ≥ 1", column: 44 },
    { name: "a chain label used twice", text: "chain(xEvent, timestamp, [A: WHAT(a), A: WHAT(b)])", code: "PQL-S001", message: "chain step label 'A' is used twice", column: 39 },
    { name: "a chain step with an unknown clause", text: "chain(xEvent, timestamp, [A: WHO(a)])", code: "PQL-S001", message: 'expected one of a name, "where" but found "WHO"', column: 30 },
    { name: "matches() with two arguments", text: 'a.matches("x", "y")', code: "PQL-T005", message: "matches() takes 1 argument (regex), got 2", column: 3 },
    { name: "a chained matches", text: 'a matches "x" matches "y"', code: "PQL-S005", message: "comparisons cannot be chained: found \"matches\" after a complete comparison; use 'and' or parentheses", column: 15 },
    { name: "an unknown time unit", text: "t occurs <= 3 dayz before now", code: "PQL-S010", message: "unknown time unit 'dayz'; did you mean 'day'?", column: 15 },
    { name: "a missing operand", text: "a = ", code: "PQL-S002", message: "expected an expression but found end of input", column: 5 },
    { name: "an empty input", text: "", code: "PQL-S002", message: "expected an expression but found end of input", column: 1 },
    { name: "trailing input", text: "a b", code: "PQL-S004", message: 'unexpected "b" after the end of the expression', column: 3 },
    { name: "a keyword as a top-level name", text: "select = 1", code: "PQL-S001", message: 'expected a name but found "="', column: 8 },
    { name: "an integer beyond 2^53", text: "a = 9007199254740993", code: "PQL-S012", message: "integer 9007199254740993 is out of range (at most 9007199254740991)", column: 5 },
    { name: "a variable declared twice", text: "select X from xEvent, X from xEvent", code: "PQL-S001", message: "variable 'X' is already declared in this select", column: 23 },
    { name: "a non-integer occurs amount", text: "t occurs <= 1.5 days before now", code: "PQL-S001", message: 'expected integer but found "1.5"', column: 13 },
  ])("$name", ({ text, code, message, column }) => {
    const e = parseError(text, "q.pql");
    expect(`${e.code} ${e.message}`).toBe(`${code} ${message}`);
    expect(e.location.file).toBe("q.pql");
    expect(e.location.column).toBe(column);
    expect(e.span.start.column).toBe(column);
    expect(e.detail).toMatch(/^ {2}> \d+ \| /m);
  });

  it("prints the source frame under the message", () => {
    expect(parseError('person.age > (21 and homeAddress.countryCode = "US"').format()).toBe(
      [
        'PQL-S003 line 1:52: expected ")" but found end of input',
        '  > 1 | person.age > (21 and homeAddress.countryCode = "US"',
        "      |                                                    ^",
      ].join("\n"),
    );
  });

  it("underlines the whole offending token", () => {
    expect(parseError("a == b").format()).toBe(["PQL-S006 line 1:3: '==' is not a PQL operator; use '='", "  > 1 | a == b", "      |   ^^"].join("\n"));
  });

  it("reports line and column on multi-line input, with the previous line for context", () => {
    const e = parseError('homeAddress.countryCode = "US"\n  and person.age >\n  and x', "seg.pql");
    expect(e.location).toEqual({ file: "seg.pql", line: 3, column: 3 });
    expect(e.span.start).toEqual({ line: 3, column: 3, offset: 52 });
    expect(e.format()).toBe(
      [
        'PQL-S002 seg.pql:3:3: expected an expression but found "and"',
        "    2 |   and person.age >",
        "  > 3 |   and x",
        "      |   ^^^",
      ].join("\n"),
    );
  });

  it("counts \\r\\n as one line break", () => {
    expect(parseError("a = 1\r\nand = 2").location).toMatchObject({ line: 2, column: 5 });
  });

  it(`limits bracket nesting to ${MAX_BRACKET_DEPTH}`, () => {
    const ok = `${"(".repeat(MAX_BRACKET_DEPTH)}a${")".repeat(MAX_BRACKET_DEPTH)}`;
    expect(formatPql(parsePql(ok))).toBe("a");
    const e = parseError(`${"(".repeat(MAX_BRACKET_DEPTH + 1)}a${")".repeat(MAX_BRACKET_DEPTH + 1)}`);
    expect(e.code).toBe("PQL-S011");
    expect(e.location.column).toBe(MAX_BRACKET_DEPTH + 1);
  });

  it(`limits AST depth to ${MAX_AST_DEPTH} (long not chains, long paths)`, () => {
    expect(parseError(`${"not ".repeat(MAX_AST_DEPTH + 5)}a`).code).toBe("PQL-S011");
    expect(parseError(`a${".b".repeat(MAX_AST_DEPTH + 5)}`).code).toBe("PQL-S011");
    expect(() => parsePql(`${"!".repeat(100)}a`)).not.toThrow();
  });
});

describe("parsePql builds", () => {
  it("n-ary and/or with and binding tighter", () => {
    expect(shape(parsePql("a or b and c and d"))).toEqual({
      nodeType: "or",
      operands: [
        { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "a" },
        {
          nodeType: "and",
          operands: ["b", "c", "d"].map((f) => ({ nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: f })),
        },
      ],
    });
  });

  it("not around the whole comparison", () => {
    expect((parsePql("not a = 1") as { nodeType: string }).nodeType).toBe("not");
  });

  it("varRef nodes for select variables and fieldLookups for everything else", () => {
    const ast = parsePql("select X from xEvent where X.a = b");
    expect(shape(ast)).toEqual({
      nodeType: "select",
      variables: [
        {
          nodeType: "varDecl",
          varName: "X",
          from: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "xEvent" },
          where: {
            nodeType: "comparison",
            op: "=",
            left: { nodeType: "fieldLookup", object: { nodeType: "varRef", varName: "X" }, fieldName: "a" },
            right: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "b" },
          },
        },
      ],
    });
  });

  it("a variable is not in scope before its clause", () => {
    const ast = parsePql("select X from Y, Y from X.items");
    if (ast.nodeType !== "select") throw new Error("expected a select");
    expect(shape(ast.variables[0]?.from as PqlExpr)).toEqual({ nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "Y" });
    expect(shape(ast.variables[1]?.from as PqlExpr)).toEqual({
      nodeType: "fieldLookup",
      object: { nodeType: "varRef", varName: "X" },
      fieldName: "items",
    });
  });

  it("string escapes", () => {
    expect(shape(parsePql('"a\\\\b\\"c\\nd\\te"'))).toEqual({ nodeType: "literal", literalType: "String", value: 'a\\b"c\nd\te' });
  });

  it.each([
    ["42", "Integer", 42],
    ["-201", "Integer", -201],
    ["0", "Integer", 0],
    ["3.14", "Number", 3.14],
    [".45", "Number", 0.45],
    ["2.02E12", "Number", 2.02e12],
    ["2.02E-12", "Number", 2.02e-12],
    ["1000.0", "Number", 1000],
    ["-51.24", "Number", -51.24],
    ["TRUE", "Boolean", true],
    ["false", "Boolean", false],
  ])("the literal %s as %s %s", (text, literalType, value) => {
    expect(shape(parsePql(text))).toEqual({ nodeType: "literal", literalType, value });
  });

  it("spans that cover the source text of each node", () => {
    const text = 'person.age > 21 and homeAddress.countryCode = "US"';
    const ast = parsePql(text);
    expect(ast.span).toEqual({ start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 51, offset: 50 } });
    if (ast.nodeType !== "and") throw new Error("expected and");
    const right = ast.operands[1];
    expect(right?.span && text.slice(right.span.start.offset, right.span.end.offset)).toBe('homeAddress.countryCode = "US"');
  });

  it.each<[string, string, unknown]>([
    ["this as a primary inside a filter", "x[THIS > 1]", {
      nodeType: "filter",
      array: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "x" },
      condition: { nodeType: "comparison", op: ">", left: { nodeType: "this" }, right: { nodeType: "literal", literalType: "Integer", value: 1 } },
    }],
    ["this followed by a path", "x.map(this.a)", {
      nodeType: "memberCall",
      receiver: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "x" },
      name: "map",
      args: [{ nodeType: "fieldLookup", object: { nodeType: "this" }, fieldName: "a" }],
    }],
    ["this UNIT after occurs as a granule", "t occurs this month", {
      nodeType: "occurs",
      subject: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "t" },
      spec: { form: "on", ref: { nodeType: "relativeTime", which: "this", unit: "month" } },
    }],
    ["this alone after occurs as the element", "x[t occurs before this]", {
      nodeType: "filter",
      array: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "x" },
      condition: {
        nodeType: "occurs",
        subject: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "t" },
        spec: { form: "direction", direction: "before", ref: { nodeType: "this" } },
      },
    }],
    ["both after between", "x[t occurs between this and this week]", {
      nodeType: "filter",
      array: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "x" },
      condition: {
        nodeType: "occurs",
        subject: { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: "t" },
        spec: { form: "between", from: { nodeType: "this" }, to: { nodeType: "relativeTime", which: "this", unit: "week" } },
      },
    }],
  ])("%s: %s", (_name, text, expected) => {
    expect(shape(parsePql(text))).toEqual(expected);
  });

  it("a span on this", () => {
    const ast = parsePql("x[this]");
    if (ast.nodeType !== "filter") throw new Error("expected a filter");
    expect(ast.condition.span).toEqual({ start: { line: 1, column: 3, offset: 2 }, end: { line: 1, column: 7, offset: 6 } });
  });

  it("keywords in any case and as member names", () => {
    expect(formatPql(parsePql('SELECT X FROM xEvent WHERE X.timestamp OCCURS ON LAST Month AND X.from.select.count = "x"'))).toBe(
      'select X from xEvent where X.timestamp occurs last month and X.from.select.count = "x"',
    );
  });
});
