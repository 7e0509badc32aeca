/**
 * The typed PQL AST for the whole documented language. Every node has a string discriminant `nodeType`; names follow
 * the pql/json node kinds where one exists (`literal`, `fieldLookup`, `varRef`, `varDecl`, `select`).
 * Spans are optional so that trees built by code (e.g. from pql/json later) are valid too.
 */
import type { PqlSpan } from "./errors.js";

interface NodeBase {
  readonly span?: PqlSpan;
}

export interface StringLiteral extends NodeBase {
  readonly nodeType: "literal";
  readonly literalType: "String";
  readonly value: string;
}
export interface IntegerLiteral extends NodeBase {
  readonly nodeType: "literal";
  readonly literalType: "Integer";
  readonly value: number;
}
/** A double (XDM "number"), e.g. `.45`, `2.02E-12`. */
export interface NumberLiteral extends NodeBase {
  readonly nodeType: "literal";
  readonly literalType: "Number";
  readonly value: number;
}
export interface BooleanLiteral extends NodeBase {
  readonly nodeType: "literal";
  readonly literalType: "Boolean";
  readonly value: boolean;
}
export type PqlLiteral = StringLiteral | IntegerLiteral | NumberLiteral | BooleanLiteral;

/** `[a, b]` */
export interface ListNode extends NodeBase {
  readonly nodeType: "list";
  readonly items: readonly PqlExpr[];
}

/** The implicit parameter: the profile at top level, the current element inside `arr[...]`. */
export interface ImplicitContextNode extends NodeBase {
  readonly nodeType: "implicitContext";
}

/**
 * `this`: the current element of the innermost per-element body — a filter `[…]`, a per-element argument
 * (`map({… this …})`, where the element of a `groupBy` result is one group) or a chain step (pql.md §9.3).
 * It is the implicit context written out, so `this.a` means `a`; the profile level has no `this`.
 */
export interface ThisNode extends NodeBase {
  readonly nodeType: "this";
}

/** A variable bound by a `select … from` clause. */
export interface VarRefNode extends NodeBase {
  readonly nodeType: "varRef";
  readonly varName: string;
}

/** `object.fieldName`; a path `a.b.c` is nested lookups whose innermost object is the implicit context. */
export interface FieldLookupNode extends NodeBase {
  readonly nodeType: "fieldLookup";
  readonly object: PqlExpr;
  readonly fieldName: string;
  /** Span of the field name alone (for "unknown field" errors). */
  readonly nameSpan?: PqlSpan;
}

/** `array[condition]`: the elements for which condition holds, the element being the implicit context. */
export interface FilterNode extends NodeBase {
  readonly nodeType: "filter";
  readonly array: PqlExpr;
  readonly condition: PqlExpr;
}

export type MemberFunctionName =
  | "contains"
  | "startsWith"
  | "endsWith"
  | "equals"
  | "notEqualTo"
  | "doesNotContain"
  | "doesNotStartWith"
  | "doesNotEndWith"
  | "regexGroup"
  | "getMonth"
  | "getYear"
  | "getDayOfMonth"
  | "intersects"
  | "intersection"
  | "includes"
  | "subsetOf"
  | "supersetOf"
  | "distinct"
  | "head"
  | "topN"
  | "bottomN"
  | "filter"
  | "map"
  | "groupBy"
  | "count"
  | "sum"
  | "average"
  | "min"
  | "max"
  | "get"
  | "keys"
  | "values"
  | "isNull"
  | "isNotNull"
  | "exists";

/** `receiver.name(args)` */
export interface MemberCallNode extends NodeBase {
  readonly nodeType: "memberCall";
  readonly receiver: PqlExpr;
  readonly name: MemberFunctionName;
  readonly args: readonly PqlExpr[];
  readonly nameSpan?: PqlSpan;
}

export type GlobalFunctionName = "date" | "if" | "inSegment" | "currentMonth" | "currentYear" | "currentDayOfMonth" | "mapEntry";

