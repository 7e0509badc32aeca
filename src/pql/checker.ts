/**
 * The PQL type checker: resolves every field path against the profile and ExperienceEvent schemas and
 * reports all problems at once (unknown fields and variables with a "did you mean", event fields used
 * outside an event context, type mismatches, wrong arity and invalid arguments of every function,
 * misplaced lambdas and up references, invalid regexes). Without a schema it still checks what needs none.
 */
import { array, describeType, object, scalar, type XdmObject, type XdmType } from "../xdm/xdm-type.js";
import type { ComparisonOp, FieldLookupNode, FunctionCallNode, MemberCallNode, OccursSpec, PqlExpr, PqlLiteral, VarDeclNode } from "./ast.js";
import { daysInMonth } from "./calendar.js";
import { PQL_ERROR_CODES, PqlError, type PqlErrorCode, type PqlSpan } from "./errors.js";
import { formatPql } from "./format.js";
import { didYouMean, GLOBAL_FUNCTIONS, MEMBER_FUNCTIONS } from "./names.js";
import { translateJavaRegex } from "./regex.js";
import { checkBudget, tooDeepError, tooDeepNode } from "./budget.js";
import { MAX_PATTERN_LENGTH } from "./limits.js";
import { timestampOf } from "./values.js";

/** The schemas a segment expression is checked against (union schemas of the two classes). */
export interface PqlSchema {
  readonly profile: XdmObject;
  readonly event: XdmObject;
}

type Origin = "profile" | "event" | "value";

/** What the checker knows about an expression's value. `type` undefined = unknown (no further complaints). */
interface Info {
  readonly type: XdmType | undefined;
  /** The value went through `.f` on an array: `type` is the element type and predicates are existential. */
  readonly projected?: boolean;
  /** A time reference (date(...), now, today, last month …). */
  readonly time?: boolean;
  readonly literal?: PqlLiteral;
  readonly origin: Origin;
  /** Dotted path for messages (`homeAddress.countryCode`, `X.timestamp`). */
  readonly path?: string;
  /** The value is the profile itself (`$1`, a top-level lambda parameter, `^…` up to the top): `xEvent` resolves. */
  readonly profileRoot?: boolean;
}

interface Scope {
  /** Type of the implicit context; undefined when unknown. */
  readonly implicit: XdmType | undefined;
  readonly implicitOrigin: Origin;
  /** True at top level, where the implicit context is the profile (and `xEvent` exists). */
  readonly isProfile: boolean;
  readonly vars: ReadonlyMap<string, Info>;
  /** The scope one context level up (for `^`). */
  readonly up?: Scope;
  /** Inside a per-element lambda: its element parameter (named in the hint when `this` is misplaced). */
  readonly lambdaElement?: string;
}

const UNKNOWN: Info = { type: undefined, origin: "value" };
const BOOLEAN: Info = { type: scalar("boolean"), origin: "value" };
const LONG: Info = { type: scalar("long"), origin: "value" };
const INT: Info = { type: scalar("int"), origin: "value" };
const DOUBLE: Info = { type: scalar("double"), origin: "value" };
const STRING: Info = { type: scalar("string"), origin: "value" };

/** Member functions whose argument (the first) is evaluated per element (pql.md §4). */
const PER_ELEMENT = new Set(["filter", "map", "groupBy", "topN", "bottomN", "sum", "average", "min", "max", "exists"]);
const ARRAY_FUNCTIONS = new Set([
  "intersects", "intersection", "includes", "subsetOf", "supersetOf", "distinct", "head", "topN", "bottomN",
  "filter", "map", "groupBy", "count", "sum", "average", "min", "max", "exists",
]);
const STRING_PREDICATES = new Set(["contains", "startsWith", "endsWith", "equals", "notEqualTo", "doesNotContain", "doesNotStartWith", "doesNotEndWith"]);

/** [min, max] argument counts of every function. */
const ARITY: Readonly<Record<string, readonly [number, number, string]>> = {
  contains: [1, 2, "text [, caseSensitive]"],
  startsWith: [1, 2, "text [, caseSensitive]"],
  endsWith: [1, 2, "text [, caseSensitive]"],
  equals: [1, 2, "text [, caseSensitive]"],
  notEqualTo: [1, 2, "text [, caseSensitive]"],
  doesNotContain: [1, 2, "text [, caseSensitive]"],
  doesNotStartWith: [1, 2, "text [, caseSensitive]"],
  doesNotEndWith: [1, 2, "text [, caseSensitive]"],
  regexGroup: [1, 2, "regex [, group]"],
  getMonth: [0, 0, ""],
  getYear: [0, 0, ""],
  getDayOfMonth: [0, 0, ""],
  intersects: [1, 1, "array"],
  intersection: [1, 1, "array"],
  includes: [1, 1, "value"],
  subsetOf: [1, 1, "array"],
  supersetOf: [1, 1, "array"],
  distinct: [0, 0, ""],
  head: [0, 0, ""],
  topN: [2, 2, "value, n"],
  bottomN: [2, 2, "value, n"],
  filter: [1, 1, "condition"],
  map: [1, 1, "expression"],
  groupBy: [1, 1, "key"],
  count: [0, 0, ""],
  sum: [0, 1, "[value]"],
  average: [0, 1, "[value]"],
  min: [0, 1, "[value]"],
  max: [0, 1, "[value]"],
  get: [1, 1, "key"],
  keys: [0, 0, ""],
  values: [0, 0, ""],
  isNull: [0, 0, ""],
  isNotNull: [0, 0, ""],
  exists: [1, 1, "condition"],
  date: [3, 3, "year, month, day"],
  if: [3, 3, "test, whenTrue, whenFalse"],
  inSegment: [1, 1, "segment id or name"],
  currentMonth: [0, 0, ""],
  currentYear: [0, 0, ""],
  currentDayOfMonth: [0, 0, ""],
  mapEntry: [2, 2, "key, value"],
};

