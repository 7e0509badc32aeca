/**
 * AST → closures. The tree is walked once, at compile time; evaluation only runs closures. Paths are
 * precomputed segment arrays walked without allocation (a comparison whose left side passes through an
 * array is existential, pql.md §4), constants (literals, LIKE patterns, `in` sets, timestamp literals) are
 * prepared once, and filters/selects bind their element into a preallocated slot instead of a new scope.
 */
import type { Json, JsonObject } from "../xdm/types.js";
import type {
  ComparisonNode,
  ComparisonOp,
  FieldLookupNode,
  FilterNode,
  FunctionCallNode,
  LikeNode,
  MemberCallNode,
  MembershipNode,
  OccursNode,
  PqlExpr,
  RelativeTimeNode,
  SelectNode,
  TimeKeywordNode,
  TimeUnit,
} from "./ast.js";
import { addUnits, MS_PER_DAY, startOfDay, startOfUnit, utcDate } from "./calendar.js";
import { PQL_ERROR_CODES, PqlError } from "./errors.js";
import {
  compareValues,
  isDateOnly,
  likeToRegExp,
  listContains,
  orderNumbers,
  orderStrings,
  timeOf,
  timestampOf,
  truthy,
  type Value,
} from "./values.js";

/** What a compiled expression sees: the profile, its events (sorted by timestamp) and the evaluation instant. */
export interface PqlContext {
  readonly profile: JsonObject;
  readonly events: readonly JsonObject[];
  /** Epoch milliseconds. */
  readonly now: number;
}

/** A compiled segment predicate. */
export type CompiledPql = (ctx: PqlContext) => boolean;

interface Env {
  profile: JsonObject;
  events: readonly JsonObject[];
  now: number;
  /** Elements bound by filters and select variables, one slot per binding site. */
  slots: Value[];
}

type Eval = (env: Env) => Value;
type Pred = (env: Env) => boolean;
/** A test applied to a defined leaf value, with an extra argument computed once per evaluation. */
type LeafTest = (leaf: Json, arg: Value) => boolean;

/** A time interval [s, e); an instant has e === s and is matched exactly. */
interface Interval {
  s: number;
  e: number;
}
type IntervalEval = (env: Env, out: Interval) => boolean;

interface Scope {
  /** Slot of the implicit context, or -1 for the profile. */
  readonly implicitSlot: number;
  readonly vars: ReadonlyMap<string, number>;
}

const PROTO_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A resolved path: a root, the field names below it, and whether any name needs an own-property check. */
interface PathPlan {
  readonly root: Eval;
  readonly segs: readonly string[];
  readonly own: boolean;
}

function field(v: JsonObject, name: string, own: boolean): Value {
  if (own && !Object.hasOwn(v, name)) return undefined;
  return v[name];
}

/** Existential walk: true iff some leaf reached by `segs` is defined and passes `test`. Allocates nothing. */
function testPath(v: Value, segs: readonly string[], i: number, projected: boolean, own: boolean, test: LeafTest, arg: Value): boolean {
  for (; i < segs.length; i++) {
    if (v === null || typeof v !== "object") return false;
    if (Array.isArray(v)) {
      for (let k = 0; k < v.length; k++) if (testPath(v[k], segs, i, true, own, test, arg)) return true;
      return false;
    }
    v = field(v, segs[i] as string, own);
  }
  if (v === undefined || v === null) return false;
  if (projected && Array.isArray(v)) {
    for (let k = 0; k < v.length; k++) if (testPath(v[k], segs, i, true, own, test, arg)) return true;
    return false;
  }
  return test(v, arg);
}

function collect(v: Value, segs: readonly string[], i: number, own: boolean, out: Json[]): void {
  for (; i < segs.length; i++) {
    if (v === null || typeof v !== "object") return;
    if (Array.isArray(v)) {
      for (let k = 0; k < v.length; k++) collect(v[k], segs, i, own, out);
      return;
    }
    v = field(v, segs[i] as string, own);
  }
  if (v === undefined || v === null) return;
  if (Array.isArray(v)) for (let k = 0; k < v.length; k++) collect(v[k], segs, i, own, out);
  else out.push(v);
}

