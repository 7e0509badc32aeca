/**
 * CST → AST. Resolves names (select variables vs implicit fields), decodes literals, validates function
 * names and time units, and throws PqlError for anything the subset does not cover.
 */
import type { CstNode, CstElement, IToken } from "chevrotain";
import {
  TIME_UNITS,
  type ComparisonOp,
  type FieldLookupNode,
  type OccursDirection,
  type OccursSpec,
  type PqlExpr,
  type PqlLiteral,
  type TimeKeyword,
  type TimeUnit,
  type VarDeclNode,
} from "./ast.js";
import { PQL_ERROR_CODES, PqlError, type LineMap, type PqlErrorCode, type PqlSpan } from "./errors.js";
import { didYouMean, GLOBAL_FUNCTIONS, LATER_GLOBAL_FUNCTIONS, LATER_MEMBER_FUNCTIONS, MEMBER_FUNCTIONS } from "./names.js";
import { pqlParser } from "./parser.js";

type Ctx = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement | undefined): e is IToken {
  return e !== undefined && "image" in e;
}

function tok(ctx: Ctx, label: string): IToken | undefined {
  const e = ctx[label]?.[0];
  return isToken(e) ? e : undefined;
}

function toks(ctx: Ctx, label: string): IToken[] {
  return (ctx[label] ?? []).filter(isToken);
}

function node(ctx: Ctx, label: string): CstNode | undefined {
  const e = ctx[label]?.[0];
  return e !== undefined && !isToken(e) ? e : undefined;
}

function nodes(ctx: Ctx, label: string): CstNode[] {
  return (ctx[label] ?? []).filter((e): e is CstNode => !isToken(e));
}

const BaseVisitor = pqlParser.getBaseCstVisitorConstructor<undefined, unknown>();

/** The state of one AST build: the text (for spans and frames) and the select variables in scope. */
interface BuildState {
  readonly lines: LineMap;
  readonly file: string | undefined;
  readonly scope: string[];
}

const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\", '"': '"', n: "\n", t: "\t" };

class AstBuilder extends BaseVisitor {
  private state: BuildState | undefined;

  constructor() {
    super();
    this.validateVisitor();
  }

  build(cst: CstNode, lines: LineMap, file: string | undefined): PqlExpr {
    this.state = { lines, file, scope: [] };
    try {
      return this.expr(cst);
    } finally {
      this.state = undefined;
    }
  }

  private get st(): BuildState {
    if (this.state === undefined) throw new Error("AstBuilder used outside build()");
    return this.state;
  }

  private expr(n: CstNode | undefined): PqlExpr {
    if (n === undefined) throw new Error("internal: missing CST node");
    return this.visit(n) as PqlExpr;
  }

  private fail(code: PqlErrorCode, message: string, span: PqlSpan): never {
    throw new PqlError(code, message, span, this.st.lines.text, this.st.file);
  }

  private tokenSpan(t: IToken): PqlSpan {
    return this.st.lines.span(t.startOffset, (t.endOffset ?? t.startOffset) + 1);
  }

  private nodeSpan(n: CstNode): PqlSpan {
    const loc = n.location;
    if (loc === undefined) return this.st.lines.span(0, 0);
    return this.st.lines.span(loc.startOffset, (loc.endOffset ?? loc.startOffset) + 1);
  }

  private join(a: PqlSpan | undefined, b: PqlSpan | undefined): PqlSpan | undefined {
    if (a === undefined) return b;
    if (b === undefined) return a;
    return { start: a.start, end: b.end };
  }

  query(ctx: Ctx): PqlExpr {
    return this.expr(node(ctx, "expression"));
  }

  expression(ctx: Ctx): PqlExpr {
    return this.expr(node(ctx, "selectExpr") ?? node(ctx, "orExpr"));
  }

  selectExpr(ctx: Ctx): PqlExpr {
    const scope = this.st.scope;
    const depth = scope.length;
    const variables: VarDeclNode[] = [];
    try {
      for (const d of nodes(ctx, "decls")) variables.push(this.visit(d) as VarDeclNode);
    } finally {
      scope.length = depth;
    }
    const first = variables[0];
    const last = variables[variables.length - 1];
    const span = first?.span && last?.span ? { start: first.span.start, end: last.span.end } : undefined;
    return span === undefined ? { nodeType: "select", variables } : { nodeType: "select", variables, span: this.extendStart(span, ctx) };
  }

  /** Extend a span to start at the `select` keyword. */
  private extendStart(span: PqlSpan, ctx: Ctx): PqlSpan {
    const kw = ctx["Select"]?.[0];
    return isToken(kw) ? { start: this.tokenSpan(kw).start, end: span.end } : span;
  }

