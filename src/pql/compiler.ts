/**
 * AST → closures. The tree is walked once, at compile time; evaluation only runs closures. Paths are
 * precomputed segment arrays walked without allocation (a comparison whose left side passes through an
 * array is existential, pql.md §4), constants (literals, LIKE patterns, regexes, `in` sets, timestamp
 * literals) are prepared once, and every binding (filter element, select/quantifier/aggregate variable,
 * lambda parameter, let name) lives in a preallocated slot instead of a new scope.
 */
import type { Json, JsonObject } from "../xdm/types.js";
import type {
  AggregateNode,
  ArithmeticNode,
  ChainNode,
  ComparisonNode,
  ComparisonOp,
  FieldLookupNode,
  FilterNode,
  FunctionCallNode,
  LikeNode,
  MatchesNode,
  MemberCallNode,
  MembershipNode,
  OccursNode,
  PqlExpr,
  QuantificationNode,
  RelativeTimeNode,
  SelectNode,
  TimeKeywordNode,
  TimeUnit,
  VarDeclNode,
} from "./ast.js";
import { childrenOf } from "./ast.js";
import { formatPql } from "./format.js";
import { addUnits, civil, MS_PER_DAY, startOfDay, startOfUnit, utcDate } from "./calendar.js";
import { groupMatcher, runtimeRegex, translateJavaRegex } from "./regex.js";
import { PQL_ERROR_CODES, PqlError } from "./errors.js";
import { MAX_PATTERN_LENGTH } from "./limits.js";
import { assertDepth } from "./budget.js";
import {
  compareValues,
  equalValues,
  isDateOnly,
  likeMatcher,
  listContains,
  order,
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
  /** Segment membership for `inSegment("<id or name>")`; when absent, inSegment is false. */
  readonly inSegment?: (ref: string) => boolean;
}

/** A compiled segment predicate. */
export type CompiledPql = (ctx: PqlContext) => boolean;

interface Env {
  profile: JsonObject;
  events: readonly JsonObject[];
  now: number;
  inSegment: ((ref: string) => boolean) | undefined;
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
  /** Bound names → slot (-1: an alias of the profile, e.g. a top-level lambda parameter). */
  readonly vars: ReadonlyMap<string, number>;
  /** The scope one context level up (for `^`); undefined at the profile. */
  readonly up?: Scope;
}

/** The key of each group produced by groupBy (for `(K, G) => …`). */
const GROUP_KEYS = new WeakMap<object, Value>();

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
  return n.nodeType === "timeKeyword" || n.nodeType === "relativeTime" || (n.nodeType === "functionCall" && n.name === "date");
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

const NO_SPAN = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

/**
 * Values shared by the segments of one set (see compileSegmentSet): identical root-level event aggregates
 * (filters, selects, aggregates, member calls on them) are computed once per evaluation of the set.
 */
export class SharedMemo {
  /** Incremented before every evaluation of the set; an entry is valid while its epoch matches. */
  epoch = 0;
  readonly entries = new Map<string, { epoch: number; value: Value }>();
  /** How many distinct sub-expressions are shared. */
  get size(): number {
    return this.entries.size;
  }
}

/** Node kinds worth memoising at the root of a segment set. */
const MEMO_KINDS: ReadonlySet<string> = new Set(["filter", "select", "aggregate", "memberCall"]);

/** True when the subtree reads events (only then is sharing worth a cache lookup). */
function readsEvents(n: PqlExpr): boolean {
  const stack: PqlExpr[] = [n];
  while (stack.length > 0) {
    const cur = stack.pop() as PqlExpr;
    if (cur.nodeType === "fieldLookup" && cur.fieldName === "xEvent" && cur.object.nodeType === "implicitContext") return true;
    stack.push(...childrenOf(cur));
  }
  return false;
}

class Compiler {
  private slotCount = 0;

  constructor(private readonly memo?: SharedMemo) {}

