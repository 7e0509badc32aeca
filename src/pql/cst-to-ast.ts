/**
 * CST → AST. Resolves names (bound variables vs implicit fields), decodes literals, validates function
 * names, time units and chain clauses, and throws PqlError for what is not PQL.
 */
import type { CstNode, CstElement, IToken } from "chevrotain";
import { tokenMatcher } from "./chevrotain.js";
import {
  TIME_UNITS,
  type AggregateFunction,
  type ArithmeticOp,
  type ChainClause,
  type ChainStep,
  type ComparisonOp,
  type GlobalFunctionName,
  type MemberFunctionName,
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
import { didYouMean, GLOBAL_FUNCTIONS, MEMBER_FUNCTIONS, OUT_OF_SCOPE_FUNCTIONS } from "./names.js";
import { pqlParser } from "./parser.js";
import { False, IntLit, StringLit, True } from "./tokens.js";

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

/** The state of one AST build: the text (for spans and frames) and the variables in scope. */
interface BuildState {
  readonly lines: LineMap;
  readonly file: string | undefined;
  readonly scope: string[];
  /** Literal lists the parser saw with their first item only (see parse.ts): `[` offset → every item's tokens. */
  readonly lists: ReadonlyMap<number, ReadonlyArray<readonly IToken[]>> | undefined;
  /** How many of `lists` were rebuilt (all must be). */
  listsUsed: number;
}

const ESCAPES: Readonly<Record<string, string>> = { "\\": "\\", '"': '"', n: "\n", t: "\t" };

class AstBuilder extends BaseVisitor {
  private state: BuildState | undefined;

  constructor() {
    super();
    this.validateVisitor();
  }

  build(cst: CstNode, lines: LineMap, file: string | undefined, lists?: ReadonlyMap<number, ReadonlyArray<readonly IToken[]>>): PqlExpr {
    this.state = { lines, file, scope: [], lists, listsUsed: 0 };
    try {
      const ast = this.expr(cst);
      if (lists !== undefined && this.state.listsUsed !== lists.size) throw new Error("internal: a collapsed literal list was not rebuilt");
      return ast;
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
    return this.expr(node(ctx, "lambdaExpr") ?? node(ctx, "letExpr") ?? node(ctx, "iterExpr") ?? node(ctx, "aggExpr") ?? node(ctx, "orExpr"));
  }

  /** Run `f` with `names` bound, restoring the scope afterwards. */
  private bound<T>(names: readonly string[], f: () => T): T {
    const scope = this.st.scope;
    const depth = scope.length;
    scope.push(...names);
    try {
      return f();
    } finally {
      scope.length = depth;
    }
  }

  lambdaExpr(ctx: Ctx): PqlExpr {
    const params = toks(ctx, "params");
    const seen = new Set<string>();
    for (const p of params) {
      if (seen.has(p.image)) this.fail(PQL_ERROR_CODES.syntax, `parameter '${p.image}' is declared twice`, this.tokenSpan(p));
      seen.add(p.image);
    }
    const body = this.bound(
      params.map((p) => p.image),
      () => this.expr(node(ctx, "body")),
    );
    const open = tok(ctx, "LParen");
    const span = open === undefined ? body.span : this.join(this.tokenSpan(open), body.span);
    return { nodeType: "lambda", params: params.map((p) => p.image), body, ...(span ? { span } : {}) };
  }

  letExpr(ctx: Ctx): PqlExpr {
    const nameTok = tok(ctx, "name");
    if (nameTok === undefined) throw new Error("internal: let without a name");
    const value = this.expr(node(ctx, "value"));
    const body = this.bound([nameTok.image], () => this.expr(node(ctx, "body")));
    const kw = tok(ctx, "Let");
    const span = this.join(kw === undefined ? undefined : this.tokenSpan(kw), body.span);
    return { nodeType: "let", varName: nameTok.image, value, body, nameSpan: this.tokenSpan(nameTok), ...(span ? { span } : {}) };
  }

  /** The clauses of a select / quantifier / aggregate; variables are visible to later clauses only. */
  private decls(ctx: Ctx, label: string, word: string, after?: () => PqlExpr | undefined): { variables: VarDeclNode[]; tail: PqlExpr | undefined } {
    const scope = this.st.scope;
    const depth = scope.length;
    const variables: VarDeclNode[] = [];
    const declared = new Set<string>();
    try {
      for (const d of nodes(ctx, label)) {
        const v = this.visit(d) as VarDeclNode;
        if (declared.has(v.varName)) {
          this.fail(PQL_ERROR_CODES.syntax, `variable '${v.varName}' is already declared in this ${word}`, v.nameSpan ?? v.span ?? this.st.lines.span(0, 0));
        }
        declared.add(v.varName);
        variables.push(v);
      }
      return { variables, tail: after?.() };
    } finally {
      scope.length = depth;
    }
  }

  iterExpr(ctx: Ctx): PqlExpr {
    const kind = tok(ctx, "kind");
    if (kind === undefined) throw new Error("internal: iterExpr without a keyword");
    const word = kind.image.toLowerCase();
    const condNode = node(ctx, "condition");
    const { variables, tail } = this.decls(ctx, "decls", word, () => (condNode === undefined ? undefined : this.expr(condNode)));
    const colon = tok(ctx, "colon");
    if (tail !== undefined) {
      if (word === "select" && colon !== undefined) {
        this.fail(PQL_ERROR_CODES.syntax, "':' is only used after exists/forall; a select takes 'where'", this.tokenSpan(colon));
      }
      const last = variables[variables.length - 1];
      if (last === undefined) throw new Error("internal: no variables");
      if (last.where !== undefined && colon !== undefined) {
        this.fail(PQL_ERROR_CODES.syntax, `the last clause already has a 'where'; ':' is another spelling of it, so use one or the other`, this.tokenSpan(colon));
      }
      const span = last.span && tail.span ? { start: last.span.start, end: tail.span.end } : last.span;
      variables[variables.length - 1] = { ...last, where: tail, ...(span ? { span } : {}) };
    }
    const last = variables[variables.length - 1];
    const span = last?.span ? { start: this.tokenSpan(kind).start, end: last.span.end } : this.tokenSpan(kind);
    if (word === "select") return { nodeType: "select", variables, span };
    const quantifier = word === "exists" || word === "some" ? "exists" : "forall";
    return { nodeType: "quantification", quantifier, variables, span };
  }

  aggExpr(ctx: Ctx): PqlExpr {
    const kwNode = this.required(node(ctx, "aggKw"));
    const fnTok = tok(kwNode.children, "fn");
    if (fnTok === undefined) throw new Error("internal: aggregate without a function");
    const fn = fnTok.image.toLowerCase() as AggregateFunction;
    const short = node(ctx, "short");
    if (short !== undefined) {
      const { variables } = this.decls(ctx, "short", fn);
      const end = variables[0]?.span;
      const span = end === undefined ? this.tokenSpan(fnTok) : { start: this.tokenSpan(fnTok).start, end: end.end };
      return { nodeType: "aggregate", fn, variables, span };
    }
    // The value refers to the variables declared after `over`: bind them first.
    const decls = nodes(ctx, "decls");
    const names = decls.map((d) => tok(d.children, "name")?.image ?? "");
    const value = this.bound(names, () => this.expr(node(ctx, "value")));
    const { variables } = this.decls(ctx, "decls", fn);
    const end = variables[variables.length - 1]?.span;
    const span = end === undefined ? this.tokenSpan(fnTok) : { start: this.tokenSpan(fnTok).start, end: end.end };
    return { nodeType: "aggregate", fn, value, variables, span };
  }

  aggKw(): never {
    throw new Error("internal: aggKw is handled by aggExpr");
  }

  varDecl(ctx: Ctx): VarDeclNode {
    const nameTok = tok(ctx, "name");
    if (nameTok === undefined) throw new Error("internal: varDecl without a name");
    const nameSpan = this.tokenSpan(nameTok);
    const from = this.expr(node(ctx, "source"));
    this.st.scope.push(nameTok.image);
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
    if (kind === "Matches") return { nodeType: "matches", left, pattern: right, ...(span ? { span } : {}) };
    return { nodeType: "membership", op: kind === "NotIn" ? "notIn" : "in", left, right, ...(span ? { span } : {}) };
  }

  cmpTail(): never {
    throw new Error("internal: cmpTail is handled by cmpExpr");
  }

  cmpOp(ctx: Ctx): ComparisonOp {
    return (tok(ctx, "operator")?.image ?? "=") as ComparisonOp;
  }

  private occurs(ctx: Ctx): OccursSpec {
    return this.occursSpecOf(ctx);
  }

  private occursSpecOf(ctx: Ctx): OccursSpec {
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

  addExpr(ctx: Ctx): PqlExpr {
    return this.binary(ctx);
  }

  mulExpr(ctx: Ctx): PqlExpr {
    return this.binary(ctx);
  }

  /** Left-associative arithmetic: operands and operators in source order. */
  private binary(ctx: Ctx): PqlExpr {
    const operands = nodes(ctx, "operands").map((n) => this.expr(n));
    const ops = toks(ctx, "ops").sort((a, b) => a.startOffset - b.startOffset);
    let result = operands[0];
    if (result === undefined) throw new Error("internal: empty arithmetic");
    for (let i = 0; i < ops.length; i++) {
      const right = operands[i + 1];
      if (right === undefined) throw new Error("internal: missing operand");
      const span = this.join(result.span, right.span);
      result = { nodeType: "arithmetic", op: (ops[i] as IToken).image as ArithmeticOp, left: result, right, ...(span ? { span } : {}) };
    }
    return result;
  }

  unaryExpr(ctx: Ctx): PqlExpr {
    let result = this.expr(node(ctx, "postfixExpr"));
    const minus = toks(ctx, "minus").sort((a, b) => b.startOffset - a.startOffset);
    for (const m of minus) {
      const span = this.join(this.tokenSpan(m), result.span);
      if (result.nodeType === "literal" && (result.literalType === "Integer" || result.literalType === "Number")) {
        // `-5` is a literal: fold the sign in (keeps the literal's type).
        result = { ...result, value: -result.value, ...(span ? { span } : {}) };
      } else result = { nodeType: "negate", operand: result, ...(span ? { span } : {}) };
    }
    return result;
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
      if (OUT_OF_SCOPE_FUNCTIONS.has(name)) this.fail(PQL_ERROR_CODES.unsupportedFunction, `function '${name}' belongs to the offer-filter dialect, which is not supported`, nameSpan);
      this.fail(PQL_ERROR_CODES.unknownFunction, `unknown function '${name}'${didYouMean(name, MEMBER_FUNCTIONS)}`, nameSpan);
    }
    const argsNode = node(ctx, "argList");
    const args = argsNode === undefined ? [] : (this.visit(argsNode) as PqlExpr[]);
    if (name === "matches") {
      // The member form is the infix operator spelled as a call.
      const pattern = args[0];
      if (pattern === undefined || args.length !== 1) {
        this.fail(PQL_ERROR_CODES.wrongArity, `matches() takes 1 argument (regex), got ${args.length}`, nameSpan);
      }
      return { nodeType: "matches", left: base, pattern, ...(span ? { span } : {}) };
    }
    return {
      nodeType: "memberCall",
      receiver: base,
      name: name as MemberFunctionName,
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
    const inner =
      node(ctx, "literal") ??
      node(ctx, "listLit") ??
      node(ctx, "objectLit") ??
      node(ctx, "expression") ??
      node(ctx, "chainExpr") ??
      node(ctx, "functionCall") ??
      node(ctx, "upRef");
    if (inner !== undefined) return this.expr(inner);
    const kw = tok(ctx, "timeKeyword");
    if (kw !== undefined) {
      return { nodeType: "timeKeyword", keyword: kw.image.toLowerCase() as TimeKeyword, span: this.tokenSpan(kw) };
    }
    const param = tok(ctx, "param");
    if (param !== undefined) {
      const span = this.tokenSpan(param);
      const digits = param.image.slice(1);
      if (digits === "") this.fail(PQL_ERROR_CODES.syntax, "a positional parameter needs a number: $1", span);
      const position = Number(digits);
      if (!Number.isSafeInteger(position) || position < 1) this.fail(PQL_ERROR_CODES.syntax, `positional parameters start at $1, not ${param.image}`, span);
      return { nodeType: "parameterReference", position, span };
    }
    const self = tok(ctx, "this");
    if (self !== undefined) return { nodeType: "this", span: this.tokenSpan(self) };
    const nameTok = tok(ctx, "name");
    if (nameTok === undefined) throw new Error("internal: empty primary");
    const span = this.tokenSpan(nameTok);
    if (this.st.scope.includes(nameTok.image)) return { nodeType: "varRef", varName: nameTok.image, span };
    return { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: nameTok.image, nameSpan: span, span };
  }

  upRef(ctx: Ctx): PqlExpr {
    const carets = toks(ctx, "carets");
    const nameTok = tok(ctx, "name");
    const first = carets[0];
    if (nameTok === undefined || first === undefined) throw new Error("internal: empty up reference");
    const upSpan = this.st.lines.span(first.startOffset, (carets[carets.length - 1]?.endOffset ?? first.startOffset) + 1);
    const nameSpan = this.tokenSpan(nameTok);
    return {
      nodeType: "fieldLookup",
      object: { nodeType: "upContext", levels: carets.length, span: upSpan },
      fieldName: nameTok.image,
      nameSpan,
      span: { start: upSpan.start, end: nameSpan.end },
    };
  }

  functionCall(ctx: Ctx): PqlExpr {
    const nameTok = tok(ctx, "name");
    if (nameTok === undefined) throw new Error("internal: call without a name");
    const name = nameTok.image;
    const nameSpan = this.tokenSpan(nameTok);
    if (!GLOBAL_FUNCTIONS.has(name)) {
      if (OUT_OF_SCOPE_FUNCTIONS.has(name)) this.fail(PQL_ERROR_CODES.unsupportedFunction, `function '${name}' belongs to the offer-filter dialect, which is not supported`, nameSpan);
      this.fail(PQL_ERROR_CODES.unknownFunction, `unknown function '${name}'${didYouMean(name, GLOBAL_FUNCTIONS)}`, nameSpan);
    }
    const argsNode = node(ctx, "argList");
    const args = argsNode === undefined ? [] : (this.visit(argsNode) as PqlExpr[]);
    const close = ctx["RParen"]?.[0];
    const span = isToken(close) ? { start: nameSpan.start, end: this.tokenSpan(close).end } : nameSpan;
    return { nodeType: "functionCall", name: name as GlobalFunctionName, args, nameSpan, span };
  }

  chainExpr(ctx: Ctx): PqlExpr {
    const kw = tok(ctx, "keyword");
    const fieldTok = tok(ctx, "timeField");
    if (kw === undefined || fieldTok === undefined) throw new Error("internal: malformed chain");
    const events = this.expr(node(ctx, "events"));
    const steps = nodes(ctx, "steps").map((n) => this.visit(n) as ChainStep);
    const labels = new Set<string>();
    for (const [i, st] of steps.entries()) {
      if (labels.has(st.label)) {
        const stepNode = nodes(ctx, "steps")[i];
        this.fail(PQL_ERROR_CODES.syntax, `chain step label '${st.label}' is used twice`, stepNode === undefined ? this.tokenSpan(kw) : this.nodeSpan(stepNode));
      }
      labels.add(st.label);
    }
    const close = ctx["RParen"]?.[0];
    const span = isToken(close) ? { start: this.tokenSpan(kw).start, end: this.tokenSpan(close).end } : this.tokenSpan(kw);
    return { nodeType: "chain", spelling: kw.image === "CHAIN" ? "CHAIN" : "chain", events, timeField: fieldTok.image, steps, span };
  }

  chainStep(ctx: Ctx): ChainStep {
    const label = tok(ctx, "label");
    if (label === undefined) throw new Error("internal: chain step without a label");
    const clauses = nodes(ctx, "clauses").map((n) => this.visit(n) as ChainClause);
    const seen = new Set<string>();
    for (const [i, c] of clauses.entries()) {
      if (seen.has(c.kind)) {
        const cn = nodes(ctx, "clauses")[i];
        this.fail(PQL_ERROR_CODES.syntax, `chain step '${label.image}' has two ${c.kind} clauses`, cn === undefined ? this.tokenSpan(label) : this.nodeSpan(cn));
      }
      seen.add(c.kind);
    }
    return { label: label.image, clauses };
  }

  stepClause(ctx: Ctx): ChainClause {
    const spec = node(ctx, "occursSpec");
    if (spec !== undefined) return { kind: "WHEN", spec: this.occursSpecOf(spec.children) };
    const amount = tok(ctx, "amount");
    if (amount !== undefined) {
      const n = this.integer(amount.image, this.tokenSpan(amount));
      if (n < 1) this.fail(PQL_ERROR_CODES.syntax, "COUNT(n) needs n ≥ 1", this.tokenSpan(amount));
      return { kind: "COUNT", count: n };
    }
    const condition = this.expr(node(ctx, "condition"));
    return tok(ctx, "where") !== undefined ? { kind: "WHERE", condition } : { kind: "WHAT", condition };
  }

  objectLit(ctx: Ctx): PqlExpr {
    const keys = toks(ctx, "keys");
    const values = nodes(ctx, "values").map((n) => this.expr(n));
    const entries: Array<{ key: string; value: PqlExpr }> = [];
    const seen = new Set<string>();
    keys.forEach((k, i) => {
      const key = this.decodeString(k);
      if (seen.has(key)) this.fail(PQL_ERROR_CODES.syntax, `key ${JSON.stringify(key)} appears twice in the object`, this.tokenSpan(k));
      seen.add(key);
      entries.push({ key, value: values[i] as PqlExpr });
    });
    const open = ctx["LCurly"]?.[0];
    const close = ctx["RCurly"]?.[0];
    const span = isToken(open) && isToken(close) ? { start: this.tokenSpan(open).start, end: this.tokenSpan(close).end } : undefined;
    return { nodeType: "object", entries, ...(span ? { span } : {}) };
  }

  literal(ctx: Ctx): PqlLiteral {
    const t = tok(ctx, "string") ?? tok(ctx, "boolean") ?? tok(ctx, "integer") ?? tok(ctx, "double");
    if (t === undefined) throw new Error("internal: empty literal");
    return this.literalToken(t);
  }

  /** The literal of one token (string, Boolean, integer or double). */
  private literalToken(t: IToken): PqlLiteral {
    const span = this.tokenSpan(t);
    if (tokenMatcher(t, StringLit)) return { nodeType: "literal", literalType: "String", value: this.decodeString(t), span };
    if (tokenMatcher(t, True) || tokenMatcher(t, False)) return { nodeType: "literal", literalType: "Boolean", value: t.image.toLowerCase() === "true", span };
    if (tokenMatcher(t, IntLit)) return { nodeType: "literal", literalType: "Integer", value: this.integer(t.image, span), span };
    const value = Number(t.image);
    if (!Number.isFinite(value)) this.fail(PQL_ERROR_CODES.numberOutOfRange, `number ${t.image} is out of range`, span);
    return { nodeType: "literal", literalType: "Number", value, span };
  }

  /** An item of a collapsed literal list: a literal token, maybe after a minus (folded in, as unaryExpr does). */
  private listItem(tokens: readonly IToken[]): PqlLiteral {
    const last = tokens[tokens.length - 1];
    if (last === undefined) throw new Error("internal: empty list item");
    const lit = this.literalToken(last);
    if (tokens.length === 1) return lit;
    const span = this.join(this.tokenSpan(tokens[0] as IToken), lit.span) as PqlSpan;
    if (lit.literalType !== "Integer" && lit.literalType !== "Number") throw new Error("internal: a minus before a non-number");
    return { ...lit, value: -lit.value, span };
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
    const open = ctx["LBracket"]?.[0];
    const collapsed = isToken(open) ? this.st.lists?.get(open.startOffset) : undefined;
    if (collapsed !== undefined) this.st.listsUsed++;
    const items = collapsed === undefined ? nodes(ctx, "items").map((n) => this.expr(n)) : collapsed.map((item) => this.listItem(item));
    const close = ctx["RBracket"]?.[0];
    const span = isToken(open) && isToken(close) ? { start: this.tokenSpan(open).start, end: this.tokenSpan(close).end } : undefined;
    return span === undefined ? { nodeType: "list", items } : { nodeType: "list", items, span };
  }
}

let builder: AstBuilder | undefined;

/** Build the AST of a `query` CST. Throws PqlError for names, literals and clauses PQL rejects. */
export function cstToAst(cst: CstNode, lines: LineMap, file: string | undefined, lists?: ReadonlyMap<number, ReadonlyArray<readonly IToken[]>>): PqlExpr {
  builder ??= new AstBuilder();
  return builder.build(cst, lines, file, lists);
}
