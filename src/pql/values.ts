/**
 * Runtime value semantics (pql.md §3, §6): truthiness, equality and ordering with the null rules, timestamps
 * compared by instant, numbers as numbers, strings by UTF-16 code units, any other mismatch false.
 */
import type { Json, JsonObject } from "../xdm/types.js";
import { parseDate, parseDateTime } from "../xdm/time.js";
import type { ComparisonOp } from "./ast.js";

/** A runtime value; `undefined` is "missing" (JSON null is treated the same). */
export type Value = Json | undefined;

/** Boolean position: null → false, Booleans are their own value, arrays need ≥ 1 element, anything else true. */
export function truthy(v: Value): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === "boolean") return v;
  if (Array.isArray(v)) return v.length > 0;
  return true;
}

const PARSE_CACHE_SIZE = 16_384;
/** Recent timestamp parses (NaN = not a timestamp); cleared when full. */
const parsed = new Map<string, number>();

/** Epoch ms of a string that is an RFC 3339 date-time or a `YYYY-MM-DD` date; undefined otherwise (cheap reject first). */
export function timestampOf(s: string): number | undefined {
  if (s.length < 10) return undefined;
  const c0 = s.charCodeAt(0);
  if (c0 < 48 || c0 > 57 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined;
  // The same event timestamps are read by every segment evaluated on a profile: remember recent parses.
  const hit = parsed.get(s);
  if (hit !== undefined) return Number.isNaN(hit) ? undefined : hit;
  const ms = s.length === 10 ? parseDate(s) : parseDateTime(s);
  if (parsed.size >= PARSE_CACHE_SIZE) parsed.clear();
  parsed.set(s, ms ?? NaN);
  return ms;
}


/** Epoch ms of a data value used as a time: a number (epoch ms) or a timestamp string. */
export function timeOf(v: Value): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string") return timestampOf(v);
  return undefined;
}

/** True when `s` is a `YYYY-MM-DD` date (a day interval when used as an `occurs` reference). */
export function isDateOnly(s: string): boolean {
  return s.length === 10 && timestampOf(s) !== undefined;
}

/** `a op b` on two numbers, or on two strings by UTF-16 code units. */
export function order<T extends number | string>(op: ComparisonOp, a: T, b: T): boolean {
  switch (op) {
    case "=":
      return a === b;
    case "!=":
      return a !== b;
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

function orderStringsOrTimes(op: ComparisonOp, a: string, b: string): boolean {
  const ta = timestampOf(a);
  if (ta !== undefined) {
    const tb = timestampOf(b);
    if (tb !== undefined) return order(op, ta, tb);
  }
  return order(op, a, b);
}


/**
 * A date-time in data may be epoch ms or RFC 3339 text (pql.md §3): a number and a timestamp string are the two
 * instants (in their order), so they compare as DuckDB compares the TIMESTAMP it reads both into. The checker lets
 * a number meet a string only where the field is a date-time.
 */
function epochAndText(l: Value, r: Value): readonly [number, number] | undefined {
  if (typeof l === "number" && typeof r === "string") {
    const t = timestampOf(r);
    return t === undefined ? undefined : [l, t];
  }
  if (typeof l === "string" && typeof r === "number") {
    const t = timestampOf(l);
    return t === undefined ? undefined : [t, r];
  }
  return undefined;
}

/** `l op r` with the null and type rules: false if either side is missing or the kinds differ (a number and a timestamp string compare as instants). */
export function compareValues(op: ComparisonOp, l: Value, r: Value): boolean {
  if (l === undefined || l === null || r === undefined || r === null) return false;
  const tl = typeof l;
  if (tl !== typeof r) {
    const instants = epochAndText(l, r);
    return instants !== undefined && order(op, instants[0], instants[1]);
  }
  if (tl === "number") return order(op, l as number, r as number);
  if (tl === "string") return orderStringsOrTimes(op, l as string, r as string);
  if (op !== "=" && op !== "!=") return false;
  if (tl === "boolean") return op === "=" ? l === r : l !== r;
  const la = Array.isArray(l);
  if (la !== Array.isArray(r)) return false;
  const eq = deepEqual(l, r);
  return op === "=" ? eq : !eq;
}

/** Equality used by `=`, `in` and array/object comparison (null equals only null inside structures). */
export function equalValues(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === undefined || b === null) return false;
  const ta = typeof a;
  if (ta !== typeof b) {
    const instants = epochAndText(a, b);
    return instants !== undefined && instants[0] === instants[1];
  }
  if (ta === "number") return a === b;
  if (ta === "string") {
    const x = timestampOf(a as string);
    if (x === undefined) return false;
    return x === timestampOf(b as string);
  }
  if (ta === "boolean") return false;
  return deepEqual(a, b);
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equalValues(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!equalValues((a as JsonObject)[k], (b as JsonObject)[k])) return false;
  }
  return true;
}