function plural(n: number): string {
  return n === 1 ? "argument" : "arguments";
}
const NO_SPAN: PqlSpan = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

type Category = "number" | "string" | "boolean" | "timestamp" | "time" | "object" | "array" | "unknown";

function categoryOf(info: Info): Category {
  if (info.time === true) return "time";
  const t = info.type;
  if (t === undefined) return "unknown";
  switch (t.kind) {
    case "int":
    case "long":
    case "double":
      return "number";
    case "string":
      return "string";
    case "boolean":
      return "boolean";
    case "date":
    case "date-time":
      return "timestamp";
    case "object":
    case "map":
      return "object";
    case "array":
      return "array";
  }
}

/** Can a value of this category be used as a time (`occurs` subject or reference)? */
function timeLike(c: Category): boolean {
  return c === "timestamp" || c === "time" || c === "string" || c === "number" || c === "unknown";
}

class Checker {
  readonly errors: PqlError[] = [];

  constructor(
    private readonly schema: PqlSchema | undefined,
    private readonly text: string | undefined,
    private readonly file: string | undefined,
  ) {}

  private report(code: PqlErrorCode, message: string, span: PqlSpan | undefined): void {
    this.errors.push(new PqlError(code, message, span ?? NO_SPAN, this.text, this.file));
  }

  rootScope(): Scope {
    this.root ??= { implicit: this.schema?.profile, implicitOrigin: "profile", isProfile: true, vars: new Map() };
    return this.root;
  }