/** The value at a path; `.f` on an array maps over the elements, flattening and dropping missing values. */
function getPath(v: Value, segs: readonly string[], own: boolean): Value {
  for (let i = 0; i < segs.length; i++) {
    if (v === null || typeof v !== "object") return undefined;
    if (Array.isArray(v)) {
      const out: Json[] = [];
      collect(v, segs, i, own, out);
      return out;
    }
    v = field(v, segs[i] as string, own);
  }
  return v === null ? undefined : v;
}

const isTruthyLeaf: LeafTest = (leaf) => truthy(leaf);

function isTimeNode(n: PqlExpr): n is TimeKeywordNode | RelativeTimeNode | FunctionCallNode {
  return n.nodeType === "timeKeyword" || n.nodeType === "relativeTime" || n.nodeType === "functionCall";
}

const FLIP: Readonly<Record<ComparisonOp, ComparisonOp>> = { "=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

/** A range test on epoch ms, reconfigured per evaluation; `neg` negates the result (for `!=`). */
class Range {
  lo = -Infinity;
  hi = Infinity;
  loIn = true;
  hiIn = true;
  neg = false;
  set(lo: number, loIn: boolean, hi: number, hiIn: boolean, neg = false): boolean {
    this.lo = lo;
    this.loIn = loIn;
    this.hi = hi;
    this.hiIn = hiIn;
    this.neg = neg;
    return !Number.isNaN(lo) && !Number.isNaN(hi);
  }
  /** The interval itself: [s, e), or exactly s for an instant. */
  setInterval(iv: Interval, neg = false): boolean {
    return iv.e === iv.s ? this.set(iv.s, true, iv.s, true, neg) : this.set(iv.s, true, iv.e, false, neg);
  }
  has(t: number): boolean {
    const r = (this.loIn ? t >= this.lo : t > this.lo) && (this.hiIn ? t <= this.hi : t < this.hi);
    return this.neg ? !r : r;
  }
}

class Compiler {
  private slotCount = 0;

  get slots(): number {
    return this.slotCount;
  }

  private fail(message: string, n: PqlExpr): never {
    throw new PqlError(
      PQL_ERROR_CODES.cannotCompile,
      message,
      n.span ?? { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } },
    );
  }

  private newSlot(): number {
    return this.slotCount++;
  }

  // ---------------------------------------------------------------- Boolean position

  pred(n: PqlExpr, sc: Scope): Pred {
    switch (n.nodeType) {
      case "and":
        return this.and(n.operands.map((o) => this.pred(o, sc)));
      case "or":
        return this.or(n.operands.map((o) => this.pred(o, sc)));
      case "not": {
        const p = this.pred(n.operand, sc);
        return (env) => !p(env);
      }
      case "comparison":
        return this.comparison(n, sc);
      case "membership":
        return this.membership(n, sc);
      case "like":
        return this.like(n, sc);
      case "occurs":
        return this.occurs(n, sc);
      case "memberCall":
        if (n.name !== "count") return this.stringPredicate(n, sc);
        break;
      case "fieldLookup":
        return this.subjectTest(n, sc, isTruthyLeaf, undefined);
      case "filter": {
        const any = this.filterLoop(n, sc, "any");
        return (env) => any(env) > 0;
      }
      case "select": {
        const count = this.selectLoop(n, sc, "any");
        return (env) => count(env) > 0;
      }
      case "literal": {
        const t = truthy(n.value);
        return () => t;
      }
      default:
        break;
    }
    const v = this.value(n, sc);
    return (env) => truthy(v(env));
  }

  private and(ps: Pred[]): Pred {
    const [a, b, c] = ps;
    if (ps.length === 2 && a && b) return (env) => a(env) && b(env);
    if (ps.length === 3 && a && b && c) return (env) => a(env) && b(env) && c(env);
    return (env) => {
      for (let i = 0; i < ps.length; i++) if (!(ps[i] as Pred)(env)) return false;
      return true;
    };
  }

  private or(ps: Pred[]): Pred {
    const [a, b, c] = ps;
    if (ps.length === 2 && a && b) return (env) => a(env) || b(env);
    if (ps.length === 3 && a && b && c) return (env) => a(env) || b(env) || c(env);
    return (env) => {
      for (let i = 0; i < ps.length; i++) if ((ps[i] as Pred)(env)) return true;
      return false;
    };
  }

  /**
   * `test(leaf, arg)` over the subject: existential along a path (no allocation), plain otherwise.
   * `arg` is evaluated once per evaluation, before the walk.
   */
  private subjectTest(subject: PqlExpr, sc: Scope, test: LeafTest, arg: Eval | undefined): Pred {
    const plan = this.pathPlan(subject, sc);
    if (plan !== undefined) {
      const { root, segs, own } = plan;
      if (arg === undefined) return (env) => testPath(root(env), segs, 0, false, own, test, undefined);
      return (env) => {
        const a = arg(env);
        if (a === undefined || a === null) return false;
        return testPath(root(env), segs, 0, false, own, test, a);
      };
    }
    const v = this.value(subject, sc);
    return (env) => {
      const a = arg === undefined ? undefined : arg(env);
      if (arg !== undefined && (a === undefined || a === null)) return false;
      const x = v(env);
      return x !== undefined && x !== null && test(x, a);
    };
  }

  private comparison(n: ComparisonNode, sc: Scope): Pred {
    const { op, left, right } = n;
    if (isTimeNode(right) && !isTimeNode(left)) return this.timeComparison(op, left, right, sc);
    if (isTimeNode(left) && !isTimeNode(right)) return this.timeComparison(FLIP[op], right, left, sc);
    if (right.nodeType === "literal") return this.subjectTest(left, sc, constantTest(op, right.value), undefined);
    const r = this.value(right, sc);
    return this.subjectTest(left, sc, (l, a) => compareValues(op, l, a), r);
  }

  /** `T op R` where R is a time reference: interval semantics (see DECISIONS.md). */
  private timeComparison(op: ComparisonOp, subject: PqlExpr, ref: PqlExpr, sc: Scope): Pred {
    const iv = this.interval(ref, sc);
    const box: Interval = { s: 0, e: 0 };
    const range = new Range();
    const test: LeafTest = (leaf) => {
      const t = timeOf(leaf);
      return t !== undefined && range.has(t);
    };
    const walk = this.subjectTest(subject, sc, test, undefined);
    return (env) => {
      if (!iv(env, box)) return false;
      const instant = box.e === box.s;
      let ok: boolean;
      switch (op) {
        case "=":
          ok = range.setInterval(box);
          break;
        case "!=":
          ok = range.setInterval(box, true);
          break;
        case "<":
          ok = range.set(-Infinity, true, box.s, false);
          break;
        case ">=":
          ok = range.set(box.s, true, Infinity, true);
          break;
        case "<=":
          ok = instant ? range.set(-Infinity, true, box.s, true) : range.set(-Infinity, true, box.e, false);
          break;
        case ">":
          ok = instant ? range.set(box.s, false, Infinity, true) : range.set(box.e, true, Infinity, true);
          break;
      }
      return ok && walk(env);
    };
  }

  private membership(n: MembershipNode, sc: Scope): Pred {
    const negate = n.op === "notIn";
    const right = n.right;
    if (right.nodeType === "list" && right.items.every((i) => i.nodeType === "literal")) {
      const items = right.items.map((i) => (i.nodeType === "literal" ? i.value : null));
      const hasTimestamp = items.some((i) => typeof i === "string" && timestampOf(i) !== undefined);
      if (!hasTimestamp) {
        const set = new Set<Json>(items);
        return this.subjectTest(n.left, sc, negate ? (l) => !set.has(l) : (l) => set.has(l), undefined);
      }
      const list: Json[] = items;
      return this.subjectTest(n.left, sc, negate ? (l) => !listContains(list, l) : (l) => listContains(list, l), undefined);
    }
    const r = this.value(right, sc);
    const test: LeafTest = negate
      ? (l, a) => Array.isArray(a) && !listContains(a, l)
      : (l, a) => Array.isArray(a) && listContains(a, l);
    return this.subjectTest(n.left, sc, test, r);
  }

  private like(n: LikeNode, sc: Scope): Pred {
    if (n.pattern.nodeType === "literal") {
      const p = n.pattern.value;
      if (typeof p !== "string") return () => false;
      const re = likeToRegExp(p);
      return this.subjectTest(n.left, sc, (l) => typeof l === "string" && re.test(l), undefined);
    }
    const cache = new Map<string, RegExp>();
    const pattern = this.value(n.pattern, sc);
    return this.subjectTest(
      n.left,
      sc,
      (l, a) => {
        if (typeof l !== "string" || typeof a !== "string") return false;
        let re = cache.get(a);
        if (re === undefined) {
          if (cache.size > 64) cache.clear();
          re = likeToRegExp(a);
          cache.set(a, re);
        }
        return re.test(l);
      },
      pattern,
    );
  }

  private stringPredicate(n: MemberCallNode, sc: Scope): Pred {
    const [needleNode, flagNode] = n.args;
    if (needleNode === undefined || n.args.length > 2) this.fail(`${n.name}() takes 1 or 2 arguments, got ${n.args.length}`, n);
    const name = n.name;
    const fn =
      name === "contains"
        ? (s: string, t: string) => s.includes(t)
        : name === "startsWith"
          ? (s: string, t: string) => s.startsWith(t)
          : (s: string, t: string) => s.endsWith(t);
    // Constant needle and flag: prepare once.
    if (needleNode.nodeType === "literal" && (flagNode === undefined || flagNode.nodeType === "literal")) {
      const t = needleNode.value;
      const cs = flagNode === undefined ? true : flagNode.value;
      if (typeof t !== "string" || typeof cs !== "boolean") return () => false;
      if (cs) return this.subjectTest(n.receiver, sc, (l) => typeof l === "string" && fn(l, t), undefined);
      const lower = t.toLowerCase();
      return this.subjectTest(n.receiver, sc, (l) => typeof l === "string" && fn(l.toLowerCase(), lower), undefined);
    }
    const needle = this.value(needleNode, sc);
    const flag = flagNode === undefined ? undefined : this.value(flagNode, sc);
    let cs = true;
    const walk = this.subjectTest(
      n.receiver,
      sc,
      (l, t) => typeof l === "string" && typeof t === "string" && (cs ? fn(l, t) : fn(l.toLowerCase(), t.toLowerCase())),
      needle,
    );
    return (env) => {
      if (flag !== undefined) {
        const f = flag(env);
        if (typeof f !== "boolean") return false;
        cs = f;
      } else cs = true;
      return walk(env);
    };
  }

  private occurs(n: OccursNode, sc: Scope): Pred {
    const spec = n.spec;
    const range = new Range();
    const test: LeafTest = (leaf) => {
      const t = timeOf(leaf);
      return t !== undefined && range.has(t);
    };
    const walk = this.subjectTest(n.subject, sc, test, undefined);
    const a: Interval = { s: 0, e: 0 };
    const b: Interval = { s: 0, e: 0 };
    switch (spec.form) {
      case "on": {
        const ref = this.interval(spec.ref, sc);
        return (env) => ref(env, a) && range.setInterval(a) && walk(env);
      }
      case "direction": {
        const ref = this.interval(spec.ref, sc);
        if (spec.direction === "before") return (env) => ref(env, a) && range.set(-Infinity, true, a.s, false) && walk(env);
        return (env) => ref(env, a) && range.set(a.e, true, Infinity, true) && walk(env);
      }
      case "between": {
        const from = this.interval(spec.from, sc);
        const to = this.interval(spec.to, sc);
        return (env) =>
          from(env, a) && to(env, b) && (b.e === b.s ? range.set(a.s, true, b.s, true) : range.set(a.s, true, b.e, false)) && walk(env);
      }
      case "offset": {
        const ref = this.interval(spec.ref, sc);
        const { op, amount, unit } = spec;
        const before = spec.direction === "before";
        return (env) => {
          if (!ref(env, a)) return false;
          const anchor = before ? a.s : a.e;
          const p = addUnits(anchor, before ? -amount : amount, unit);
          if (!configureOffset(range, op, before, anchor, p, unit)) return false;
          return walk(env);
        };
      }
    }
  }

  // ---------------------------------------------------------------- time references

  /** Compile a time reference to an interval: instants (now, timestamps) have e = s. */
  private interval(n: PqlExpr, sc: Scope): IntervalEval {
    switch (n.nodeType) {
      case "timeKeyword": {
        switch (n.keyword) {
          case "now":
            return (env, out) => {
              out.s = env.now;
              out.e = env.now;
              return Number.isFinite(env.now);
            };
          default: {
            const shift = n.keyword === "today" ? 0 : n.keyword === "yesterday" ? -MS_PER_DAY : MS_PER_DAY;
            return (env, out) => {
              out.s = startOfDay(env.now) + shift;
              out.e = out.s + MS_PER_DAY;
              return Number.isFinite(out.s);
            };
          }
        }
      }
      case "relativeTime": {
        const { unit } = n;
        const offset = n.which === "this" ? 0 : n.which === "last" ? -1 : 1;
        let lastNow = NaN;
        let s = NaN;
        let e = NaN;
        return (env, out) => {
          if (env.now !== lastNow) {
            lastNow = env.now;
            const cur = startOfUnit(env.now, unit);
            s = offset === 0 ? cur : addUnits(cur, offset, unit);
            e = addUnits(s, 1, unit);
          }
          out.s = s;
          out.e = e;
          return Number.isFinite(s) && Number.isFinite(e);
        };
      }
      case "functionCall":
        return this.dateInterval(n, sc);
      default: {
        const v = this.value(n, sc);
        return (env, out) => {
          const x = v(env);
          const t = timeOf(x);
          if (t === undefined) return false;
          out.s = t;
          out.e = typeof x === "string" && isDateOnly(x) ? t + MS_PER_DAY : t;
          return true;
        };
      }
    }
  }

  private dateInterval(n: FunctionCallNode, sc: Scope): IntervalEval {
    if (n.args.length !== 3) this.fail(`date() takes 3 arguments (year, month, day), got ${n.args.length}`, n);
    const [y, m, d] = n.args as [PqlExpr, PqlExpr, PqlExpr];
    if (y.nodeType === "literal" && m.nodeType === "literal" && d.nodeType === "literal") {
      const s = typeof y.value === "number" && typeof m.value === "number" && typeof d.value === "number" ? utcDate(y.value, m.value, d.value) : NaN;
      return (_env, out) => {
        out.s = s;
        out.e = s + MS_PER_DAY;
        return !Number.isNaN(s);
      };
    }
    const ye = this.value(y, sc);
    const me = this.value(m, sc);
    const de = this.value(d, sc);
    return (env, out) => {
      const yy = ye(env);
      const mm = me(env);
      const dd = de(env);
      if (typeof yy !== "number" || typeof mm !== "number" || typeof dd !== "number") return false;
      out.s = utcDate(yy, mm, dd);
      out.e = out.s + MS_PER_DAY;
      return !Number.isNaN(out.s);
    };
  }

  // ---------------------------------------------------------------- values

  value(n: PqlExpr, sc: Scope): Eval {
    switch (n.nodeType) {
      case "literal": {
        const v = n.value;
        return () => v;
      }
      case "list": {
        const items = n.items.map((i) => this.value(i, sc));
        return (env) => {
          const out: Json[] = [];
          for (let i = 0; i < items.length; i++) {
            const v = (items[i] as Eval)(env);
            out.push(v === undefined ? null : v);
          }
          return out;
        };
      }
      case "implicitContext":
        if (sc.implicitSlot < 0) return (env) => env.profile;
        return this.slotEval(sc.implicitSlot);
      case "varRef": {
        const slot = sc.vars.get(n.varName);
        if (slot === undefined) this.fail(`variable '${n.varName}' is not bound by a select`, n);
        return this.slotEval(slot);
      }
      case "fieldLookup": {
        const plan = this.pathPlan(n, sc);
        if (plan === undefined) this.fail("internal: field lookup without a path", n);
        const { root, segs, own } = plan;
        if (segs.length === 0) return root;
        return (env) => getPath(root(env), segs, own);
      }
      case "filter":
        return this.filterCollect(n, sc);
      case "memberCall":
        if (n.name === "count") return this.count(n, sc);
        {
          const p = this.pred(n, sc);
          return (env) => p(env);
        }
      case "functionCall":
      case "timeKeyword":
      case "relativeTime": {
        const iv = this.interval(n, sc);
        const box: Interval = { s: 0, e: 0 };
        return (env) => (iv(env, box) ? box.s : undefined);
      }
      case "select":
        return this.selectCollect(n, sc);
      case "comparison":
      case "membership":
      case "like":
      case "and":
      case "or":
      case "not":
      case "occurs": {
        const p = this.pred(n, sc);
        return (env) => p(env);
      }
    }
  }

  private slotEval(slot: number): Eval {
    return (env) => env.slots[slot];
  }

  /** A fieldLookup chain as root + segments; the profile's `xEvent` resolves to the context's events. */
  private pathPlan(n: PqlExpr, sc: Scope): PathPlan | undefined {
    if (n.nodeType !== "fieldLookup") return undefined;
    const names: string[] = [];
    let base: PqlExpr = n;
    while (base.nodeType === "fieldLookup") {
      names.push((base as FieldLookupNode).fieldName);
      base = (base as FieldLookupNode).object;
    }
    names.reverse();
    let root: Eval;
    if (base.nodeType === "implicitContext" && sc.implicitSlot < 0) {
      if (names[0] === "xEvent") {
        names.shift();
        root = (env) => env.events as Json[];
      } else root = (env) => env.profile;
    } else root = this.value(base, sc);
    return { root, segs: names, own: names.some((s) => PROTO_NAMES.has(s)) };
  }

  private count(n: MemberCallNode, sc: Scope): Eval {
    if (n.args.length !== 0) this.fail(`count() takes no arguments, got ${n.args.length}`, n);
    const r = n.receiver;
    if (r.nodeType === "filter") {
      const loop = this.filterLoop(r, sc, "count");
      return (env) => {
        const c = loop(env);
        return c < 0 ? undefined : c;
      };
    }
    if (r.nodeType === "select") {
      const loop = this.selectLoop(r, sc, "count");
      return (env) => loop(env);
    }
    const v = this.value(r, sc);
    return (env) => {
      const x = v(env);
      return Array.isArray(x) ? x.length : undefined;
    };
  }

  /** Filter as a loop: "any" stops at the first match; returns the match count, or -1 when the input is not an array. */
  private filterLoop(n: FilterNode, sc: Scope, mode: "any" | "count"): (env: Env) => number {
    const arr = this.value(n.array, sc);
    const slot = this.newSlot();
    const cond = this.pred(n.condition, { implicitSlot: slot, vars: sc.vars });
    const stopAtFirst = mode === "any";
    return (env) => {
      const a = arr(env);
      if (!Array.isArray(a)) return -1;
      const slots = env.slots;
      let c = 0;
      for (let i = 0; i < a.length; i++) {
        slots[slot] = a[i];
        if (cond(env)) {
          c++;
          if (stopAtFirst) return c;
        }
      }
      return c;
    };
  }

  private filterCollect(n: FilterNode, sc: Scope): Eval {
    const arr = this.value(n.array, sc);
    const slot = this.newSlot();
    const cond = this.pred(n.condition, { implicitSlot: slot, vars: sc.vars });
    return (env) => {
      const a = arr(env);
      if (!Array.isArray(a)) return undefined;
      const out: Json[] = [];
      for (let i = 0; i < a.length; i++) {
        const el = a[i] as Json;
        env.slots[slot] = el;
        if (cond(env)) out.push(el);
      }
      return out;
    };
  }

  /** The select's clauses as nested loops; returns the number of tuples (1 at most in "any" mode). */
  private selectLoop(n: SelectNode, sc: Scope, mode: "any" | "count"): (env: Env) => number {
    const clauses = this.selectClauses(n, sc);
    const stopAtFirst = mode === "any";
    const loop = (env: Env, i: number): number => {
      const clause = clauses[i];
      if (clause === undefined) return 1;
      const a = clause.from(env);
      if (!Array.isArray(a)) return 0;
      let c = 0;
      for (let k = 0; k < a.length; k++) {
        env.slots[clause.slot] = a[k];
        if (clause.where !== undefined && !clause.where(env)) continue;
        c += loop(env, i + 1);
        if (stopAtFirst && c > 0) return c;
      }
      return c;
    };
    return (env) => loop(env, 0);
  }

  /** Generic value of a select: the elements (one variable) or tuples [v1, …, vk]. */
  private selectCollect(n: SelectNode, sc: Scope): Eval {
    const clauses = this.selectClauses(n, sc);
    const single = clauses.length === 1;
    return (env) => {
      const out: Json[] = [];
      const loop = (i: number): void => {
        const clause = clauses[i];
        if (clause === undefined) {
          out.push(single ? (env.slots[clauses[0]?.slot ?? 0] ?? null) : clauses.map((c) => env.slots[c.slot] ?? null));
          return;
        }
        const a = clause.from(env);
        if (!Array.isArray(a)) return;
        for (let k = 0; k < a.length; k++) {
          env.slots[clause.slot] = a[k];
          if (clause.where === undefined || clause.where(env)) loop(i + 1);
        }
      };
      loop(0);
      return out;
    };
  }

  private selectClauses(n: SelectNode, sc: Scope): Array<{ slot: number; from: Eval; where: Pred | undefined }> {
    const vars = new Map(sc.vars);
    return n.variables.map((d) => {
      const from = this.value(d.from, { implicitSlot: sc.implicitSlot, vars: new Map(vars) });
      const slot = this.newSlot();
      vars.set(d.varName, slot);
      const where = d.where === undefined ? undefined : this.pred(d.where, { implicitSlot: sc.implicitSlot, vars: new Map(vars) });
      return { slot, from, where };
    });
  }
}