  varDecl(ctx: Ctx): VarDeclNode {
    const nameTok = tok(ctx, "name");
    if (nameTok === undefined) throw new Error("internal: varDecl without a name");
    const nameSpan = this.tokenSpan(nameTok);
    const from = this.expr(node(ctx, "source"));
    const scope = this.st.scope;
    if (scope.includes(nameTok.image)) {
      this.fail(PQL_ERROR_CODES.syntax, `variable '${nameTok.image}' is already declared in this select`, nameSpan);
    }
    scope.push(nameTok.image);
    const condNode = node(ctx, "condition");
    const where = condNode === undefined ? undefined : this.expr(condNode);
    const end = where?.span ?? from.span;
    const span = end === undefined ? nameSpan : { start: nameSpan.start, end: end.end };
    return where === undefined
      ? { nodeType: "varDecl", varName: nameTok.image, from, nameSpan, span }
      : { nodeType: "varDecl", varName: nameTok.image, from, where, nameSpan, span };
  }

  orExpr(ctx: Ctx): PqlExpr {
    const operands = nodes(ctx, "operands").map((n) => this.expr(n));
    return this.nary("or", operands);
  }

  andExpr(ctx: Ctx): PqlExpr {
    const operands = nodes(ctx, "operands").map((n) => this.expr(n));
    return this.nary("and", operands);
  }

  private nary(nodeType: "and" | "or", operands: PqlExpr[]): PqlExpr {
    const first = operands[0];
    if (first === undefined) throw new Error(`internal: empty ${nodeType}`);
    if (operands.length === 1) return first;
    const span = this.join(first.span, operands[operands.length - 1]?.span);
    return span === undefined ? { nodeType, operands } : { nodeType, operands, span };
  }

  notExpr(ctx: Ctx): PqlExpr {
    let result = this.expr(node(ctx, "cmpExpr"));
    const negations = toks(ctx, "negations").sort((a, b) => b.startOffset - a.startOffset);
    for (const n of negations) {
      const span = this.join(this.tokenSpan(n), result.span);
      result = span === undefined ? { nodeType: "not", operand: result } : { nodeType: "not", operand: result, span };
    }
    return result;
  }

  cmpExpr(ctx: Ctx): PqlExpr {
    const left = this.expr(node(ctx, "left"));
    const tail = node(ctx, "cmpTail");
    if (tail === undefined) return left;
    return this.tail(left, tail.children);
  }

  private tail(left: PqlExpr, ctx: Ctx): PqlExpr {
    const opNode = node(ctx, "cmpOp");
    const rightNode = node(ctx, "right");
    const spec = node(ctx, "occursSpec");
    if (spec !== undefined) {
      const s = this.occurs(spec.children);
      const span = this.join(left.span, this.nodeSpan(spec));
      return span === undefined ? { nodeType: "occurs", subject: left, spec: s } : { nodeType: "occurs", subject: left, spec: s, span };
    }
    const right = this.expr(rightNode);
    const span = this.join(left.span, right.span);
    if (opNode !== undefined) {
      const op = this.visit(opNode) as ComparisonOp;
      return { nodeType: "comparison", op, left, right, ...(span ? { span } : {}) };
    }
    const word = tok(ctx, "operator");
    const kind = word?.tokenType.name;
    if (kind === "Like") return { nodeType: "like", left, pattern: right, ...(span ? { span } : {}) };
    return { nodeType: "membership", op: kind === "NotIn" ? "notIn" : "in", left, right, ...(span ? { span } : {}) };
  }

  cmpTail(): never {
    throw new Error("internal: cmpTail is handled by cmpExpr");
  }

  cmpOp(ctx: Ctx): ComparisonOp {
    return (tok(ctx, "operator")?.image ?? "=") as ComparisonOp;
  }

  private occurs(ctx: Ctx): OccursSpec {
    const amountTok = tok(ctx, "amount");
    if (amountTok !== undefined) {
      const opNode = node(ctx, "cmpOp");
      return {
        form: "offset",
        op: opNode === undefined ? "=" : (this.visit(opNode) as ComparisonOp),
        amount: this.integer(amountTok.image, this.tokenSpan(amountTok)),
        unit: this.visit(this.required(node(ctx, "unit"))) as TimeUnit,
        direction: this.visit(this.required(node(ctx, "direction"))) as OccursDirection,
        ref: this.expr(node(ctx, "ref")),
      };
    }
    const dir = node(ctx, "direction");
    if (dir !== undefined) return { form: "direction", direction: this.visit(dir) as OccursDirection, ref: this.expr(node(ctx, "ref")) };
    const start = node(ctx, "rangeStart");
    if (start !== undefined) return { form: "between", from: this.expr(start), to: this.expr(node(ctx, "rangeEnd")) };
    return { form: "on", ref: this.expr(node(ctx, "ref")) };
  }