  /** A memoised value when `n` is a root-level event aggregate inside a segment set; undefined otherwise. */
  private shared(n: PqlExpr, sc: Scope): Eval | undefined {
    const memo = this.memo;
    if (memo === undefined || !MEMO_KINDS.has(n.nodeType) || sc.implicitSlot >= 0 || sc.vars.size > 0 || sc.up !== undefined || !readsEvents(n)) return undefined;
    const key = formatPql(n);
    let entry = memo.entries.get(key);
    if (entry === undefined) {
      entry = { epoch: -1, value: undefined };
      memo.entries.set(key, entry);
    }
    const e = entry;
    const inner = this.valueOf(n, sc);
    return (env) => {
      if (e.epoch === memo.epoch) return e.value;
      const v = inner(env);
      e.value = v;
      e.epoch = memo.epoch;
      return v;
    };
  }

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
      case "matches":
        return this.matches(n, sc);
      case "memberCall":
        if (STRING_PREDICATES.has(n.name)) return this.stringPredicate(n, sc);
        if (n.name === "exists") return this.existsMethod(n, sc);
        break;
      case "quantification":
        return this.quantification(n, sc);
      case "chain":
        return this.chain(n, sc);
      case "lambda":
        this.fail("a lambda is only allowed as the whole expression or as the argument of an array function", n);
        break;
      case "let": {
        const slot = this.newSlot();
        const v = this.value(n.value, sc);
        const body = this.pred(n.body, { ...sc, vars: new Map(sc.vars).set(n.varName, slot) });
        return (env) => {
          env.slots[slot] = v(env);
          return body(env);
        };
      }
      case "functionCall":
        if (n.name === "if") {
          const [t, a, b] = n.args;
          if (t === undefined || a === undefined || b === undefined || n.args.length !== 3) this.fail(`if() takes 3 arguments, got ${n.args.length}`, n);
          const test = this.pred(t, sc);
          const pa = this.pred(a, sc);
          const pb = this.pred(b, sc);
          return (env) => (test(env) ? pa(env) : pb(env));
        }
        break;
      case "fieldLookup":
        return this.subjectTest(n, sc, isTruthyLeaf, undefined);
      case "filter": {
        const memoised = this.shared(n, sc);
        if (memoised !== undefined) return (env) => truthy(memoised(env));
        const any = this.filterLoop(n, sc, "any");
        return (env) => any(env) > 0;
      }
      case "select": {
        const memoised = this.shared(n, sc);
        if (memoised !== undefined) return (env) => truthy(memoised(env));
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
      // A set lookup, prepared once: plain values by SameValueZero (1 = 1.0), timestamp strings also by instant.
      const plain = new Set<Json>();
      const instants = new Set<number>();
      for (const i of right.items) {
        if (i.nodeType !== "literal") continue;
        plain.add(i.value);
        const t = typeof i.value === "string" ? timestampOf(i.value) : undefined;
        if (t !== undefined) instants.add(t);
      }
      const has =
        instants.size === 0
          ? (l: Json): boolean => plain.has(l)
          : (l: Json): boolean => {
              if (plain.has(l)) return true;
              const t = typeof l === "string" ? timestampOf(l) : undefined;
              return t !== undefined && instants.has(t);
            };
      return this.subjectTest(n.left, sc, negate ? (l) => !has(l) : has, undefined);
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
      const test = likeMatcher(p);
      return this.subjectTest(n.left, sc, (l) => typeof l === "string" && test(l), undefined);
    }
    const cache = new Map<string, (s: string) => boolean>();
    const pattern = this.value(n.pattern, sc);
    return this.subjectTest(
      n.left,
      sc,
      (l, a) => {
        if (typeof l !== "string" || typeof a !== "string" || a.length > MAX_PATTERN_LENGTH) return false;
        let test = cache.get(a);
        if (test === undefined) {
          if (cache.size > 64) cache.clear();
          test = likeMatcher(a);
          cache.set(a, test);
        }
        return test(l);
      },
      pattern,
    );
  }

  private stringPredicate(n: MemberCallNode, sc: Scope): Pred {
    const [needleNode, flagNode] = n.args;
    if (needleNode === undefined || n.args.length > 2) this.fail(`${n.name}() takes 1 or 2 arguments, got ${n.args.length}`, n);
    const fn = STRING_TESTS[n.name];
    if (fn === undefined) this.fail(`internal: ${n.name} is not a string predicate`, n);
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
    return this.shared(n, sc) ?? this.valueOf(n, sc);
  }

  private valueOf(n: PqlExpr, sc: Scope): Eval {
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
      case "this":
        if (sc.implicitSlot < 0) this.fail("'this' is the current element of a filter, a chain step or a per-element argument; the profile level has none", n);
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
        if (STRING_PREDICATES.has(n.name) || n.name === "exists") {
          const p = this.pred(n, sc);
          return (env) => p(env);
        }
        return this.memberValue(n, sc);
      case "functionCall":
        if (n.name === "date") {
          const iv = this.interval(n, sc);
          const box: Interval = { s: 0, e: 0 };
          return (env) => (iv(env, box) ? box.s : undefined);
        }
        return this.globalValue(n, sc);
      case "timeKeyword":
      case "relativeTime": {
        const iv = this.interval(n, sc);
        const box: Interval = { s: 0, e: 0 };
        return (env) => (iv(env, box) ? box.s : undefined);
      }
      case "select":
        return this.selectCollect(n, sc);
      case "arithmetic": {
        const l = this.value(n.left, sc);
        const r = this.value(n.right, sc);
        const op = n.op;
        return (env) => arithmetic(op, l(env), r(env));
      }
      case "negate": {
        const v = this.value(n.operand, sc);
        return (env) => {
          const x = v(env);
          return typeof x === "number" ? -x : undefined;
        };
      }
      case "let": {
        const slot = this.newSlot();
        const v = this.value(n.value, sc);
        const body = this.value(n.body, { ...sc, vars: new Map(sc.vars).set(n.varName, slot) });
        return (env) => {
          env.slots[slot] = v(env);
          return body(env);
        };
      }
      case "lambda":
        this.fail("a lambda is only allowed as the whole expression or as the argument of an array function", n);
        break;
      case "parameterReference":
        if (n.position === 1) return (env) => env.profile;
        return () => undefined;
      case "upContext": {
        const target = this.upScope(sc, n.levels);
        if (target.implicitSlot < 0) return (env) => env.profile;
        return this.slotEval(target.implicitSlot);
      }
      case "object": {
        const entries = n.entries.map((e) => [e.key, this.value(e.value, sc)] as const);
        return (env) => {
          const out: JsonObject = {};
          for (const [k, v] of entries) {
            const x = v(env);
            if (x !== undefined) out[k] = x;
          }
          return out;
        };
      }
      case "aggregate":
        return this.aggregate(n, sc);
      case "comparison":
      case "membership":
      case "like":
      case "matches":
      case "and":
      case "or":
      case "not":
      case "occurs":
      case "quantification":
      case "chain": {
        const p = this.pred(n, sc);
        return (env) => p(env);
      }
    }
  }

  /** The scope `levels` context levels up; the profile when the chain ends. */
  private upScope(sc: Scope, levels: number): Scope {
    let t: Scope = sc;
    for (let i = 0; i < levels && t.up !== undefined; i++) t = t.up;
    return t;
  }

  /** A top-level lambda `(P, …) => body`: P is the profile (an alias); further parameters are missing. */
  private lambdaScope(n: Extract<PqlExpr, { nodeType: "lambda" }>, sc: Scope): Scope {
    const vars = new Map(sc.vars);
    n.params.forEach((p, i) => vars.set(p, i === 0 ? -1 : this.newSlot()));
    return { ...sc, vars };
  }

  /** The whole expression as a predicate; a top-level lambda binds its first parameter to the profile. */
  topPred(n: PqlExpr): Pred {
    const root: Scope = { implicitSlot: -1, vars: new Map() };
    return n.nodeType === "lambda" ? this.pred(n.body, this.lambdaScope(n, root)) : this.pred(n, root);
  }

  /** The whole expression as a value. */
  topValue(n: PqlExpr): Eval {
    const root: Scope = { implicitSlot: -1, vars: new Map() };
    return n.nodeType === "lambda" ? this.value(n.body, this.lambdaScope(n, root)) : this.value(n, root);
  }

  /**
   * A per-element argument (pql.md §4): a lambda binds its parameters (one: the element; two: the key or
   * index, then the element); any other expression is evaluated with the element as the implicit context.
   */
  private perElement(arg: PqlExpr, sc: Scope): { elementSlot: number; keySlot: number; body: PqlExpr; scope: Scope } {
    if (arg.nodeType === "lambda") {
      const vars = new Map(sc.vars);
      const elementSlot = this.newSlot();
      let keySlot = -1;
      if (arg.params.length >= 2) {
        keySlot = this.newSlot();
        vars.set(arg.params[0] as string, keySlot);
        vars.set(arg.params[1] as string, elementSlot);
        for (const extra of arg.params.slice(2)) vars.set(extra, this.newSlot());
      } else vars.set(arg.params[0] as string, elementSlot);
      return { elementSlot, keySlot, body: arg.body, scope: { ...sc, vars } };
    }
    const elementSlot = this.newSlot();
    return { elementSlot, keySlot: -1, body: arg, scope: { implicitSlot: elementSlot, vars: sc.vars, up: sc } };
  }

  private elementValue(arg: PqlExpr, sc: Scope): (env: Env, el: Value, key: Value) => Value {
    const { elementSlot, keySlot, body, scope } = this.perElement(arg, sc);
    const v = this.value(body, scope);
    return (env, el, key) => {
      env.slots[elementSlot] = el;
      if (keySlot >= 0) env.slots[keySlot] = key;
      return v(env);
    };
  }

  private elementPred(arg: PqlExpr, sc: Scope): (env: Env, el: Value, key: Value) => boolean {
    const { elementSlot, keySlot, body, scope } = this.perElement(arg, sc);
    const p = this.pred(body, scope);
    return (env, el, key) => {
      env.slots[elementSlot] = el;
      if (keySlot >= 0) env.slots[keySlot] = key;
      return p(env);
    };
  }

  private matches(n: MatchesNode, sc: Scope): Pred {
    if (n.pattern.nodeType === "literal") {
      const p = n.pattern.value;
      if (typeof p !== "string") return () => false;
      const r = translateJavaRegex(p);
      if (!r.ok) throw new PqlError(r.overBudget === true ? PQL_ERROR_CODES.overBudget : PQL_ERROR_CODES.invalidRegex, `invalid regex ${JSON.stringify(p)}: ${r.message}`, n.pattern.span ?? NO_SPAN);
      const re = r.regex;
      return this.subjectTest(n.left, sc, (l) => typeof l === "string" && re.test(l), undefined);
    }
    const pattern = this.value(n.pattern, sc);
    return this.subjectTest(
      n.left,
      sc,
      (l, a) => {
        if (typeof l !== "string" || typeof a !== "string") return false;
        const re = runtimeRegex(a);
        return re !== null && re.test(l);
      },
      pattern,
    );
  }

  private existsMethod(n: MemberCallNode, sc: Scope): Pred {
    const [arg] = n.args;
    if (arg === undefined || n.args.length !== 1) this.fail(`exists() takes 1 argument (condition), got ${n.args.length}`, n);
    const recv = this.value(n.receiver, sc);
    const cond = this.elementPred(arg, sc);
    return (env) => {
      const a = recv(env);
      if (!Array.isArray(a)) return false;
      for (let i = 0; i < a.length; i++) if (cond(env, a[i], GROUP_KEYS.get(a[i] as object) ?? i)) return true;
      return false;
    };
  }

  private args(n: MemberCallNode | FunctionCallNode, min: number, max: number): void {
    if (n.args.length < min || n.args.length > max) {
      const want = min === max ? `${min}` : `${min}–${max}`;
      this.fail(`${n.name}() takes ${want} argument${max === 1 ? "" : "s"}, got ${n.args.length}`, n);
    }
  }

  private memberValue(n: MemberCallNode, sc: Scope): Eval {
    const recv = this.value(n.receiver, sc);
    const a0 = n.args[0];
    switch (n.name) {
      case "regexGroup": {
        this.args(n, 1, 2);
        const pattern = this.value(a0 as PqlExpr, sc);
        const index = n.args[1] === undefined ? () => 0 : this.value(n.args[1], sc);
        return (env) => {
          const s = recv(env);
          const p = pattern(env);
          const i = index(env);
          if (typeof s !== "string" || typeof p !== "string" || typeof i !== "number" || !Number.isInteger(i) || i < 0) return undefined;
          const group = groupMatcher(p, i);
          return group === null ? undefined : group(s);
        };
      }
      case "getMonth":
      case "getYear":
      case "getDayOfMonth": {
        this.args(n, 0, 0);
        const part = n.name === "getYear" ? 0 : n.name === "getMonth" ? 1 : 2;
        return (env) => {
          const t = timeOf(recv(env));
          return t === undefined ? undefined : civil(t)[part];
        };
      }
      case "intersects":
      case "intersection":
      case "subsetOf":
      case "supersetOf": {
        this.args(n, 1, 1);
        const other = this.value(a0 as PqlExpr, sc);
        const name = n.name;
        return (env) => {
          const a = recv(env);
          const b = other(env);
          if (!Array.isArray(a) || !Array.isArray(b)) return name === "intersection" ? undefined : false;
          switch (name) {
            case "intersects":
              return a.some((x) => listContains(b, x));
            case "subsetOf":
              return a.every((x) => listContains(b, x));
            case "supersetOf":
              return b.every((x) => listContains(a, x));
            default: {
              const out: Json[] = [];
              for (const x of a) if (listContains(b, x) && !listContains(out, x)) out.push(x);
              return out.length === 0 ? undefined : out;
            }
          }
        };
      }
      case "includes": {
        this.args(n, 1, 1);
        const x = this.value(a0 as PqlExpr, sc);
        return (env) => {
          const a = recv(env);
          const v = x(env);
          return Array.isArray(a) && v !== undefined && v !== null && listContains(a, v);
        };
      }
      case "distinct":
        this.args(n, 0, 0);
        return (env) => {
          const a = recv(env);
          if (!Array.isArray(a)) return undefined;
          const out: Json[] = [];
          for (const x of a) if (!out.some((y) => x === y || equalValues(x, y))) out.push(x);
          return out;
        };
      case "head":
        this.args(n, 0, 0);
        return (env) => {
          const a = recv(env);
          return Array.isArray(a) ? (a[0] ?? undefined) : undefined;
        };
      case "topN":
      case "bottomN": {
        this.args(n, 2, 2);
        const key = this.elementValue(a0 as PqlExpr, sc);
        const count = this.value(n.args[1] as PqlExpr, sc);
        const desc = n.name === "topN";
        return (env) => {
          const a = recv(env);
          const k = count(env);
          if (!Array.isArray(a) || typeof k !== "number" || !Number.isInteger(k) || k < 0) return undefined;
          const keyed: Array<{ el: Json; key: number | string }> = [];
          for (let i = 0; i < a.length; i++) {
            const kv = sortKey(key(env, a[i], i));
            if (kv !== undefined) keyed.push({ el: a[i] as Json, key: kv });
          }
          keyed.sort((x, y) => (desc ? compareKeys(y.key, x.key) : compareKeys(x.key, y.key)));
          return keyed.slice(0, k).map((e) => e.el);
        };
      }
      case "filter": {
        this.args(n, 1, 1);
        const cond = this.elementPred(a0 as PqlExpr, sc);
        return (env) => {
          const a = recv(env);
          if (!Array.isArray(a)) return undefined;
          const out: Json[] = [];
          for (let i = 0; i < a.length; i++) if (cond(env, a[i], GROUP_KEYS.get(a[i] as object) ?? i)) out.push(a[i] as Json);
          return out;
        };
      }
      case "map": {
        this.args(n, 1, 1);
        const f = this.elementValue(a0 as PqlExpr, sc);
        const body = a0?.nodeType === "lambda" ? a0.body : a0;
        const toMap = body?.nodeType === "functionCall" && body.name === "mapEntry";
        return (env) => {
          const a = recv(env);
          if (!Array.isArray(a)) return undefined;
          if (toMap) {
            const out: JsonObject = {};
            for (let i = 0; i < a.length; i++) {
              const e = f(env, a[i], GROUP_KEYS.get(a[i] as object) ?? i);
              if (isPlainObject(e) && typeof e["key"] !== "object" && e["key"] !== undefined && e["value"] !== undefined) out[String(e["key"])] = e["value"];
            }
            return out;
          }
          const out: Json[] = [];
          for (let i = 0; i < a.length; i++) {
            const v = f(env, a[i], GROUP_KEYS.get(a[i] as object) ?? i);
            out.push(v === undefined ? null : v);
          }
          return out;
        };
      }
      case "groupBy": {
        this.args(n, 1, 1);
        const key = this.elementValue(a0 as PqlExpr, sc);
        return (env) => {
          const a = recv(env);
          if (!Array.isArray(a)) return undefined;
          const groups = new Map<string, Json[]>();
          const out: Json[] = [];
          for (let i = 0; i < a.length; i++) {
            const k = key(env, a[i], i);
            const id = JSON.stringify(k === undefined ? null : k);
            let g = groups.get(id);
            if (g === undefined) {
              g = [];
              groups.set(id, g);
              GROUP_KEYS.set(g, k === undefined ? null : k);
              out.push(g);
            }
            g.push(a[i] as Json);
          }
          return out;
        };
      }
      case "sum":
      case "average":
      case "min":
      case "max": {
        this.args(n, 0, 1);
        const fn = n.name;
        const f = a0 === undefined ? undefined : this.elementValue(a0, sc);
        return (env) => {
          const a = recv(env);
          if (!Array.isArray(a)) return undefined;
          const values = f === undefined ? a : a.map((x, i) => f(env, x, GROUP_KEYS.get(x as object) ?? i));
          return aggregateValues(fn, values);
        };
      }
      case "get": {
        this.args(n, 1, 1);
        const key = this.value(a0 as PqlExpr, sc);
        return (env) => {
          const m = recv(env);
          const k = key(env);
          if (!isPlainObject(m) || (typeof k !== "string" && typeof k !== "number")) return undefined;
          const ks = String(k);
          return Object.hasOwn(m, ks) ? (m[ks] ?? undefined) : undefined;
        };
      }
      case "keys":
      case "values": {
        this.args(n, 0, 0);
        const keys = n.name === "keys";
        return (env) => {
          const m = recv(env);
          if (!isPlainObject(m)) return undefined;
          return keys ? Object.keys(m) : Object.values(m);
        };
      }
      case "isNull":
        this.args(n, 0, 0);
        return (env) => {
          const v = recv(env);
          return v === undefined || v === null;
        };
      case "isNotNull":
        this.args(n, 0, 0);
        return (env) => {
          const v = recv(env);
          return v !== undefined && v !== null;
        };
      default:
        this.fail(`internal: unhandled member function ${n.name}`, n);
    }
  }

  private globalValue(n: FunctionCallNode, sc: Scope): Eval {
    switch (n.name) {
      case "if": {
        this.args(n, 3, 3);
        const [t, a, b] = n.args as [PqlExpr, PqlExpr, PqlExpr];
        const test = this.pred(t, sc);
        const va = this.value(a, sc);
        const vb = this.value(b, sc);
        return (env) => (test(env) ? va(env) : vb(env));
      }
      case "inSegment": {
        this.args(n, 1, 1);
        const ref = this.value(n.args[0] as PqlExpr, sc);
        return (env) => {
          const r = ref(env);
          return typeof r === "string" && env.inSegment !== undefined && env.inSegment(r) === true;
        };
      }
      case "currentYear":
      case "currentMonth":
      case "currentDayOfMonth": {
        this.args(n, 0, 0);
        const part = n.name === "currentYear" ? 0 : n.name === "currentMonth" ? 1 : 2;
        return (env) => (Number.isFinite(env.now) ? civil(env.now)[part] : undefined);
      }
      case "mapEntry": {
        this.args(n, 2, 2);
        const k = this.value(n.args[0] as PqlExpr, sc);
        const v = this.value(n.args[1] as PqlExpr, sc);
        return (env) => {
          const key = k(env);
          const value = v(env);
          return { key: key === undefined ? null : key, value: value === undefined ? null : value };
        };
      }
      default:
        this.fail(`internal: unhandled function ${n.name}`, n);
    }
  }

  /** Nested loops over the clauses of a select/quantifier/aggregate; `visit` is called per tuple and may stop the walk. */
  private tupleLoop(vars: readonly VarDeclNode[], sc: Scope): { scope: Scope; run: (env: Env, visit: (env: Env) => boolean) => boolean } {
    const clauses = this.selectClauses({ nodeType: "select", variables: vars }, sc);
    const scopeVars = new Map(sc.vars);
    vars.forEach((d, i) => scopeVars.set(d.varName, clauses[i]?.slot ?? 0));
    const loop = (env: Env, i: number, visit: (env: Env) => boolean): boolean => {
      const clause = clauses[i];
      if (clause === undefined) return visit(env);
      const a = clause.from(env);
      if (!Array.isArray(a)) return true;
      for (let k = 0; k < a.length; k++) {
        env.slots[clause.slot] = a[k];
        if (clause.where !== undefined && !clause.where(env)) continue;
        if (!loop(env, i + 1, visit)) return false;
      }
      return true;
    };
    return { scope: { ...sc, vars: scopeVars }, run: (env, visit) => loop(env, 0, visit) };
  }

  private quantification(n: QuantificationNode, sc: Scope): Pred {
    if (n.quantifier === "exists") {
      const count = this.selectLoop({ nodeType: "select", variables: n.variables }, sc, "any");
      return (env) => count(env) > 0;
    }
    // forall: every clause's condition holds for every element (over an empty or missing array: true).
    const clauses = this.selectClauses({ nodeType: "select", variables: n.variables }, sc);
    const loop = (env: Env, i: number): boolean => {
      const clause = clauses[i];
      if (clause === undefined) return true;
      const a = clause.from(env);
      if (!Array.isArray(a)) return true;
      for (let k = 0; k < a.length; k++) {
        env.slots[clause.slot] = a[k];
        if (clause.where !== undefined && !clause.where(env)) return false;
        if (!loop(env, i + 1)) return false;
      }
      return true;
    };
    return (env) => loop(env, 0);
  }

  private aggregate(n: AggregateNode, sc: Scope): Eval {
    const { scope, run } = this.tupleLoop(n.variables, sc);
    const first = n.variables[0];
    if (first === undefined) this.fail("an aggregate needs a variable", n);
    const value = n.value === undefined ? this.value({ nodeType: "varRef", varName: first.varName }, scope) : this.value(n.value, scope);
    const fn = n.fn;
    return (env) => {
      const values: Value[] = [];
      run(env, (e) => {
        values.push(value(e));
        return true;
      });
      return aggregateValues(fn, values);
    };
  }

  /** chain(...): greedy earliest match over the events sorted by the time field, strictly increasing between steps. */
  private chain(n: ChainNode, sc: Scope): Pred {
    const events = this.value(n.events, sc);
    const slot = this.newSlot();
    const inner: Scope = { implicitSlot: slot, vars: sc.vars, up: sc };
    const field = n.timeField;
    const subject: FieldLookupNode = { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: field };
    const steps = n.steps.map((step) => {
      const preds: Pred[] = [];
      let count = 1;
      for (const c of step.clauses) {
        if (c.kind === "COUNT") count = c.count;
        else if (c.kind === "WHEN") preds.push(this.occurs({ nodeType: "occurs", subject, spec: c.spec }, inner));
        else preds.push(this.pred(c.condition, inner));
      }
      const only = preds[0];
      return { pred: only === undefined ? () => true : preds.length === 1 ? only : this.and(preds), count };
    });
    // Reused between evaluations: the events with a usable time, their times, and (when unsorted) an order.
    const evs: Json[] = [];
    const times: number[] = [];
    const order: number[] = [];
    return (env) => {
      const a = events(env);
      if (!Array.isArray(a)) return false;
      evs.length = 0;
      times.length = 0;
      let sorted = true;
      for (let k = 0; k < a.length; k++) {
        const e = a[k];
        if (!isPlainObject(e)) continue;
        const t = timeOf(Object.hasOwn(e, field) ? e[field] : undefined);
        if (t === undefined) continue;
        if (times.length > 0 && t < (times[times.length - 1] as number)) sorted = false;
        evs.push(e);
        times.push(t);
      }
      order.length = 0;
      for (let k = 0; k < evs.length; k++) order.push(k);
      if (!sorted) order.sort((x, y) => (times[x] as number) - (times[y] as number) || x - y);
      let last = -Infinity;
      let i = 0;
      for (const step of steps) {
        let need = step.count;
        let lastMatch = last;
        while (need > 0 && i < order.length) {
          const k = order[i] as number;
          i++;
          const t = times[k] as number;
          if (t <= last) continue;
          env.slots[slot] = evs[k];
          if (step.pred(env)) {
            need--;
            lastMatch = t;
          }
        }
        if (need > 0) return false;
        last = lastMatch;
      }
      return true;
    };
  }

  private slotEval(slot: number): Eval {
    if (slot < 0) return (env) => env.profile;
    return (env) => env.slots[slot];
  }

  /** True when `base` denotes the profile itself (where `xEvent` resolves to the events). */
  private isProfile(base: PqlExpr, sc: Scope): boolean {
    switch (base.nodeType) {
      case "implicitContext":
        return sc.implicitSlot < 0;
      case "parameterReference":
        return base.position === 1;
      case "varRef":
        return sc.vars.get(base.varName) === -1;
      case "upContext":
        return this.upScope(sc, base.levels).implicitSlot < 0;
      default:
        return false;
    }
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
    if (this.isProfile(base, sc)) {
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
    const cond = this.pred(n.condition, { implicitSlot: slot, vars: sc.vars, up: sc });
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
    const cond = this.pred(n.condition, { implicitSlot: slot, vars: sc.vars, up: sc });
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
      const from = this.value(d.from, { ...sc, vars: new Map(vars) });
      const slot = this.newSlot();
      vars.set(d.varName, slot);
      const where = d.where === undefined ? undefined : this.pred(d.where, { ...sc, vars: new Map(vars) });
      return { slot, from, where };
    });
  }
}

