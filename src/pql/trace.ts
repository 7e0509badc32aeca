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
  readonly children: readonly PqlTraceNode[];
}

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

/** Traces `ast` for one context; the root's value is the expression's result. */
export function tracePql(ast: PqlExpr, ctx: PqlContext): PqlTraceNode {
  const children = TRANSPARENT.has(ast.nodeType) ? childNodes(ast).filter((c) => !CONSTANT.has(c.nodeType)) : [];
  return { text: formatPql(ast), value: valueOf(ast, ctx), children: children.map((c) => tracePql(c, ctx)) };
}
