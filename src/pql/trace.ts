/**
 * The evaluation trace of an expression for one profile (`profile-lab explain`): each sub-expression that
 * is evaluated in the profile's own context — `and`/`or`/`not` operands, both sides of comparisons, `in`,
 * `like`, `occurs`, arithmetic, the receivers of member calls, function arguments — with its value. A
 * construct with a scope of its own (`xEvent[…]`, `select`, `exists`, aggregates, `chain`, `let`, lambdas)
 * is one node whose value is its result (for events: how many matched, and which).
 */
import type { PqlExpr } from "./ast.js";
import { compilePqlValue, type PqlContext } from "./compiler.js";
import { formatPql } from "./format.js";
import type { Json } from "../xdm/types.js";

export interface PqlTraceNode {
  /** The sub-expression, as canonical PQL text. */
  readonly text: string;
  /** Its value for the profile (arrays of events summarised by count and `_id`s). */
  readonly value: Json;
  /**
   * Set when the value is a time reference (`date(…)`, `today`, `now`, `this month`, …): `value` is then epoch
   * milliseconds of a UTC day (`date`) or of an instant (`date-time`), which a reader shows as a date, not
   * as the number. Numbers the data holds or functions compute (`getYear()`, `count()`) have none.
   */
  readonly time?: PqlTimeKind;
  readonly children: readonly PqlTraceNode[];
}

/** What a time-valued trace node holds: the start of a UTC day, or an instant. */
export type PqlTimeKind = "date" | "date-time";

/** Node kinds whose operands are evaluated in the same context as the node itself. */
const TRANSPARENT = new Set(["and", "or", "not", "comparison", "membership", "like", "occurs", "arithmetic", "negate", "matches", "functionCall", "memberCall"]);
/** Constants: not worth a line of the trace. */
const CONSTANT = new Set(["literal", "list", "timeKeyword", "relativeTime"]);
const SHOWN_ITEMS = 20;

function isNode(v: unknown): v is PqlExpr {
  return typeof v === "object" && v !== null && typeof (v as { nodeType?: unknown }).nodeType === "string";
}

/** The nodes directly below `node`, looking through the plain objects that hold them (occurs specs, …). */
function childNodes(node: PqlExpr): PqlExpr[] {
  if (node.nodeType === "memberCall") return [node.receiver];
  const out: PqlExpr[] = [];
  const visit = (v: unknown): void => {
    if (isNode(v)) out.push(v);
    else if (Array.isArray(v)) v.forEach(visit);
    else if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) if (!k.endsWith("Span") && k !== "span") visit(x);
  };
  for (const [k, v] of Object.entries(node)) if (k !== "nodeType" && k !== "span" && !k.endsWith("Span")) visit(v);
  return out;
}

function summarise(value: Json): Json {
  if (!Array.isArray(value)) return value;
  const ids = value.map((v) => (typeof v === "object" && v !== null && !Array.isArray(v) ? v["_id"] : undefined));
  if (value.length > 0 && ids.every((id) => typeof id === "string")) {
    return { count: value.length, _id: ids.slice(0, SHOWN_ITEMS) as Json[] };
  }
  return value.length > SHOWN_ITEMS ? [...value.slice(0, SHOWN_ITEMS), `… ${value.length - SHOWN_ITEMS} more`] : value;
}

function valueOf(node: PqlExpr, ctx: PqlContext): Json {
  try {
    const v = compilePqlValue(node)(ctx);
    return v === undefined ? null : summarise(v);
  } catch {
    return null;
  }
}

const DAY_UNITS = new Set(["day", "week", "month", "year", "decade", "century", "millennium"]);

/** Whether `node` evaluates to a time reference, and which kind; `lets` are the time-valued `let` names in scope. */
function timeKind(node: PqlExpr, lets: ReadonlyMap<string, PqlTimeKind | undefined> = new Map()): PqlTimeKind | undefined {
  switch (node.nodeType) {
    case "timeKeyword":
      return node.keyword === "now" ? "date-time" : "date";
    case "relativeTime":
      return DAY_UNITS.has(node.unit) ? "date" : "date-time";
    case "functionCall": {
      if (node.name === "date") return "date";
      if (node.name !== "if" || node.args.length !== 3) return undefined;
      const a = timeKind(node.args[1]!, lets);
      const b = timeKind(node.args[2]!, lets);
      return a === undefined || b === undefined ? undefined : a === b ? a : "date-time";
    }
    case "let":
      return timeKind(node.body, new Map([...lets, [node.varName, timeKind(node.value, lets)]]));
    case "varRef":
      return lets.get(node.varName);
    default:
      return undefined;
  }
}

/** Traces `ast` for one context; the root's value is the expression's result. */
export function tracePql(ast: PqlExpr, ctx: PqlContext): PqlTraceNode {
  const children = TRANSPARENT.has(ast.nodeType) ? childNodes(ast).filter((c) => !CONSTANT.has(c.nodeType)) : [];
  const value = valueOf(ast, ctx);
  const time = typeof value === "number" ? timeKind(ast) : undefined;
  return { text: formatPql(ast), value, ...(time ? { time } : {}), children: children.map((c) => tracePql(c, ctx)) };
}