  private required(n: CstNode | undefined): CstNode {
    if (n === undefined) throw new Error("internal: missing CST node");
    return n;
  }

  occursSpec(): never {
    throw new Error("internal: occursSpec is handled by cmpExpr");
  }

  direction(ctx: Ctx): OccursDirection {
    return (tok(ctx, "word")?.image.toLowerCase() ?? "before") as OccursDirection;
  }

  timeRef(ctx: Ctx): PqlExpr {
    const value = node(ctx, "value");
    if (value !== undefined) return this.expr(value);
    const which = tok(ctx, "which");
    const unitNode = this.required(node(ctx, "unit"));
    const unit = this.visit(unitNode) as TimeUnit;
    const span = which === undefined ? undefined : this.join(this.tokenSpan(which), this.nodeSpan(unitNode));
    const w = (which?.image.toLowerCase() ?? "this") as "this" | "last" | "next";
    return span === undefined ? { nodeType: "relativeTime", which: w, unit } : { nodeType: "relativeTime", which: w, unit, span };
  }

  unit(ctx: Ctx): TimeUnit {
    const t = tok(ctx, "name");
    if (t === undefined) throw new Error("internal: unit without a name");
    const unit = TIME_UNITS.get(t.image.toLowerCase());
    if (unit === undefined) {
      this.fail(PQL_ERROR_CODES.unknownUnit, `unknown time unit '${t.image}'${didYouMean(t.image, TIME_UNITS.keys())}`, this.tokenSpan(t));
    }
    return unit;
  }

  postfixExpr(ctx: Ctx): PqlExpr {
    let result = this.expr(node(ctx, "primary"));
    for (const op of nodes(ctx, "ops")) result = this.applyPostfix(result, op);
    return result;
  }

  private applyPostfix(base: PqlExpr, op: CstNode): PqlExpr {
    const ctx: Ctx = op.children;
    const opSpan = this.nodeSpan(op);
    const span = this.join(base.span, opSpan);
    const cond = node(ctx, "condition");
    if (cond !== undefined) {
      const condition = this.expr(cond);
      return span === undefined ? { nodeType: "filter", array: base, condition } : { nodeType: "filter", array: base, condition, span };
    }
    const nameTok = tok(this.required(node(ctx, "memberName")).children, "name");
    if (nameTok === undefined) throw new Error("internal: member without a name");
    const name = nameTok.image;
    const nameSpan = this.tokenSpan(nameTok);
    if (tok(ctx, "call") === undefined) {
      const lookup: FieldLookupNode = { nodeType: "fieldLookup", object: base, fieldName: name, nameSpan, ...(span ? { span } : {}) };
      return lookup;
    }
    if (!MEMBER_FUNCTIONS.has(name)) {
      if (LATER_MEMBER_FUNCTIONS.has(name)) {
        this.fail(PQL_ERROR_CODES.unsupportedFunction, `function '${name}' is not supported in this PQL subset yet`, nameSpan);
      }
      this.fail(PQL_ERROR_CODES.unknownFunction, `unknown function '${name}'${didYouMean(name, [...MEMBER_FUNCTIONS, ...LATER_MEMBER_FUNCTIONS])}`, nameSpan);
    }
    const argsNode = node(ctx, "argList");
    const args = argsNode === undefined ? [] : (this.visit(argsNode) as PqlExpr[]);
    return {
      nodeType: "memberCall",
      receiver: base,
      name: name as "contains",
      args,
      nameSpan,
      ...(span ? { span } : {}),
    };
  }

  postfixOp(): never {
    throw new Error("internal: postfixOp is handled by postfixExpr");
  }

  memberName(ctx: Ctx): string {
    return tok(ctx, "name")?.image ?? "";
  }

  argList(ctx: Ctx): PqlExpr[] {
    return nodes(ctx, "args").map((n) => this.expr(n));
  }

  primary(ctx: Ctx): PqlExpr {
    const inner = node(ctx, "literal") ?? node(ctx, "listLit") ?? node(ctx, "expression") ?? node(ctx, "functionCall");
    if (inner !== undefined) return this.expr(inner);
    const kw = tok(ctx, "timeKeyword");
    if (kw !== undefined) {
      return { nodeType: "timeKeyword", keyword: kw.image.toLowerCase() as TimeKeyword, span: this.tokenSpan(kw) };
    }
    const nameTok = tok(ctx, "name");
    if (nameTok === undefined) throw new Error("internal: empty primary");
    const span = this.tokenSpan(nameTok);
    if (this.st.scope.includes(nameTok.image)) return { nodeType: "varRef", varName: nameTok.image, span };
    return { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: nameTok.image, nameSpan: span, span };
  }

