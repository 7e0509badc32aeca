/**
 * Names the language knows: the functions of this subset, PQL functions and keywords that exist but belong
 * to later subsets (so errors can say "not supported yet" instead of "unknown"), and edit-distance hints.
 */
import type { GlobalFunctionName, MemberFunctionName } from "./ast.js";

export const MEMBER_FUNCTIONS: ReadonlySet<string> = new Set<MemberFunctionName>(["contains", "startsWith", "endsWith", "count"]);
export const GLOBAL_FUNCTIONS: ReadonlySet<string> = new Set<GlobalFunctionName>(["date"]);

/** Member functions documented in pql.md §7–§10 that this subset does not implement. */
export const LATER_MEMBER_FUNCTIONS: ReadonlySet<string> = new Set([
  "equals",
  "notEqualTo",
  "matches",
  "regexGroup",
  "doesNotStartWith",
  "doesNotEndWith",
  "doesNotContain",
  "intersects",
  "intersection",
  "subsetOf",
  "supersetOf",
  "includes",
  "distinct",
  "groupBy",
  "filter",
  "map",
  "topN",
  "bottomN",
  "head",
  "sum",
  "average",
  "min",
  "max",
  "get",
  "keys",
  "values",
  "isNull",
  "isNotNull",
  "getMonth",
  "getYear",
  "getDayOfMonth",
  "exists",
]);

/** Global functions documented in pql.md that this subset does not implement. */
export const LATER_GLOBAL_FUNCTIONS: ReadonlySet<string> = new Set([
  "if",
  "inSegment",
  "currentMonth",
  "currentYear",
  "currentDayOfMonth",
  "mapEntry",
  "chain",
  "CHAIN",
  "modelInstances",
]);

/** Words that start PQL constructs of later subsets (compared lower-case). */
export const LATER_KEYWORDS: ReadonlySet<string> = new Set([
  "let",
  "if",
  "exists",
  "forall",
  "some",
  "all",
  "sum",
  "average",
  "min",
  "max",
  "over",
  "matches",
  "chain",
]);

/** Levenshtein distance (insert, delete, substitute; case differences count as a substitution). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const m = a.length;
  const n = b.length;
  if (m === 0) return n;
  if (n === 0) return m;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n] ?? 0;
}

/** The closest candidate within a distance that scales with the name's length, or undefined. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const d = c.toLowerCase() === lower ? 0.5 : editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** `; did you mean 'x'?` or an empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closestName(name, candidates);
  return c === undefined ? "" : `; did you mean '${c}'?`;
}