  /** Check `n` and return what is known about its value. */
  infer(n: PqlExpr, sc: Scope): Info {
    switch (n.nodeType) {
      case "arithmetic": {
        const l = this.infer(n.left, sc);
        const r = this.infer(n.right, sc);
        this.expectNumber(l, n.left, `the left operand of '${n.op}'`);
        this.expectNumber(r, n.right, `the right operand of '${n.op}'`);
        if (n.op === "/") return DOUBLE;
        const integral = (i: Info): boolean => i.type !== undefined && (i.type.kind === "int" || i.type.kind === "long");
        return integral(l) && integral(r) ? LONG : DOUBLE;
      }
      case "negate": {
        const v = this.infer(n.operand, sc);
        this.expectNumber(v, n.operand, "the operand of unary '-'");
        return { type: v.type !== undefined && categoryOf(v) === "number" ? v.type : undefined, origin: "value" };
      }
      case "matches": {
        this.expectString(this.infer(n.left, sc), n.left, "the left side of 'matches'");
        this.regexArgument(n.pattern, this.infer(n.pattern, sc), "a 'matches' pattern");
        return BOOLEAN;
      }
      case "let": {
        const v = this.infer(n.value, sc);
        return this.infer(n.body, { ...sc, vars: new Map(sc.vars).set(n.varName, { ...v, path: n.varName }) });
      }
      case "lambda":
        // The whole expression and per-element arguments are handled before reaching here.
        this.report(PQL_ERROR_CODES.misplacedConstruct, "a lambda is only allowed as the whole expression or as the argument of filter, map, groupBy, topN, bottomN, sum, average, min, max or exists", n.span);
        return UNKNOWN;
      case "parameterReference":
        if (n.position !== 1) {
          this.report(PQL_ERROR_CODES.unknownVariable, `a segment expression has one parameter, the profile ($1); there is no $${n.position}`, n.span);
          return UNKNOWN;
        }
        return { type: this.schema?.profile, origin: "profile", profileRoot: true };
      case "upContext": {
        let t: Scope = sc;
        for (let i = 0; i < n.levels; i++) {
          if (t.up === undefined) {
            this.report(PQL_ERROR_CODES.misplacedConstruct, `'${"^".repeat(n.levels)}' climbs ${n.levels} level${n.levels === 1 ? "" : "s"} up, but only ${i} enclosing context${i === 1 ? " is" : "s are"} here (each filter '[…]' or per-element argument is one level; the profile is the top)`, n.span);
            return UNKNOWN;
          }
          t = t.up;
        }
        return { type: t.implicit, origin: t.implicitOrigin, ...(t.isProfile ? { profileRoot: true } : {}) };
      }
      case "object": {
        const fields: Array<[string, XdmType]> = [];
        for (const e of n.entries) {
          const v = this.infer(e.value, sc);
          if (v.type !== undefined) fields.push([e.key, v.type]);
        }
        return { type: object(fields), origin: "value" };
      }
      case "quantification":
        this.varDecls(n.variables, sc, n.quantifier);
        return BOOLEAN;
      case "aggregate": {
        const inner = this.varDecls(n.variables, sc, n.fn);
        const first = n.variables[0];
        const v = n.value === undefined ? (first === undefined ? UNKNOWN : (inner.vars.get(first.varName) ?? UNKNOWN)) : this.infer(n.value, inner);
        const what = n.value === undefined ? `the elements of '${first?.varName ?? "?"}'` : `the value of '${n.fn} … over'`;
        if (n.fn === "sum" || n.fn === "average") this.expectNumber(v, n.value ?? n, what);
        return n.fn === "min" || n.fn === "max" ? { type: v.type, origin: "value" } : DOUBLE;
      }
      case "chain": {
        const events = this.infer(n.events, sc);
        const element = this.elementOf(events, n.events, "chain(...)");
        const inner: Scope = { implicit: element, implicitOrigin: events.origin, isProfile: false, vars: sc.vars, up: sc };
        if (element !== undefined && element.kind === "object") {
          const tf = element.fields.get(n.timeField);
          if (tf === undefined) {
            this.report(
              events.origin === "event" ? PQL_ERROR_CODES.unknownEventField : PQL_ERROR_CODES.unknownField,
              `unknown ${events.origin === "event" ? "ExperienceEvent" : ""} field '${n.timeField}' used as the chain's time field${didYouMean(n.timeField, element.fields.keys())}`.replace("unknown  field", "unknown field"),
              n.span,
            );
          } else if (!timeLike(categoryOf({ type: tf, origin: "value" }))) {
            this.report(PQL_ERROR_CODES.typeMismatch, `the chain's time field '${n.timeField}' is a ${describeType(tf)}, not a timestamp`, n.span);
          }
        }
        for (const step of n.steps) {
          for (const c of step.clauses) {
            if (c.kind === "WHAT" || c.kind === "WHERE") this.condition(c.condition, inner);
            else if (c.kind === "WHEN") this.occursRefs(c.spec, inner);
          }
        }
        return BOOLEAN;
      }
      case "literal":
        return { type: scalar(n.literalType === "String" ? "string" : n.literalType === "Integer" ? "long" : n.literalType === "Number" ? "double" : "boolean"), literal: n, origin: "value" };
      case "list": {
        let item: XdmType | undefined;
        for (const i of n.items) item ??= this.infer(i, sc).type;
        return { type: item === undefined ? undefined : array(item), origin: "value" };
      }
      case "implicitContext":
        return { type: sc.implicit, origin: sc.implicitOrigin };
      case "this":
        if (sc.isProfile) {
          const hint = sc.lambdaElement === undefined ? "" : `; in a lambda the element is its parameter '${sc.lambdaElement}'`;
          this.report(
            PQL_ERROR_CODES.misplacedConstruct,
            `'this' is the current element of a filter '[…]', a chain step or a per-element argument such as map({…}), but here the context is the profile${hint}`,
            n.span,
          );
          return UNKNOWN;
        }
        return { type: sc.implicit, origin: sc.implicitOrigin };
      case "varRef": {
        const v = sc.vars.get(n.varName);
        if (v === undefined) {
          this.report(PQL_ERROR_CODES.unknownVariable, `unknown variable '${n.varName}'${didYouMean(n.varName, sc.vars.keys())}`, n.span);
          return UNKNOWN;
        }
        return v;
      }
      case "fieldLookup":
        return this.path(n, sc);
      case "filter": {
        const arr = this.infer(n.array, sc);
        const element = this.elementOf(arr, n.array, "a filter '[…]'");
        this.condition(n.condition, { implicit: element, implicitOrigin: arr.origin, isProfile: false, vars: sc.vars, up: sc });
        return { type: element === undefined ? undefined : array(element), origin: arr.origin, ...(arr.path ? { path: arr.path } : {}) };
      }
      case "memberCall":
        return this.memberCall(n, sc);
      case "functionCall":
        return this.functionCall(n, sc);
      case "timeKeyword":
      case "relativeTime":
        return { type: scalar("date-time"), time: true, origin: "value" };
      case "comparison":
        this.comparison(n.op, this.infer(n.left, sc), this.infer(n.right, sc), n.left, n.right, n.span);
        return BOOLEAN;
      case "membership":
        this.membership(n.op, n.left, n.right, sc);
        return BOOLEAN;
      case "like": {
        const l = this.infer(n.left, sc);
        const p = this.infer(n.pattern, sc);
        this.expectString(l, n.left, "the left side of 'like'");
        this.expectString(p, n.pattern, "a 'like' pattern");
        return BOOLEAN;
      }
      case "and":
      case "or":
        for (const o of n.operands) this.condition(o, sc);
        return BOOLEAN;
      case "not":
        this.condition(n.operand, sc);
        return BOOLEAN;
      case "occurs": {
        const s = this.infer(n.subject, sc);
        this.expectTime(s, n.subject, "the subject of 'occurs'");
        this.occursRefs(n.spec, sc);
        return BOOLEAN;
      }
      case "select": {
        const inner = this.varDecls(n.variables, sc, "select");
        const only = n.variables.length === 1 ? n.variables[0] : undefined;
        const el = only === undefined ? undefined : inner.vars.get(only.varName)?.type;
        return { type: el === undefined ? undefined : array(el), origin: "value" };
      }
    }
  }