  functionCall(ctx: Ctx): PqlExpr {
    const nameTok = tok(ctx, "name");
    if (nameTok === undefined) throw new Error("internal: call without a name");
    const name = nameTok.image;
    const nameSpan = this.tokenSpan(nameTok);
    if (!GLOBAL_FUNCTIONS.has(name)) {
      if (LATER_GLOBAL_FUNCTIONS.has(name)) {
        this.fail(PQL_ERROR_CODES.unsupportedFunction, `function '${name}' is not supported in this PQL subset yet`, nameSpan);
      }
      this.fail(PQL_ERROR_CODES.unknownFunction, `unknown function '${name}'${didYouMean(name, [...GLOBAL_FUNCTIONS, ...LATER_GLOBAL_FUNCTIONS])}`, nameSpan);
    }
    const argsNode = node(ctx, "argList");
    const args = argsNode === undefined ? [] : (this.visit(argsNode) as PqlExpr[]);
    const close = ctx["RParen"]?.[0];
    const span = isToken(close) ? { start: nameSpan.start, end: this.tokenSpan(close).end } : nameSpan;
    return { nodeType: "functionCall", name: "date", args, nameSpan, span };
  }

  literal(ctx: Ctx): PqlLiteral {
    const s = tok(ctx, "string");
    if (s !== undefined) return { nodeType: "literal", literalType: "String", value: this.decodeString(s), span: this.tokenSpan(s) };
    const b = tok(ctx, "boolean");
    if (b !== undefined) return { nodeType: "literal", literalType: "Boolean", value: b.image.toLowerCase() === "true", span: this.tokenSpan(b) };
    const minus = tok(ctx, "minus");
    const i = tok(ctx, "integer");
    const d = tok(ctx, "double");
    const numTok = i ?? d;
    if (numTok === undefined) throw new Error("internal: empty literal");
    const span = minus === undefined ? this.tokenSpan(numTok) : { start: this.tokenSpan(minus).start, end: this.tokenSpan(numTok).end };
    const sign = minus === undefined ? 1 : -1;
    if (i !== undefined) return { nodeType: "literal", literalType: "Integer", value: sign * this.integer(i.image, span), span };
    const value = Number(numTok.image);
    if (!Number.isFinite(value)) this.fail(PQL_ERROR_CODES.numberOutOfRange, `number ${numTok.image} is out of range`, span);
    return { nodeType: "literal", literalType: "Number", value: sign * value, span };
  }

  private integer(image: string, span: PqlSpan): number {
    const v = Number(image);
    if (!Number.isSafeInteger(v)) {
      this.fail(PQL_ERROR_CODES.numberOutOfRange, `integer ${image} is out of range (at most ${Number.MAX_SAFE_INTEGER})`, span);
    }
    return v;
  }

  private decodeString(t: IToken): string {
    const raw = t.image;
    let out = "";
    for (let k = 1; k < raw.length - 1; k++) {
      const c = raw[k] ?? "";
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = raw[k + 1] ?? "";
      const decoded = ESCAPES[e];
      if (decoded === undefined) {
        const start = t.startOffset + k;
        const shown = e === "" ? "\\" : `\\${String.fromCodePoint(raw.codePointAt(k + 1) ?? 0)}`;
        this.fail(
          PQL_ERROR_CODES.invalidEscape,
          `invalid escape sequence '${shown}' in string; use \\\\ for a backslash (escapes: \\\\ \\" \\n \\t)`,
          this.st.lines.span(start, start + shown.length),
        );
      }
      out += decoded;
      k++;
    }
    return out;
  }

  listLit(ctx: Ctx): PqlExpr {
    const items = nodes(ctx, "items").map((n) => this.expr(n));
    const open = ctx["LBracket"]?.[0];
    const close = ctx["RBracket"]?.[0];
    const span = isToken(open) && isToken(close) ? { start: this.tokenSpan(open).start, end: this.tokenSpan(close).end } : undefined;
    return span === undefined ? { nodeType: "list", items } : { nodeType: "list", items, span };
  }
}

let builder: AstBuilder | undefined;

/** Build the AST of a `query` CST. Throws PqlError for names and literals the subset rejects. */
export function cstToAst(cst: CstNode, lines: LineMap, file: string | undefined): PqlExpr {
  builder ??= new AstBuilder();
  return builder.build(cst, lines, file);
}
