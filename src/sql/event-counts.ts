/**
 * Event conditions a segment pass answers from counts instead of from the profile's `xEvent` list: the number of a
 * profile's events that pass a condition reading only the event (and constants) is `count(*) FILTER (WHERE …)` over
 * the events grouped by profile, so the merge need not list a profile's events at all when nothing else reads them.
 * Listing them took 11 s of the merge in 1M persons' segment job (bench/RESULTS.md).
 *
 * Counted are, where the profile is the implicit context (walking only through and, or, not, comparisons and
 * arithmetic, which keep it):
 * - `xEvent.count()`, `xEvent[C].count()` and `(select X from xEvent where C).count()`;
 * - in a Boolean position, `xEvent[C]`, `select X from xEvent where C` and `exists X from xEvent where C` (some
 *   event passes: a count above 0).
 * C must read nothing but the event: no `^`, no `$1`, no variable bound outside it, no `inSegment`, no `chain`, and
 * for `select`/`exists` (where the implicit context stays the profile) no implicit context at all. Anything else is
 * compiled over the list as before.
 */
import { childrenOf, type PqlExpr, type VarDeclNode } from "../pql/ast.js";
import type { SqlDialect } from "./dialect.js";

/** The column of the pass's rows that holds the counts (a STRUCT of c0, c1, …; NULL for a profile without events). */
export const EVENT_COUNTS_COLUMN = "xEventCounts";

/** The SQL name of one event (a STRUCT of the fields the job reads) where events are counted or listed: what the conditions read. */
export const EVENT_ELEMENT = "ev";

/** The field of EVENT_COUNTS_COLUMN that holds the count of condition `index`. */
export function countField(index: number): string {
  return `c${index}`;
}

/** The aggregate of EVENT_COUNTS_COLUMN over rows of events (EVENT_ELEMENT), one group per profile. */
export function countsAggregate(conditions: readonly string[], d: SqlDialect): string {
  return d.struct(conditions.map((c, i) => [countField(i), `count(*) FILTER (WHERE ${c})`] as const));
}

/** The event conditions of a pass (SQL over EVENT_ELEMENT), each counted once per profile however many segments use it. */
export class EventCounts {
  private readonly byCondition = new Map<string, number>();

  /** The index of a condition's count (its field `c<index>`), added when new. */
  add(condition: string): number {
    let i = this.byCondition.get(condition);
    if (i === undefined) this.byCondition.set(condition, (i = this.byCondition.size));
    return i;
  }

  /** The conditions in field order. */
  conditions(): string[] {
    return [...this.byCondition.keys()];
  }

  /** Forgets the conditions added since `size` was `mark` (a segment that was not compiled after all). */
  truncate(mark: number): void {
    for (const [condition, i] of this.byCondition) if (i >= mark) this.byCondition.delete(condition);
  }

  get size(): number {
    return this.byCondition.size;
  }
}

/** The nodes of a segment's predicate that are counted (see the module's comment), by identity. */
export function countedEventNodes(ast: PqlExpr): ReadonlySet<PqlExpr> {
  const out = new Set<PqlExpr>();
  walk(ast, "pred", out);
  return out;
}

function walk(n: PqlExpr, role: "pred" | "value", out: Set<PqlExpr>): void {
  switch (n.nodeType) {
    case "and":
    case "or":
      for (const o of n.operands) walk(o, "pred", out);
      return;
    case "not":
      walk(n.operand, "pred", out);
      return;
    case "comparison":
    case "arithmetic":
      walk(n.left, "value", out);
      walk(n.right, "value", out);
      return;
    case "negate":
      walk(n.operand, "value", out);
      return;
    case "memberCall":
      if (n.name === "count" && n.args.length === 0 && countable(n.receiver)) out.add(n);
      return;
    case "filter":
    case "select":
      if (role === "pred" && countable(n)) out.add(n);
      return;
    case "quantification":
      if (role === "pred" && n.quantifier === "exists" && oneEventVariable(n.variables)) out.add(n);
      return;
    default:
      return;
  }
}

/** The profile's `xEvent` itself. */
function isProfileEvents(n: PqlExpr): boolean {
  return n.nodeType === "fieldLookup" && n.fieldName === "xEvent" && n.object.nodeType === "implicitContext";
}

/** A list of the profile's events passing a condition of the event alone. */
function countable(n: PqlExpr): boolean {
  if (isProfileEvents(n)) return true;
  if (n.nodeType === "filter") return isProfileEvents(n.array) && readsOnly(n.condition, new Set(), true);
  if (n.nodeType === "select") return oneEventVariable(n.variables);
  return false;
}

/** `X from xEvent [where C]`, C reading only X. */
function oneEventVariable(vars: readonly VarDeclNode[]): boolean {
  const [v] = vars;
  return vars.length === 1 && v !== undefined && isProfileEvents(v.from) && (v.where === undefined || readsOnly(v.where, new Set([v.varName]), false));
}

/**
 * Whether `n` reads nothing but the variables `bound` (and, with `implicit`, the implicit context) and constants.
 * Variables bound inside `n` are followed by scope, so one that shadows an outer name is told apart from it.
 */
function readsOnly(n: PqlExpr, bound: ReadonlySet<string>, implicit: boolean): boolean {
  const within = (m: PqlExpr, more: readonly string[] = []): boolean => readsOnly(m, more.length === 0 ? bound : new Set([...bound, ...more]), implicit);
  switch (n.nodeType) {
    case "upContext":
    case "parameterReference":
    case "chain":
      return false;
    case "implicitContext":
    case "this":
      return implicit;
    case "varRef":
      return bound.has(n.varName);
    case "functionCall":
      return n.name !== "inSegment" && n.args.every((a) => within(a));
    case "lambda":
      return within(n.body, n.params);
    case "let":
      return within(n.value) && within(n.body, [n.varName]);
    case "select":
    case "quantification":
    case "aggregate": {
      const names: string[] = [];
      for (const v of n.variables) {
        if (!within(v.from, names)) return false;
        names.push(v.varName);
        if (v.where !== undefined && !within(v.where, names)) return false;
      }
      return n.nodeType !== "aggregate" || n.value === undefined || within(n.value, names);
    }
    case "filter":
      // Inside a filter the implicit context is the element: the condition may read it whatever the outer rule.
      return within(n.array) && readsOnly(n.condition, bound, true);
    default:
      return childrenOf(n).every((c) => within(c));
  }
}
