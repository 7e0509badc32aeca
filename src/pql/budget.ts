/**
 * The cost of an expression, computed before it is compiled or evaluated, against the limits of limits.ts:
 * tree depth, string literal and pattern sizes, list literal sizes, `and`/`or` operand counts, the nesting of
 * per-element loops and of loops over `xEvent`. Every walk here is iterative, so no input can overflow the stack.
 */
import { childrenOf, type PqlExpr } from "./ast.js";
import { PQL_ERROR_CODES, PqlError, type PqlErrorCode, type PqlSpan } from "./errors.js";
import {
  MAX_AST_DEPTH,
  MAX_EVENT_LOOP_DEPTH,
  MAX_ITERATION_DEPTH,
  MAX_LIST_ITEMS,
  MAX_LOGICAL_OPERANDS,
  MAX_PATTERN_LENGTH,
  MAX_STRING_LENGTH,
} from "./limits.js";

const NO_SPAN: PqlSpan = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };

/** Member functions whose first argument is evaluated once per element (a loop over the receiver). */
const PER_ELEMENT = new Set(["filter", "map", "groupBy", "topN", "bottomN", "sum", "average", "min", "max", "exists"]);

/** The first node deeper than MAX_AST_DEPTH (iteratively), or undefined. */
export function tooDeepNode(ast: PqlExpr): PqlExpr | undefined {
  const stack: Array<[PqlExpr, number]> = [[ast, 1]];
  while (stack.length > 0) {
    const [n, d] = stack.pop() as [PqlExpr, number];
    if (d > MAX_AST_DEPTH) return n;
    for (const c of childrenOf(n)) stack.push([c, d + 1]);
  }
  return undefined;
}

/** The PQL-S011 error for a tree deeper than MAX_AST_DEPTH. */
export function tooDeepError(n: PqlExpr, text?: string, file?: string): PqlError {
  return new PqlError(PQL_ERROR_CODES.tooDeep, `expression is nested too deeply (more than ${MAX_AST_DEPTH} levels; maxAstDepth)`, n.span ?? NO_SPAN, text, file);
}

/** Throws PQL-S011 when the tree is deeper than MAX_AST_DEPTH (guards the recursive walks of hand-built or converted trees). */
export function assertDepth(ast: PqlExpr): void {
  const deep = tooDeepNode(ast);
  if (deep !== undefined) throw tooDeepError(deep);
}

/** True when an array expression reads the profile's events (`xEvent`, `xEvent[…]`, `P.xEvent.filter(…)`, …). */
function readsEventsDirectly(n: PqlExpr): boolean {
  let cur: PqlExpr | undefined = n;
  while (cur !== undefined) {
    switch (cur.nodeType) {
      case "fieldLookup":
        if (cur.fieldName === "xEvent") return true;
        cur = cur.object;
        break;
      case "filter":
        cur = cur.array;
        break;
      case "memberCall":
        cur = cur.receiver;
        break;
      default:
        cur = undefined;
    }
  }
  return false;
}

type Report = (code: PqlErrorCode, message: string, span: PqlSpan | undefined) => void;