/** `name(args)`, e.g. `date(2018, 8, 28)` (a UTC day), `if(test, a, b)`, `inSegment("id")`. */
export interface FunctionCallNode extends NodeBase {
  readonly nodeType: "functionCall";
  readonly name: GlobalFunctionName;
  readonly args: readonly PqlExpr[];
  readonly nameSpan?: PqlSpan;
}

export type TimeKeyword = "now" | "today" | "yesterday" | "tomorrow";

/** `now` (an instant) or `today` / `yesterday` / `tomorrow` (UTC days). */
export interface TimeKeywordNode extends NodeBase {
  readonly nodeType: "timeKeyword";
  readonly keyword: TimeKeyword;
}

export type TimeUnit =
  | "millisecond"
  | "second"
  | "minute"
  | "hour"
  | "day"
  | "week"
  | "month"
  | "year"
  | "decade"
  | "century"
  | "millennium";

/** `this|last|next UNIT`: the calendar granule containing now, or the one before / after it (only after `occurs`). */
export interface RelativeTimeNode extends NodeBase {
  readonly nodeType: "relativeTime";
  readonly which: "this" | "last" | "next";
  readonly unit: TimeUnit;
}

export type ComparisonOp = "=" | "!=" | "<" | "<=" | ">" | ">=";

export interface ComparisonNode extends NodeBase {
  readonly nodeType: "comparison";
  readonly op: ComparisonOp;
  readonly left: PqlExpr;
  readonly right: PqlExpr;
}

/** `left in right` / `left notIn right` */
export interface MembershipNode extends NodeBase {
  readonly nodeType: "membership";
  readonly op: "in" | "notIn";
  readonly left: PqlExpr;
  readonly right: PqlExpr;
}

/** SQL LIKE over the whole string: `%` any run, `_` one character. */
export interface LikeNode extends NodeBase {
  readonly nodeType: "like";
  readonly left: PqlExpr;
  readonly pattern: PqlExpr;
}

/** n-ary `and` (≥ 2 operands). */
export interface AndNode extends NodeBase {
  readonly nodeType: "and";
  readonly operands: readonly PqlExpr[];
}
/** n-ary `or` (≥ 2 operands). */
export interface OrNode extends NodeBase {
  readonly nodeType: "or";
  readonly operands: readonly PqlExpr[];
}
/** `not X` / `!X` */
export interface NotNode extends NodeBase {
  readonly nodeType: "not";
  readonly operand: PqlExpr;
}

export type OccursDirection = "before" | "after" | "from";

/** F1 `occurs CMP N UNIT DIR REF` */
export interface OccursOffset {
  readonly form: "offset";
  readonly op: ComparisonOp;
  readonly amount: number;
  readonly unit: TimeUnit;
  readonly direction: OccursDirection;
  readonly ref: PqlExpr;
}
/** F2 `occurs DIR REF` */
export interface OccursDirectional {
  readonly form: "direction";
  readonly direction: OccursDirection;
  readonly ref: PqlExpr;
}
/** F3 `occurs [on] REF` */
export interface OccursOn {
  readonly form: "on";
  readonly ref: PqlExpr;
}
/** F4 `occurs between REF1 and REF2` */
export interface OccursBetween {
  readonly form: "between";
  readonly from: PqlExpr;
  readonly to: PqlExpr;
}
export type OccursSpec = OccursOffset | OccursDirectional | OccursOn | OccursBetween;

export interface OccursNode extends NodeBase {
  readonly nodeType: "occurs";
  readonly subject: PqlExpr;
  readonly spec: OccursSpec;
}

export type ArithmeticOp = "+" | "-" | "*" | "/" | "%";

/** `left op right` on numbers (pql.md §11): `/` always gives a double, a null operand or `x / 0` gives null. */
export interface ArithmeticNode extends NodeBase {
  readonly nodeType: "arithmetic";
  readonly op: ArithmeticOp;
  readonly left: PqlExpr;
  readonly right: PqlExpr;
}

/** Unary minus on a non-literal (`-a`); `-5` is a literal. */
export interface NegateNode extends NodeBase {
  readonly nodeType: "negate";
  readonly operand: PqlExpr;
}