/** Configure `range` for F1 (`CMP N UNIT before|after REF`); see pql.md §8.2 and DECISIONS.md. */
function configureOffset(range: Range, op: ComparisonOp, before: boolean, anchor: number, p: number, unit: TimeUnit): boolean {
  switch (op) {
    case "<=":
      return before ? range.set(p, true, anchor, false) : range.set(anchor, true, p, true);
    case "<":
      return before ? range.set(p, false, anchor, false) : range.set(anchor, true, p, false);
    case ">=":
      return before ? range.set(-Infinity, true, p, true) : range.set(p, true, Infinity, true);
    case ">":
      return before ? range.set(-Infinity, true, p, false) : range.set(p, false, Infinity, true);
    case "=":
    case "!=": {
      const gs = startOfUnit(p, unit);
      return range.set(gs, true, addUnits(gs, 1, unit), false, op === "!=");
    }
  }
}

/** A leaf test against a literal, specialised by type so the common cases are one typeof and one compare. */
function constantTest(op: ComparisonOp, c: string | number | boolean): LeafTest {
  if (typeof c === "number") {
    switch (op) {
      case "=":
        return (l) => l === c;
      case "!=":
        return (l) => typeof l === "number" && l !== c;
      case "<":
        return (l) => typeof l === "number" && l < c;
      case "<=":
        return (l) => typeof l === "number" && l <= c;
      case ">":
        return (l) => typeof l === "number" && l > c;
      case ">=":
        return (l) => typeof l === "number" && l >= c;
    }
  }
  if (typeof c === "boolean") {
    if (op === "=") return (l) => l === c;
    if (op === "!=") return (l) => typeof l === "boolean" && l !== c;
    return () => false;
  }
  const cMs = timestampOf(c);
  if (cMs === undefined) {
    // Not a timestamp: "both sides are timestamps" cannot hold, so this is a plain code-unit comparison.
    switch (op) {
      case "=":
        return (l) => l === c;
      case "!=":
        return (l) => typeof l === "string" && l !== c;
      case "<":
        return (l) => typeof l === "string" && l < c;
      case "<=":
        return (l) => typeof l === "string" && l <= c;
      case ">":
        return (l) => typeof l === "string" && l > c;
      case ">=":
        return (l) => typeof l === "string" && l >= c;
    }
  }
  // A timestamp literal: parsed once here; the data side is compared by instant when it is a timestamp too.
  return (l) => {
    if (typeof l !== "string") return false;
    const t = timestampOf(l);
    return t === undefined ? orderStrings(op, l, c) : orderNumbers(op, t, cMs);
  };
}

/** Compile an AST into a predicate. The closures are built once; evaluation never re-walks the AST. */
export function compilePql(ast: PqlExpr): CompiledPql {
  const compiler = new Compiler();
  const pred = compiler.pred(ast, { implicitSlot: -1, vars: new Map() });
  const env: Env = { profile: {}, events: [], now: 0, slots: new Array<Value>(compiler.slots).fill(undefined) };
  return (ctx) => {
    env.profile = ctx.profile;
    env.events = ctx.events;
    env.now = ctx.now;
    return pred(env);
  };
}
