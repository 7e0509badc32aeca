/**
 * The PQL type checker: resolves every field path against the profile and ExperienceEvent schemas and
 * reports all problems at once (unknown fields with a "did you mean", event fields used outside an event
 * context, obvious literal type mismatches, wrong arity and invalid arguments of the subset's functions).
 * Without a schema it still checks what needs none (arity, literal arguments).
 */
import { array, describeType, scalar, type XdmObject, type XdmType } from "../xdm/xdm-type.js";
import type { ComparisonOp, FieldLookupNode, PqlExpr, PqlLiteral } from "./ast.js";
import { daysInMonth } from "./calendar.js";
import { PQL_ERROR_CODES, PqlError, type PqlErrorCode, type PqlSpan } from "./errors.js";
import { formatPql } from "./format.js";
import { didYouMean } from "./names.js";
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
}

interface Scope {
  /** Type of the implicit context; undefined when unknown. */
  readonly implicit: XdmType | undefined;
  readonly implicitOrigin: Origin;
  /** True at top level, where the implicit context is the profile (and `xEvent` exists). */
  readonly isProfile: boolean;
  readonly vars: ReadonlyMap<string, Info>;
}

const UNKNOWN: Info = { type: undefined, origin: "value" };
const BOOLEAN: Info = { type: scalar("boolean"), origin: "value" };
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
    return { implicit: this.schema?.profile, implicitOrigin: "profile", isProfile: true, vars: new Map() };
  }

  /** Check `n` and return what is known about its value. */
  infer(n: PqlExpr, sc: Scope): Info {
    switch (n.nodeType) {
      case "literal":
        return { type: scalar(n.literalType === "String" ? "string" : n.literalType === "Integer" ? "long" : n.literalType === "Number" ? "double" : "boolean"), literal: n, origin: "value" };
      case "list": {
        let item: XdmType | undefined;
        for (const i of n.items) item ??= this.infer(i, sc).type;
        return { type: item === undefined ? undefined : array(item), origin: "value" };
      }
      case "implicitContext":
        return { type: sc.implicit, origin: sc.implicitOrigin };
      case "varRef":
        return sc.vars.get(n.varName) ?? UNKNOWN;
      case "fieldLookup":
        return this.path(n, sc);
      case "filter": {
        const arr = this.infer(n.array, sc);
        const element = this.elementOf(arr, n.array, "a filter '[…]'");
        this.condition(n.condition, { implicit: element, implicitOrigin: arr.origin, isProfile: false, vars: sc.vars });
        return { type: element === undefined ? undefined : array(element), origin: arr.origin, ...(arr.path ? { path: arr.path } : {}) };
      }
      case "memberCall":
        return this.memberCall(n, sc);
      case "functionCall":
        return this.date(n, sc);
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
        const refs = n.spec.form === "between" ? [n.spec.from, n.spec.to] : [n.spec.ref];
        for (const r of refs) this.expectTime(this.infer(r, sc), r, "an 'occurs' reference");
        return BOOLEAN;
      }
      case "select": {
        const vars = new Map(sc.vars);
        for (const d of n.variables) {
          const from = this.infer(d.from, { ...sc, vars: new Map(vars) });
          const element = this.elementOf(from, d.from, `'select ${d.varName} from …'`);
          vars.set(d.varName, { type: element, origin: from.origin, path: d.varName });
          if (d.where !== undefined) this.condition(d.where, { ...sc, vars: new Map(vars) });
        }
        return { type: undefined, origin: "value" };
      }
    }
  }

  /** A Boolean position: any value is allowed (truthiness), but its parts are checked. */
  condition(n: PqlExpr, sc: Scope): void {
    this.infer(n, sc);
  }

  private elementOf(arr: Info, n: PqlExpr, what: string): XdmType | undefined {
    const t = arr.type;
    if (t === undefined) return undefined;
    if (arr.projected === true) return t;
    if (t.kind === "array") return t.items;
    this.report(PQL_ERROR_CODES.notAnArray, `${what} needs an array, but ${this.describe(arr, n)} is not one`, n.span);
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
      const first = chain[0] as FieldLookupNode;
      if (sc.isProfile && first.fieldName === "xEvent") {
        info = { type: this.schema === undefined ? undefined : array(this.schema.event), origin: "event", path: "xEvent" };
        i = 1;
      } else if (sc.isProfile && this.schema !== undefined && !this.schema.profile.fields.has(first.fieldName)) {
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
            `unknown profile field '${first.fieldName}'${didYouMean(first.fieldName, [...this.schema.profile.fields.keys(), "xEvent"])}`,
            span,
          );
        }
        return UNKNOWN;
      } else info = { type: sc.implicit, origin: sc.implicitOrigin };
    } else info = this.infer(base, sc);

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
      if (hint === "" && isEvent && !sc.isProfile && info.path === undefined && this.schema?.profile.fields.has(name)) {
        hint = "; profile fields are not visible inside xEvent[…]";
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

  private memberCall(n: Extract<PqlExpr, { nodeType: "memberCall" }>, sc: Scope): Info {
    const recv = this.infer(n.receiver, sc);
    const args = n.args.map((a) => this.infer(a, sc));
    if (n.name === "count") {
      if (n.args.length !== 0) this.report(PQL_ERROR_CODES.wrongArity, `count() takes no arguments, got ${n.args.length}`, n.nameSpan ?? n.span);
      const c = categoryOf(recv);
      const isList = recv.projected === true || c === "array" || c === "unknown" || n.receiver.nodeType === "select";
      if (!isList) {
        this.report(PQL_ERROR_CODES.notAnArray, `count() needs an array, but ${this.describe(recv, n.receiver)} is not one`, n.nameSpan ?? n.span);
      }
      return { type: scalar("long"), origin: "value" };
    }
    if (n.args.length < 1 || n.args.length > 2) {
      this.report(PQL_ERROR_CODES.wrongArity, `${n.name}() takes 1 or 2 arguments (text [, caseSensitive]), got ${n.args.length}`, n.nameSpan ?? n.span);
    }
    this.expectString(recv, n.receiver, `the receiver of ${n.name}()`);
    const [needle, flag] = args;
    const [needleNode, flagNode] = n.args;
    if (needle !== undefined && needleNode !== undefined) this.expectString(needle, needleNode, `the argument of ${n.name}()`);
    if (flag !== undefined && flagNode !== undefined) {
      const c = categoryOf(flag);
      if (c !== "boolean" && c !== "unknown") {
        this.report(PQL_ERROR_CODES.invalidArgument, `the case-sensitivity flag of ${n.name}() must be true or false, not ${this.describe(flag, flagNode)}`, flagNode.span);
      }
    }
    return BOOLEAN;
  }

  private date(n: Extract<PqlExpr, { nodeType: "functionCall" }>, sc: Scope): Info {
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
  c.condition(ast, c.rootScope());
  return c.errors;
}

/** The checks that need no schema (arity, literal arguments); used when no schema is available. */
export function checkPqlStructure(ast: PqlExpr, text?: string, file?: string): PqlError[] {
  const c = new Checker(undefined, text, file);
  c.condition(ast, c.rootScope());
  return c.errors;
}
