/**
 * Best-effort evaluation-method classification of a segment expression (pql.md §14): every segment can be
 * evaluated in batch; streaming and edge need the shapes Adobe lists as eligible. The reasons say why a
 * method is ruled out, so that `profile-lab check` can explain it.
 */
import { childrenOf, type ChainNode, type OccursSpec, type PqlExpr, type TimeUnit } from "./ast.js";

export interface EvaluationEligibility {
  readonly batch: true;
  readonly streaming: boolean;
  readonly edge: boolean;
  /** Why streaming and/or edge evaluation is ruled out (empty when both are possible). */
  readonly reasons: string[];
}

const DAY_MS = 86_400_000;
const UNIT_MS: Partial<Record<TimeUnit, number>> = {
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: DAY_MS,
  week: 7 * DAY_MS,
};

/** The lookback of a WHEN(...) window in ms when it is a rolling window ending now; undefined when it is not one. */
function windowMs(spec: OccursSpec): number | undefined {
  if (spec.form === "on") {
    const r = spec.ref;
    if (r.nodeType === "timeKeyword" && (r.keyword === "today" || r.keyword === "now")) return r.keyword === "today" ? DAY_MS : 0;
    return undefined;
  }
  if (spec.form !== "offset" || spec.direction !== "before" || (spec.op !== "<" && spec.op !== "<=")) return undefined;
  const r = spec.ref;
  if (r.nodeType !== "timeKeyword" || (r.keyword !== "now" && r.keyword !== "today")) return undefined;
  const unit = UNIT_MS[spec.unit];
  return unit === undefined ? Infinity : spec.amount * unit;
}

interface Found {
  readonly chains: Array<{ node: ChainNode; negated: boolean }>;
  eventOutsideChain: boolean;
  inSegment: number;
}

function isXEventRoot(n: PqlExpr): boolean {
  if (n.nodeType !== "fieldLookup") return false;
  let base: PqlExpr = n;
  let first = n.fieldName;
  while (base.nodeType === "fieldLookup") {
    first = base.fieldName;
    base = base.object;
  }
  return first === "xEvent" && (base.nodeType === "implicitContext" || base.nodeType === "parameterReference" || base.nodeType === "varRef");
}

function walk(n: PqlExpr, negated: boolean, found: Found): void {
  const stack: Array<[PqlExpr, boolean]> = [[n, negated]];
  while (stack.length > 0) {
    const [cur, neg] = stack.pop() as [PqlExpr, boolean];
    if (cur.nodeType === "chain") {
      found.chains.push({ node: cur, negated: neg });
      // The events argument is part of the chain; only look inside the steps.
      for (const c of childrenOf(cur).slice(1)) stack.push([c, neg]);
      continue;
    }
    if (isXEventRoot(cur)) {
      found.eventOutsideChain = true;
      continue;
    }
    if (cur.nodeType === "functionCall" && cur.name === "inSegment") found.inSegment++;
    const childNeg = cur.nodeType === "not" ? !neg : neg;
    for (const c of childrenOf(cur)) stack.push([c, childNeg]);
  }
}

/** Classify `ast` as batch (always), streaming and edge eligible, with the reasons for what is ruled out. */
export function classifyEvaluation(ast: PqlExpr): EvaluationEligibility {
  const found: Found = { chains: [], eventOutsideChain: false, inSegment: 0 };
  walk(ast.nodeType === "lambda" ? ast.body : ast, false, found);
  const reasons: string[] = [];
  let streaming = true;
  let edge = true;
  const both = (reason: string): void => {
    streaming = false;
    edge = false;
    reasons.push(reason);
  };
  if (found.eventOutsideChain) both("event history is read outside chain(...) (an xEvent filter, path, select, quantifier or aggregate): batch only");
  const hasEvents = found.chains.length > 0 || found.eventOutsideChain;
  if (found.chains.length > 0 && found.chains.every((c) => c.negated)) both("the query's only event condition is negated");
  if (hasEvents && found.inSegment > 0) {
    both("an event condition combined with inSegment(...) is not eligible unless the referenced audience is profile-only, which cannot be known here");
  }
  for (const { node } of found.chains) {
    const multi = node.steps.length > 1;
    for (const step of node.steps) {
      const when = step.clauses.find((c) => c.kind === "WHEN");
      const count = step.clauses.find((c) => c.kind === "COUNT");
      const ms = when?.kind === "WHEN" ? windowMs(when.spec) : undefined;
      const within24h = ms !== undefined && ms <= DAY_MS;
      if (!within24h) {
        if (streaming) reasons.push(`streaming: chain step '${step.label}' ${when === undefined ? "has no time window" : "is not within a rolling window of at most 24 hours before now"}`);
        streaming = false;
        const frequency = count?.kind === "COUNT" && count.count > 1;
        if (multi || frequency) {
          if (edge) reasons.push(`edge: chain step '${step.label}' of a ${multi ? "multi-event" : "frequency"} condition needs a window of at most 24 hours`);
          edge = false;
        } else if (when !== undefined && ms === undefined) {
          if (edge) reasons.push(`edge: chain step '${step.label}' has no rolling window ending now`);
          edge = false;
        }
      }
    }
  }
  return { batch: true, streaming, edge, reasons };
}