/** True iff some element of `list` equals `v`. */
export function listContains(list: readonly Json[], v: Value): boolean {
  for (let i = 0; i < list.length; i++) if (equalValues(v, list[i])) return true;
  return false;
}

/** One `%`-free piece of a LIKE pattern: code points, -1 standing for `_` (any one code point). */
type LikeSegment = readonly number[];

/** Code points from `i` matching `seg` forward: the end offset, or -1. */
function matchForward(s: string, i: number, seg: LikeSegment): number {
  for (let k = 0; k < seg.length; k++) {
    if (i >= s.length) return -1;
    const cp = s.codePointAt(i) as number;
    const want = seg[k] as number;
    if (want !== -1 && want !== cp) return -1;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/** Code points ending at `end` matching `seg` backward: the start offset, or -1. */
function matchBackward(s: string, end: number, seg: LikeSegment): number {
  let i = end;
  for (let k = seg.length - 1; k >= 0; k--) {
    if (i <= 0) return -1;
    const lo = s.charCodeAt(i - 1);
    const pair = lo >= 0xdc00 && lo <= 0xdfff && i >= 2 && s.charCodeAt(i - 2) >= 0xd800 && s.charCodeAt(i - 2) <= 0xdbff;
    const start = pair ? i - 2 : i - 1;
    const want = seg[k] as number;
    if (want !== -1 && want !== s.codePointAt(start)) return -1;
    i = start;
  }
  return i;
}

/** The offset just after the leftmost match of `seg` in s[from, to), or -1. */
function findSegment(s: string, from: number, to: number, seg: LikeSegment, literal: string | undefined): number {
  if (literal !== undefined) {
    const at = s.indexOf(literal, from);
    return at < 0 || at + literal.length > to ? -1 : at + literal.length;
  }
  for (let i = from; i < to; ) {
    const e = matchForward(s, i, seg);
    if (e >= 0 && e <= to) return e;
    i += (s.codePointAt(i) as number) > 0xffff ? 2 : 1;
  }
  return -1;
}

/**
 * SQL LIKE over the whole string, without backtracking: `%` any run of code points, `_` exactly one; case-sensitive;
 * no escape character. The pattern is split on `%`; the first piece must start the string, the last must end it,
 * and the pieces between are found leftmost-first in between (greedy placement is optimal since `%` absorbs any
 * gap), so a test costs at most (string length × pattern length) and usually one `indexOf` per piece.
 */
export function likeMatcher(pattern: string): (s: string) => boolean {
  const pieces: number[][] = [[]];
  for (const ch of pattern) {
    if (ch === "%") pieces.push([]);
    else (pieces[pieces.length - 1] as number[]).push(ch === "_" ? -1 : (ch.codePointAt(0) as number));
  }
  const first = pieces[0] as LikeSegment;
  if (pieces.length === 1) return (s) => matchForward(s, 0, first) === s.length;
  const last = pieces[pieces.length - 1] as LikeSegment;
  const middle = pieces.slice(1, -1).filter((p) => p.length > 0);
  const literals = middle.map((p) => (p.some((cp) => cp === -1 || (cp >= 0xd800 && cp <= 0xdfff)) ? undefined : String.fromCodePoint(...p)));
  return (s) => {
    const start = matchForward(s, 0, first);
    if (start < 0) return false;
    const end = matchBackward(s, s.length, last);
    if (end < start) return false;
    let at = start;
    for (let k = 0; k < middle.length; k++) {
      at = findSegment(s, at, end, middle[k] as LikeSegment, literals[k]);
      if (at < 0) return false;
    }
    return true;
  };
}