/** `s matches regex` and `s.matches(regex)`: a Java-regex search (pql.md §7). */
export interface MatchesNode extends NodeBase {
  readonly nodeType: "matches";
  readonly left: PqlExpr;
  readonly pattern: PqlExpr;
}

/** `let NAME = value in body` */
export interface LetNode extends NodeBase {
  readonly nodeType: "let";
  readonly varName: string;
  readonly value: PqlExpr;
  readonly body: PqlExpr;
  readonly nameSpan?: PqlSpan;
}

/** `(P1, …) => body`: at the top level P1 is the profile; as a member-function argument, the element (and key). */
export interface LambdaNode extends NodeBase {
  readonly nodeType: "lambda";
  readonly params: readonly string[];
  readonly body: PqlExpr;
}

/** `$n`, the n-th parameter (segments have one: the profile). */
export interface ParameterReferenceNode extends NodeBase {
  readonly nodeType: "parameterReference";
  readonly position: number;
}

/** `^`, `^^`, …: the implicit context `levels` filter levels up (pql.md §9.3). */
export interface UpContextNode extends NodeBase {
  readonly nodeType: "upContext";
  readonly levels: number;
}

/** `{"k": expr, …}` */
export interface ObjectNode extends NodeBase {
  readonly nodeType: "object";
  readonly entries: ReadonlyArray<{ readonly key: string; readonly value: PqlExpr }>;
}

export type Quantifier = "exists" | "forall";

/**
 * `exists|forall V1 from A1 [where C1] {, …}` (`some`/`all` and the `:` spelling of the last `where` are
 * read as the same node). exists: some tuple satisfies every clause; forall: every clause holds for every tuple.
 */
export interface QuantificationNode extends NodeBase {
  readonly nodeType: "quantification";
  readonly quantifier: Quantifier;
  readonly variables: readonly VarDeclNode[];
}

export type AggregateFunction = "sum" | "average" | "min" | "max";

/** `sum|average|min|max VALUE over V1 from A1 [where C1] {, …}`, or the short form `sum V from A [where C]`. */
export interface AggregateNode extends NodeBase {
  readonly nodeType: "aggregate";
  readonly fn: AggregateFunction;
  /** Absent in the short form: the variable's elements are aggregated. */
  readonly value?: PqlExpr;
  readonly variables: readonly VarDeclNode[];
}

export type ChainClause =
  | { readonly kind: "WHAT"; readonly condition: PqlExpr }
  | { readonly kind: "WHERE"; readonly condition: PqlExpr }
  | { readonly kind: "WHEN"; readonly spec: OccursSpec }
  | { readonly kind: "COUNT"; readonly count: number };

export interface ChainStep {
  readonly label: string;
  readonly clauses: readonly ChainClause[];
}

/** `chain(EVENTS, TIMEFIELD, [L: WHAT(…) WHEN(…) …, …])` (pql.md §13.1); steps match strictly later events. */
export interface ChainNode extends NodeBase {
  readonly nodeType: "chain";
  readonly spelling: "chain" | "CHAIN";
  readonly events: PqlExpr;
  readonly timeField: string;
  readonly steps: readonly ChainStep[];
}

/** One `V from ARR [where C]` clause. */
export interface VarDeclNode extends NodeBase {
  readonly nodeType: "varDecl";
  readonly varName: string;
  readonly from: PqlExpr;
  readonly where?: PqlExpr;
  readonly nameSpan?: PqlSpan;
}

/** `select V1 from A1 [where C1] {, Vk from Ak [where Ck]}`; in Boolean position: some tuple exists. */
export interface SelectNode extends NodeBase {
  readonly nodeType: "select";
  readonly variables: readonly VarDeclNode[];
}