  private root: Scope | undefined;

  private occursRefs(spec: OccursSpec, sc: Scope): void {
    const refs = spec.form === "between" ? [spec.from, spec.to] : [spec.ref];
    for (const r of refs) this.expectTime(this.infer(r, sc), r, "an 'occurs' reference");
  }

  /** The clauses of a select / quantifier / aggregate; returns the scope with every variable bound. */
  private varDecls(decls: readonly VarDeclNode[], sc: Scope, keyword: string): Scope {
    const vars = new Map(sc.vars);
    for (const d of decls) {
      const from = this.infer(d.from, { ...sc, vars: new Map(vars) });
      const element = this.elementOf(from, d.from, `'${keyword} ${d.varName} from …'`);
      vars.set(d.varName, { type: element, origin: from.origin, path: d.varName });
      if (d.where !== undefined) this.condition(d.where, { ...sc, vars: new Map(vars) });
    }
    return { ...sc, vars };
  }

  /** A top-level lambda: the first parameter is the profile. */
  private lambdaScope(params: readonly string[], sc: Scope, span: PqlSpan | undefined): Scope {
    const vars = new Map(sc.vars);
    params.forEach((p, i) => {
      if (i === 0) vars.set(p, { type: this.schema?.profile, origin: "profile", path: p, profileRoot: true });
      else {
        this.report(PQL_ERROR_CODES.unknownVariable, `a segment expression has one parameter, the profile; '${p}' is never bound`, span);
        vars.set(p, UNKNOWN);
      }
    });
    return { ...sc, vars };
  }

  /** The scope of a per-element argument: a lambda binds (element) or (key, element); otherwise the element is the implicit context. */
  private elementScope(arg: PqlExpr, element: Info, sc: Scope, keyType: XdmType): { body: PqlExpr; scope: Scope } {
    const elInfo: Info = { type: element.type, origin: element.origin, ...(element.path ? { path: element.path } : {}) };
    if (arg.nodeType === "lambda") {
      const vars = new Map(sc.vars);
      if (arg.params.length > 2) {
        this.report(PQL_ERROR_CODES.wrongArity, `a per-element lambda takes 1 parameter (element) or 2 (key, element), not ${arg.params.length}`, arg.span);
      }
      if (arg.params.length >= 2) {
        vars.set(arg.params[0] as string, { type: keyType, origin: "value", path: arg.params[0] as string });
        vars.set(arg.params[1] as string, { ...elInfo, path: arg.params[1] as string });
        for (const extra of arg.params.slice(2)) vars.set(extra, UNKNOWN);
      } else vars.set(arg.params[0] as string, { ...elInfo, path: arg.params[0] as string });
      const param = arg.params[Math.min(1, arg.params.length - 1)] as string;
      return { body: arg.body, scope: { ...sc, vars, lambdaElement: param } };
    }
    return { body: arg, scope: { implicit: element.type, implicitOrigin: element.origin, isProfile: false, vars: sc.vars, up: sc } };
  }

  private expectNumber(info: Info, n: PqlExpr, what: string): void {
    const c = categoryOf(info);
    if (c === "number" || c === "unknown") return;
    this.report(PQL_ERROR_CODES.typeMismatch, `${what} must be a number, not ${this.describe(info, n)}`, n.span);
  }

  private regexArgument(n: PqlExpr, info: Info, what: string): void {
    if (n.nodeType === "literal") {
      if (typeof n.value !== "string") {
        this.report(PQL_ERROR_CODES.typeMismatch, `${what} must be a string, not ${this.describe(info, n)}`, n.span);
        return;
      }
      if (n.value.length > MAX_PATTERN_LENGTH) return; // reported by the budget
      const r = translateJavaRegex(n.value);
      if (!r.ok) {
        if (r.overBudget === true) this.report(PQL_ERROR_CODES.overBudget, `regex ${JSON.stringify(n.value)} is too large: ${r.message}`, n.span);
        else this.report(PQL_ERROR_CODES.invalidRegex, `invalid regex ${JSON.stringify(n.value)}: ${r.message}`, n.span);
      }
      return;
    }
    this.expectString(info, n, what);
  }

  /** The whole expression: a lambda `(P) => body` binds P to the profile. */
  top(n: PqlExpr): void {
    const deep = tooDeepNode(n);
    if (deep !== undefined) {
      this.errors.push(tooDeepError(deep, this.text, this.file));
      return;
    }
    checkBudget(n, (code, message, span) => this.report(code, message, span));
    const sc = this.rootScope();
    if (n.nodeType === "lambda") this.condition(n.body, this.lambdaScope(n.params, sc, n.span));
    else this.condition(n, sc);
  }

