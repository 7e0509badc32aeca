/**
 * Names the language knows: the member and global functions of pql.md, the documented names of dialects
 * that are out of scope (so errors can say so instead of "unknown"), and edit-distance hints.
 */
import type { GlobalFunctionName, MemberFunctionName } from "./ast.js";

export const MEMBER_FUNCTIONS: ReadonlySet<string> = new Set<MemberFunctionName | "matches">([
  "contains",
  "startsWith",
  "endsWith",
  "equals",
  "notEqualTo",
  "doesNotContain",
  "doesNotStartWith",
  "doesNotEndWith",
  "matches",
  "regexGroup",
  "getMonth",
  "getYear",
  "getDayOfMonth",
  "intersects",
  "intersection",
  "includes",
  "subsetOf",
  "supersetOf",
  "distinct",
  "head",
  "topN",
  "bottomN",
  "filter",
  "map",
  "groupBy",
  "count",
  "sum",
  "average",
  "min",
  "max",
  "get",
  "keys",
  "values",
  "isNull",
  "isNotNull",
  "exists",
]);

export const GLOBAL_FUNCTIONS: ReadonlySet<string> = new Set<GlobalFunctionName>([
  "date",
  "if",
  "inSegment",
  "currentMonth",
  "currentYear",
  "currentDayOfMonth",
  "mapEntry",
]);

/** Documented names that belong to dialects out of scope (the XDM offer-filter dialect). */
export const OUT_OF_SCOPE_FUNCTIONS: ReadonlySet<string> = new Set(["modelInstances"]);

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