/** Report every limit the expression exceeds (PQL-T011), each naming the limit. The tree must be within MAX_AST_DEPTH. */
export function checkBudget(ast: PqlExpr, report: Report): void {
  const over = (message: string, n: PqlExpr): void => report(PQL_ERROR_CODES.overBudget, message, n.span);
  let operands = 0;
  let operandsReported = false;
  // [node, loop nesting, event-loop nesting]
  const stack: Array<[PqlExpr, number, number]> = [[ast, 0, 0]];
  const loop = (body: PqlExpr, source: PqlExpr, depth: number, events: number): void => {
    const d = depth + 1;
    const e = events + (readsEventsDirectly(source) ? 1 : 0);
    if (d > MAX_ITERATION_DEPTH) {
      over(`per-element loops are nested ${d} deep here; the limit is ${MAX_ITERATION_DEPTH} (maxIterationDepth): filters, per-element arguments and lambdas, select/exists/forall/aggregate clauses and chain steps each loop inside the one around them`, body);
      return;
    }
    if (e > MAX_EVENT_LOOP_DEPTH) {
      over(`loops over xEvent are nested ${e} deep here; the limit is ${MAX_EVENT_LOOP_DEPTH} (maxEventLoopDepth), since each level multiplies the work by the number of events`, source);
      return;
    }
    stack.push([body, d, e]);
  };
  while (stack.length > 0) {
    const [n, depth, events] = stack.pop() as [PqlExpr, number, number];
    switch (n.nodeType) {
      case "literal":
        if (typeof n.value === "string" && n.value.length > MAX_STRING_LENGTH) {
          over(`this string is ${n.value.length.toLocaleString("en")} characters long; the limit is ${MAX_STRING_LENGTH.toLocaleString("en")} (maxStringLength)`, n);
        }
        continue;
      case "like":
      case "matches":
        if (n.pattern.nodeType === "literal" && typeof n.pattern.value === "string" && n.pattern.value.length > MAX_PATTERN_LENGTH) {
          over(`this ${n.nodeType} pattern is ${n.pattern.value.length.toLocaleString("en")} characters long; the limit is ${MAX_PATTERN_LENGTH.toLocaleString("en")} (maxPatternLength)`, n.pattern);
          stack.push([n.left, depth, events]);
          continue;
        }
        break;
      case "list":
        if (n.items.length > MAX_LIST_ITEMS) {
          over(`this list has ${n.items.length.toLocaleString("en")} items; the limit is ${MAX_LIST_ITEMS.toLocaleString("en")} (maxListItems)`, n);
          continue;
        }
        break;
      case "and":
      case "or":
        operands += n.operands.length;
        if (operands > MAX_LOGICAL_OPERANDS && !operandsReported) {
          operandsReported = true;
          over(`this expression has more than ${MAX_LOGICAL_OPERANDS.toLocaleString("en")} operands of 'and'/'or'; the limit is ${MAX_LOGICAL_OPERANDS.toLocaleString("en")} (maxLogicalOperands)`, n);
        }
        break;
      case "filter":
        stack.push([n.array, depth, events]);
        loop(n.condition, n.array, depth, events);
        continue;
      case "memberCall": {
        const [first, ...rest] = n.args;
        if (PER_ELEMENT.has(n.name) && first !== undefined) {
          stack.push([n.receiver, depth, events]);
          for (const a of rest) stack.push([a, depth, events]);
          loop(first.nodeType === "lambda" ? first.body : first, n.receiver, depth, events);
          continue;
        }
        if (n.name === "regexGroup" && first?.nodeType === "literal" && typeof first.value === "string" && first.value.length > MAX_PATTERN_LENGTH) {
          over(`this regexGroup pattern is ${first.value.length.toLocaleString("en")} characters long; the limit is ${MAX_PATTERN_LENGTH.toLocaleString("en")} (maxPatternLength)`, first);
          stack.push([n.receiver, depth, events]);
          continue;
        }
        break;
      }
      case "select":
      case "quantification":
      case "aggregate": {
        // Clause k ranges over its source inside the loops of clauses 1…k-1; its `where` (and the aggregate's value) inside its own.
        let d = depth;
        let e = events;
        let ok = true;
        for (const v of n.variables) {
          stack.push([v.from, d, e]);
          const nd = d + 1;
          const ne = e + (readsEventsDirectly(v.from) ? 1 : 0);
          if (nd > MAX_ITERATION_DEPTH || ne > MAX_EVENT_LOOP_DEPTH) {
            loop(v.where ?? v.from, v.from, d, e);
            ok = false;
            break;
          }
          d = nd;
          e = ne;
          if (v.where !== undefined) stack.push([v.where, d, e]);
        }
        if (ok && n.nodeType === "aggregate" && n.value !== undefined) stack.push([n.value, d, e]);
        continue;
      }
      case "chain": {
        stack.push([n.events, depth, events]);
        for (const step of n.steps) {
          for (const c of step.clauses) {
            if (c.kind === "WHAT" || c.kind === "WHERE") loop(c.condition, n.events, depth, events);
            else if (c.kind === "WHEN") for (const r of c.spec.form === "between" ? [c.spec.from, c.spec.to] : [c.spec.ref]) loop(r, n.events, depth, events);
          }
        }
        continue;
      }
      default:
        break;
    }
    for (const c of childrenOf(n)) stack.push([c, depth, events]);
  }
}