  /** A Boolean position: any value is allowed (truthiness), but its parts are checked. */
  condition(n: PqlExpr, sc: Scope): void {
    this.infer(n, sc);
  }

  private elementOf(arr: Info, n: PqlExpr, what: string, at?: PqlSpan): XdmType | undefined {
    const t = arr.type;
    if (t === undefined) return undefined;
    if (arr.projected === true) return t;
    if (t.kind === "array") return t.items;
    this.report(PQL_ERROR_CODES.notAnArray, `${what} needs an array, but ${this.describe(arr, n)} is not one`, at ?? n.span);
    return undefined;
  }

  private path(n: FieldLookupNode, sc: Scope): Info {
    const chain: FieldLookupNode[] = [];
    let base: PqlExpr = n;
    while (base.nodeType === "fieldLookup") {
      chain.push(base);
      base = base.object;
    }
    chain.reverse();
    let info: Info;
    let i = 0;
    if (base.nodeType === "implicitContext") {
      info = { type: sc.implicit, origin: sc.implicitOrigin, ...(sc.isProfile ? { profileRoot: true } : {}) };
    } else info = this.infer(base, sc);
    if (info.profileRoot === true) {
      const first = chain[0] as FieldLookupNode;
      if (first.fieldName === "xEvent") {
        info = { type: this.schema === undefined ? undefined : array(this.schema.event), origin: "event", path: "xEvent" };
        i = 1;
      } else if (this.schema !== undefined && !this.schema.profile.fields.has(first.fieldName)) {
        const span = first.nameSpan ?? first.span;
        if (this.schema.event.fields.has(first.fieldName)) {
          this.report(
            PQL_ERROR_CODES.eventFieldOutsideEvent,
            `'${first.fieldName}' is an ExperienceEvent field, not a profile field; use it inside xEvent[…] or through a select variable (select X from xEvent where X.${first.fieldName} …)`,
            span,
          );
        } else {
          this.report(
            PQL_ERROR_CODES.unknownField,
            `unknown profile field '${first.fieldName}'${didYouMean(first.fieldName, [...this.schema.profile.fields.keys(), "xEvent", ...sc.vars.keys()])}`,
            span,
          );
        }
        return UNKNOWN;
      } else info = { type: info.type, origin: "profile", ...(info.path ? { path: info.path } : {}) };
    }

    for (; i < chain.length; i++) {
      const step = chain[i] as FieldLookupNode;
      info = this.step(info, step, sc);
      if (info.type === undefined) {
        // Keep the origin for later steps but stop checking.
        return { type: undefined, origin: info.origin, ...(info.path ? { path: info.path } : {}) };
      }
    }
    return info;
  }

  private step(info: Info, step: FieldLookupNode, sc: Scope): Info {
    const name = step.fieldName;
    const path = info.path === undefined ? name : `${info.path}.${name}`;
    let t = info.type;
    let projected = info.projected === true;
    if (t === undefined) return { type: undefined, origin: info.origin, path };
    while (t.kind === "array") {
      t = t.items;
      projected = true;
    }
    if (t.kind === "map") return { type: t.values, origin: info.origin, path, projected };
    if (t.kind === "object") {
      const f = t.fields.get(name);
      if (f !== undefined) return { type: f, origin: info.origin, path, projected };
      const isEvent = info.origin === "event";
      const where = info.path === undefined ? "" : ` in '${info.path}'`;
      let hint = didYouMean(name, t.fields.keys());
      if (hint === "" && !sc.isProfile && info.path === undefined && this.schema?.profile.fields.has(name)) {
        let levels = 0;
        for (let u: Scope | undefined = sc; u !== undefined && !u.isProfile; u = u.up) levels++;
        hint = `; inside ${isEvent ? "xEvent[…]" : "a filter or per-element argument"} the context is the element: did you mean the profile field '${"^".repeat(Math.max(1, levels))}.${name}'?`;
      }
      this.report(
        isEvent ? PQL_ERROR_CODES.unknownEventField : PQL_ERROR_CODES.unknownField,
        `unknown ${isEvent ? "ExperienceEvent" : "profile"} field '${name}'${where}${hint}`,
        step.nameSpan ?? step.span,
      );
      return { type: undefined, origin: info.origin, path };
    }
    this.report(
      PQL_ERROR_CODES.typeMismatch,
      `'${info.path ?? "value"}' is a ${describeType(t)}; it has no field '${name}'`,
      step.nameSpan ?? step.span,
    );
    return { type: undefined, origin: info.origin, path };
  }

  /** Wrong arity → reported; returns false so the caller can skip argument checks. */
  private arity(n: MemberCallNode | FunctionCallNode): boolean {
    const a = ARITY[n.name];
    if (a === undefined) return true;
    const [min, max, shape] = a;
    if (n.args.length >= min && n.args.length <= max) return true;
    const want = min === max ? (min === 0 ? "no arguments" : `${min} ${plural(min)}`) : max === min + 1 ? `${min} or ${max} arguments` : `${min} to ${max} arguments`;
    this.report(PQL_ERROR_CODES.wrongArity, `${n.name}() takes ${want}${shape === "" ? "" : ` (${shape})`}, got ${n.args.length}`, n.nameSpan ?? n.span);
    return false;
  }