const STRING_TESTS: Readonly<Record<string, (s: string, t: string) => boolean>> = {
  contains: (s, t) => s.includes(t),
  startsWith: (s, t) => s.startsWith(t),
  endsWith: (s, t) => s.endsWith(t),
  equals: (s, t) => s === t,
  notEqualTo: (s, t) => s !== t,
  doesNotContain: (s, t) => !s.includes(t),
  doesNotStartWith: (s, t) => !s.startsWith(t),
  doesNotEndWith: (s, t) => !s.endsWith(t),
};
const STRING_PREDICATES: ReadonlySet<string> = new Set(Object.keys(STRING_TESTS));

/** Numbers, or timestamp strings compared by instant, as sort/aggregate keys; undefined for anything else. */
function sortKey(v: Value): number | string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string") return v;
  return undefined;
}

function compareKeys(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  const ta = timestampOf(a);
  const tb = timestampOf(b);
  if (ta !== undefined && tb !== undefined) return ta - tb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** sum/average/min/max over collected values: numbers (min/max also timestamps); empty → 0 for sum, null otherwise. */
export function aggregateValues(fn: "sum" | "average" | "min" | "max", values: readonly Value[]): Value {
  let sum = 0;
  let n = 0;
  let best: number | undefined;
  let bestTime: number | undefined;
  let bestTimeValue: string | undefined;
  for (const v of values) {
    if (typeof v === "number") {
      if (!Number.isFinite(v)) continue;
      sum += v;
      n++;
      if (best === undefined || (fn === "min" ? v < best : v > best)) best = v;
    } else if (typeof v === "string" && (fn === "min" || fn === "max")) {
      const t = timestampOf(v);
      if (t !== undefined && (bestTime === undefined || (fn === "min" ? t < bestTime : t > bestTime))) {
        bestTime = t;
        bestTimeValue = v;
      }
    }
  }
  switch (fn) {
    case "sum":
      return sum;
    case "average":
      return n === 0 ? undefined : sum / n;
    default:
      return best ?? bestTimeValue;
  }
}

function arithmetic(op: ArithmeticNode["op"], a: Value, b: Value): Value {
  if (typeof a !== "number" || typeof b !== "number") return undefined;
  let r: number;
  switch (op) {
    case "+":
      r = a + b;
      break;
    case "-":
      r = a - b;
      break;
    case "*":
      r = a * b;
      break;
    case "/":
      if (b === 0) return undefined;
      r = a / b;
      break;
    case "%":
      if (b === 0) return undefined;
      r = a % b;
      break;
  }
  return Number.isFinite(r) ? r : undefined;
}

function isPlainObject(v: Value): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
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
    // A timestamp string meets a number as epoch ms, as compareValues compares a computed number.
    const asInstant = (l: unknown): boolean => {
      if (typeof l !== "string") return false;
      const t = timestampOf(l);
      return t !== undefined && order(op, t, c);
    };
    switch (op) {
      case "=":
        return (l) => l === c || asInstant(l);
      case "!=":
        return (l) => (typeof l === "number" ? l !== c : asInstant(l));
      case "<":
        return (l) => (typeof l === "number" ? l < c : asInstant(l));
      case "<=":
        return (l) => (typeof l === "number" ? l <= c : asInstant(l));
      case ">":
        return (l) => (typeof l === "number" ? l > c : asInstant(l));
      case ">=":
        return (l) => (typeof l === "number" ? l >= c : asInstant(l));
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
  // A timestamp literal: parsed once here; the data side is compared by instant when it is a timestamp too (text,
  // or epoch ms: compareValues).
  return (l) => {
    if (typeof l === "number") return order(op, l, cMs);
    if (typeof l !== "string") return false;
    const t = timestampOf(l);
    return t === undefined ? order(op, l, c) : order(op, t, cMs);
  };
}

/** Compile an AST into a predicate. The closures are built once; evaluation never re-walks the AST. */
export function compilePql(ast: PqlExpr, memo?: SharedMemo): CompiledPql {
  assertDepth(ast);
  const compiler = new Compiler(memo);
  const pred = compiler.topPred(ast);
  const env: Env = { profile: {}, events: [], now: 0, inSegment: undefined, slots: new Array<Value>(compiler.slots).fill(undefined) };
  return (ctx) => {
    env.profile = ctx.profile;
    env.events = ctx.events;
    env.now = ctx.now;
    env.inSegment = ctx.inSegment;
    return pred(env);
  };
}

/** A compiled expression evaluated as a value (computed-attribute style); a missing value is null. */
export type CompiledPqlValue = (ctx: PqlContext) => Json;

/** Compile an AST into a value function (not a Boolean predicate): `orders.sum(price)`, `if(…, 1, 2)`, … */
export function compilePqlValue(ast: PqlExpr): CompiledPqlValue {
  assertDepth(ast);
  const compiler = new Compiler();
  const value = compiler.topValue(ast);
  const env: Env = { profile: {}, events: [], now: 0, inSegment: undefined, slots: new Array<Value>(compiler.slots).fill(undefined) };
  return (ctx) => {
    env.profile = ctx.profile;
    env.events = ctx.events;
    env.now = ctx.now;
    env.inSegment = ctx.inSegment;
    const v = value(env);
    return v === undefined ? null : v;
  };
}