/** Any PQL expression. */
export type PqlExpr =
  | ArithmeticNode
  | NegateNode
  | MatchesNode
  | LetNode
  | LambdaNode
  | ParameterReferenceNode
  | UpContextNode
  | ObjectNode
  | QuantificationNode
  | AggregateNode
  | ChainNode
  | PqlLiteral
  | ListNode
  | ImplicitContextNode
  | ThisNode
  | VarRefNode
  | FieldLookupNode
  | FilterNode
  | MemberCallNode
  | FunctionCallNode
  | TimeKeywordNode
  | RelativeTimeNode
  | ComparisonNode
  | MembershipNode
  | LikeNode
  | AndNode
  | OrNode
  | NotNode
  | OccursNode
  | SelectNode;

export type PqlNodeType = PqlExpr["nodeType"];

/** Unit names accepted in text (singular, plural, and the 2018 spelling `millenium`). */
export const TIME_UNITS: ReadonlyMap<string, TimeUnit> = new Map<string, TimeUnit>([
  ["millisecond", "millisecond"],
  ["milliseconds", "millisecond"],
  ["second", "second"],
  ["seconds", "second"],
  ["minute", "minute"],
  ["minutes", "minute"],
  ["hour", "hour"],
  ["hours", "hour"],
  ["day", "day"],
  ["days", "day"],
  ["week", "week"],
  ["weeks", "week"],
  ["month", "month"],
  ["months", "month"],
  ["year", "year"],
  ["years", "year"],
  ["decade", "decade"],
  ["decades", "decade"],
  ["century", "century"],
  ["centuries", "century"],
  ["millennium", "millennium"],
  ["millenium", "millennium"],
  ["millennia", "millennium"],
]);

/** Plural spelling of a unit, for the formatter. */
export const TIME_UNIT_PLURAL: Readonly<Record<TimeUnit, string>> = {
  millisecond: "milliseconds",
  second: "seconds",
  minute: "minutes",
  hour: "hours",
  day: "days",
  week: "weeks",
  month: "months",
  year: "years",
  decade: "decades",
  century: "centuries",
  millennium: "millennia",
};

/** The direct children of a node, in source order (for generic walks). */
export function childrenOf(node: PqlExpr): PqlExpr[] {
  switch (node.nodeType) {
    case "literal":
    case "implicitContext":
    case "this":
    case "varRef":
    case "timeKeyword":
    case "relativeTime":
    case "parameterReference":
    case "upContext":
      return [];
    case "arithmetic":
      return [node.left, node.right];
    case "negate":
      return [node.operand];
    case "matches":
      return [node.left, node.pattern];
    case "let":
      return [node.value, node.body];
    case "lambda":
      return [node.body];
    case "object":
      return node.entries.map((e) => e.value);
    case "quantification":
      return varDeclChildren(node.variables);
    case "aggregate":
      return node.value === undefined ? varDeclChildren(node.variables) : [node.value, ...varDeclChildren(node.variables)];
    case "chain":
      return [node.events, ...node.steps.flatMap((s) => s.clauses.flatMap(clauseChildren))];
    case "list":
      return [...node.items];
    case "fieldLookup":
      return [node.object];
    case "filter":
      return [node.array, node.condition];
    case "memberCall":
      return [node.receiver, ...node.args];
    case "functionCall":
      return [...node.args];
    case "comparison":
    case "membership":
      return [node.left, node.right];
    case "like":
      return [node.left, node.pattern];
    case "and":
    case "or":
      return [...node.operands];
    case "not":
      return [node.operand];
    case "occurs":
      return [node.subject, ...occursRefs(node.spec)];
    case "select":
      return varDeclChildren(node.variables);
  }
}

function varDeclChildren(vars: readonly VarDeclNode[]): PqlExpr[] {
  return vars.flatMap((v) => (v.where === undefined ? [v.from] : [v.from, v.where]));
}

function clauseChildren(c: ChainClause): PqlExpr[] {
  switch (c.kind) {
    case "WHAT":
    case "WHERE":
      return [c.condition];
    case "WHEN":
      return occursRefs(c.spec);
    case "COUNT":
      return [];
  }
}

/** The time references of an `occurs` spec. */
export function occursRefs(spec: OccursSpec): PqlExpr[] {
  return spec.form === "between" ? [spec.from, spec.to] : [spec.ref];
}