  private memberCall(n: MemberCallNode, sc: Scope): Info {
    if (!MEMBER_FUNCTIONS.has(n.name)) {
      this.report(PQL_ERROR_CODES.unknownFunction, `unknown function '${n.name}'${didYouMean(n.name, MEMBER_FUNCTIONS)}`, n.nameSpan ?? n.span);
      return UNKNOWN;
    }
    const recv = this.infer(n.receiver, sc);
    const okArity = this.arity(n);
    const perElement = PER_ELEMENT.has(n.name);
    // Per-element arguments are checked in the element's scope; the others in the caller's.
    const element: Info = {
      type: ARRAY_FUNCTIONS.has(n.name) ? this.elementOf(recv, n.receiver, `${n.name}()`, n.nameSpan ?? n.span) : undefined,
      origin: recv.origin,
      ...(recv.path ? { path: recv.path } : {}),
    };
    const args: Info[] = n.args.map((a, i) => {
      if (perElement && i === 0) {
        const keyType = recv.type?.kind === "array" && recv.type.items.kind === "array" ? scalar("string") : scalar("long");
        const { body, scope } = this.elementScope(a, element, sc, keyType);
        return this.infer(body, scope);
      }
      if (a.nodeType === "lambda") {
        this.report(PQL_ERROR_CODES.misplacedConstruct, `${n.name}() does not take a lambda`, a.span);
        return UNKNOWN;
      }
      return this.infer(a, sc);
    });
    const [a0, a1] = args;
    const [n0, n1] = n.args;
    if (STRING_PREDICATES.has(n.name)) {
      this.expectString(recv, n.receiver, `the receiver of ${n.name}()`);
      if (okArity && a0 !== undefined && n0 !== undefined) this.expectString(a0, n0, `the argument of ${n.name}()`);
      if (a1 !== undefined && n1 !== undefined) {
        const c = categoryOf(a1);
        if (c !== "boolean" && c !== "unknown") {
          this.report(PQL_ERROR_CODES.invalidArgument, `the case-sensitivity flag of ${n.name}() must be true or false, not ${this.describe(a1, n1)}`, n1.span);
        }
      }
      return BOOLEAN;
    }
    switch (n.name) {
      case "regexGroup":
        this.expectString(recv, n.receiver, "the receiver of regexGroup()");
        if (a0 !== undefined && n0 !== undefined) this.regexArgument(n0, a0, "the regex of regexGroup()");
        if (a1 !== undefined && n1 !== undefined) this.expectInteger(a1, n1, "the group index of regexGroup()");
        return STRING;
      case "getMonth":
      case "getYear":
      case "getDayOfMonth":
        this.expectTime(recv, n.receiver, `the receiver of ${n.name}()`);
        return INT;
      case "intersects":
      case "subsetOf":
      case "supersetOf":
      case "intersection":
        if (a0 !== undefined && n0 !== undefined) this.elementOf(a0, n0, `the argument of ${n.name}()`);
        return n.name === "intersection" ? { type: recv.projected === true && recv.type !== undefined ? array(recv.type) : recv.type, origin: "value" } : BOOLEAN;
      case "includes":
        if (a0 !== undefined && n0 !== undefined && element.type !== undefined) this.comparison("=", element, a0, n.receiver, n0, n0.span);
        return BOOLEAN;
      case "distinct":
      case "filter":
        return { type: element.type === undefined ? undefined : array(element.type), origin: recv.origin };
      case "head":
        return { type: element.type, origin: recv.origin, ...(recv.path ? { path: recv.path } : {}) };
      case "topN":
      case "bottomN":
        if (a1 !== undefined && n1 !== undefined) this.expectInteger(a1, n1, `the count of ${n.name}()`);
        return { type: element.type === undefined ? undefined : array(element.type), origin: recv.origin };
      case "map": {
        const body = n0?.nodeType === "lambda" ? n0.body : n0;
        if (body?.nodeType === "functionCall" && body.name === "mapEntry") return { type: undefined, origin: "value" };
        return { type: a0?.type === undefined ? undefined : array(a0.type), origin: "value" };
      }
      case "groupBy":
        return { type: element.type === undefined ? undefined : array(array(element.type)), origin: recv.origin };
      case "count":
        return LONG;
      case "sum":
      case "average":
        if (a0 !== undefined && n0 !== undefined) this.expectNumber(a0, n0, `the value of ${n.name}()`);
        else if (n.args.length === 0) this.expectNumber(element, n.receiver, `the elements of ${n.name}()`);
        return DOUBLE;
      case "min":
      case "max":
        return { type: (a0 ?? element).type, origin: "value" };
      case "get": {
        if (a0 !== undefined && n0 !== undefined) this.expectString(a0, n0, "the key of get()");
        const t = recv.type;
        if (t === undefined) return UNKNOWN;
        if (t.kind === "map") return { type: t.values, origin: recv.origin, path: `${recv.path ?? "map"}.get(…)` };
        if (t.kind === "object") {
          const key = n0?.nodeType === "literal" && typeof n0.value === "string" ? n0.value : undefined;
          if (key !== undefined && !t.fields.has(key)) {
            this.report(PQL_ERROR_CODES.unknownField, `'${recv.path ?? "object"}' has no field ${JSON.stringify(key)}${didYouMean(key, t.fields.keys())}`, n0?.span);
          }
          return { type: key === undefined ? undefined : t.fields.get(key), origin: recv.origin };
        }
        this.report(PQL_ERROR_CODES.typeMismatch, `get() needs a map or an object, but ${this.describe(recv, n.receiver)} is not one`, n.nameSpan ?? n.span);
        return UNKNOWN;
      }
      case "keys":
      case "values": {
        const t = recv.type;
        if (t === undefined) return UNKNOWN;
        if (t.kind === "map") return { type: array(n.name === "keys" ? scalar("string") : t.values), origin: recv.origin };
        if (t.kind === "object") return { type: n.name === "keys" ? array(scalar("string")) : undefined, origin: recv.origin };
        this.report(PQL_ERROR_CODES.typeMismatch, `${n.name}() needs a map or an object, but ${this.describe(recv, n.receiver)} is not one`, n.nameSpan ?? n.span);
        return UNKNOWN;
      }
      case "isNull":
      case "isNotNull":
      case "exists":
        return BOOLEAN;
      default:
        return UNKNOWN;
    }
  }

  private expectInteger(info: Info, n: PqlExpr, what: string): void {
    if (n.nodeType === "literal") {
      if (n.literalType !== "Integer" || n.value < 0) this.report(PQL_ERROR_CODES.invalidArgument, `${what} must be a non-negative integer, not ${this.describe(info, n)}`, n.span);
      return;
    }
    this.expectNumber(info, n, what);
  }

  private functionCall(n: FunctionCallNode, sc: Scope): Info {
    if (!GLOBAL_FUNCTIONS.has(n.name)) {
      this.report(PQL_ERROR_CODES.unknownFunction, `unknown function '${n.name}'${didYouMean(n.name, GLOBAL_FUNCTIONS)}`, n.nameSpan ?? n.span);
      return UNKNOWN;
    }
    if (n.name === "date") return this.date(n, sc);
    const okArity = this.arity(n);
    const args = n.args.map((a) => {
      if (a.nodeType === "lambda") {
        this.report(PQL_ERROR_CODES.misplacedConstruct, `${n.name}() does not take a lambda`, a.span);
        return UNKNOWN;
      }
      return this.infer(a, sc);
    });
    switch (n.name) {
      case "if": {
        const [, a, b] = args;
        if (!okArity || a === undefined || b === undefined) return UNKNOWN;
        return categoryOf(a) === categoryOf(b) ? { type: a.type, origin: "value" } : UNKNOWN;
      }
      case "inSegment": {
        const [a] = args;
        const [an] = n.args;
        if (a !== undefined && an !== undefined) this.expectString(a, an, "the argument of inSegment()");
        if (an?.nodeType === "literal" && an.value === "") this.report(PQL_ERROR_CODES.invalidArgument, "inSegment() needs a segment id or name, not an empty string", an.span);
        return BOOLEAN;
      }
      case "mapEntry":
        return { type: undefined, origin: "value" };
      default:
        return INT;
    }
  }

  private date(n: FunctionCallNode, sc: Scope): Info {
    const args = n.args.map((a) => this.infer(a, sc));
    if (n.args.length !== 3) {
      this.report(PQL_ERROR_CODES.wrongArity, `date() takes 3 arguments (year, month, day), got ${n.args.length}`, n.nameSpan ?? n.span);
      return { type: scalar("date"), time: true, origin: "value" };
    }
    const values: Array<number | undefined> = [];
    n.args.forEach((a, i) => {
      const info = args[i] as Info;
      const c = categoryOf(info);
      if (a.nodeType === "literal" && a.literalType !== "Integer") {
        this.report(PQL_ERROR_CODES.invalidArgument, `date() takes integers, not ${this.describe(info, a)}`, a.span);
      } else if (c !== "number" && c !== "unknown") {
        this.report(PQL_ERROR_CODES.invalidArgument, `date() takes integers, not ${this.describe(info, a)}`, a.span);
      }
      values.push(a.nodeType === "literal" && a.literalType === "Integer" ? a.value : undefined);
    });
    const [y, m, d] = values;
    if (m !== undefined && (m < 1 || m > 12)) this.report(PQL_ERROR_CODES.invalidArgument, `month ${m} is not in 1–12`, n.args[1]?.span);
    else if (d !== undefined && (d < 1 || d > (y !== undefined && m !== undefined ? daysInMonth(y, m) : 31))) {
      this.report(PQL_ERROR_CODES.invalidArgument, `day ${d} does not exist in ${y !== undefined && m !== undefined ? `${y}-${String(m).padStart(2, "0")}` : "that month"}`, n.args[2]?.span);
    }
    return { type: scalar("date"), time: true, origin: "value" };
  }

  private comparison(op: ComparisonOp, l: Info, r: Info, ln: PqlExpr, rn: PqlExpr, span: PqlSpan | undefined): void {
    const lc = categoryOf(l);
    const rc = categoryOf(r);
    if (lc === "unknown" || rc === "unknown") return;
    const ordering = op !== "=" && op !== "!=";
    const at = r.literal !== undefined ? rn.span : l.literal !== undefined ? ln.span : span;
    const mismatch = (): void =>
      this.report(PQL_ERROR_CODES.typeMismatch, `cannot compare ${this.describe(l, ln)} with ${this.describe(r, rn)}`, at);
    if ((lc === "boolean" || rc === "boolean") && ordering && lc === rc) {
      this.report(PQL_ERROR_CODES.typeMismatch, `booleans can only be compared with = or !=, not ${op}`, span);
      return;
    }
    if (lc === rc) {
      if ((lc === "object" || lc === "array") && ordering) mismatch();
      return;
    }
    const pair = new Set<Category>([lc, rc]);
    const has = (a: Category, b: Category): boolean => pair.has(a) && pair.has(b);
    if (has("timestamp", "time") || has("string", "time")) return;
    if (has("timestamp", "string")) {
      const lit = l.literal ?? r.literal;
      if (lit === undefined || (typeof lit.value === "string" && timestampOf(lit.value) !== undefined)) return;
      this.report(PQL_ERROR_CODES.typeMismatch, `${JSON.stringify(lit.value)} is not an RFC 3339 timestamp, so it cannot be compared with ${this.describe(lit === l.literal ? r : l, lit === l.literal ? rn : ln)}`, lit.span);
      return;
    }
    mismatch();
  }

  private membership(op: "in" | "notIn", ln: PqlExpr, rn: PqlExpr, sc: Scope): void {
    const l = this.infer(ln, sc);
    const lc = categoryOf(l);
    if (lc === "array" || lc === "object") {
      this.report(PQL_ERROR_CODES.typeMismatch, `'${op}' tests a single value, but ${this.describe(l, ln)} is not one`, ln.span);
      if (rn.nodeType === "list") for (const i of rn.items) this.infer(i, sc);
      else this.infer(rn, sc);
      return;
    }
    if (rn.nodeType === "list") {
      for (const item of rn.items) this.comparison("=", l, this.infer(item, sc), ln, item, item.span);
      return;
    }
    const r = this.infer(rn, sc);
    if (r.type === undefined) return;
    const element = r.projected === true ? r.type : r.type.kind === "array" ? r.type.items : undefined;
    if (element === undefined) {
      this.report(PQL_ERROR_CODES.notAnArray, `the right side of '${op}' must be a list, but ${this.describe(r, rn)} is not one`, rn.span);
      return;
    }
    this.comparison("=", l, { type: element, origin: r.origin, ...(r.path ? { path: r.path } : {}) }, ln, rn, rn.span);
  }

  private expectString(info: Info, n: PqlExpr, what: string): void {
    const c = categoryOf(info);
    if (c === "string" || c === "timestamp" || c === "unknown") return;
    this.report(PQL_ERROR_CODES.typeMismatch, `${what} must be a string, not ${this.describe(info, n)}`, n.span);
  }

  private expectTime(info: Info, n: PqlExpr, what: string): void {
    const c = categoryOf(info);
    if (info.literal !== undefined && info.literal.literalType === "String") {
      if (timestampOf(info.literal.value) === undefined) {
        this.report(PQL_ERROR_CODES.typeMismatch, `${what} must be a timestamp, but ${JSON.stringify(info.literal.value)} is not an RFC 3339 timestamp`, n.span);
      }
      return;
    }
    if (timeLike(c) && !(c === "number" && info.type?.kind === "double")) return;
    this.report(PQL_ERROR_CODES.typeMismatch, `${what} must be a timestamp, not ${this.describe(info, n)}`, n.span);
  }

  /** `int field 'person.age'`, `string "30"`, `date(2018, 8, 28)`. */
  private describe(info: Info, n: PqlExpr): string {
    if (info.literal !== undefined) {
      const lt = info.literal.literalType;
      return `${lt === "String" ? "string" : lt === "Integer" ? "integer" : lt === "Number" ? "number" : "boolean"} ${formatPql(info.literal)}`;
    }
    if (info.time === true) return `the time reference '${formatPql(n)}'`;
    const t = info.type === undefined ? "value" : describeType(info.type);
    if (info.path !== undefined) return `${t} ${info.projected === true ? "values of" : "field"} '${info.path}'`;
    return `${t} '${formatPql(n)}'`;
  }
}

/** Check an AST against the schemas; returns every error found (empty when the expression is valid). */
export function checkPql(ast: PqlExpr, schema: PqlSchema, text: string, file?: string): PqlError[] {
  const c = new Checker(schema, text, file);
  c.top(ast);
  return c.errors;
}

/** The checks that need no schema (arity, literal arguments); used when no schema is available. */
export function checkPqlStructure(ast: PqlExpr, text?: string, file?: string): PqlError[] {
  const c = new Checker(undefined, text, file);
  c.top(ast);
  return c.errors;
}
