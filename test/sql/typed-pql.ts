/**
 * A seeded generator of random, well-typed PQL segments over a sandbox's union schema, for the job-level
 * differential test (segment-job-differential.test.ts). Fields are picked by type from `profileType`/`eventType`
 * and predicates are written the way real segments are (string matching, ranges, calendar time, arrays, maps,
 * xEvent filters, select and quantifiers, chain, let/if, nested and/or/not, inSegment); literal values are drawn
 * from the sandbox's own rows so that most segments select some profiles but not all of them.
 */
import { dataFiles } from "../../src/engine/data-files.js";
import { fileRows } from "../../src/engine/load-data.js";
import type { Sandbox } from "../../src/engine/sandbox.js";
import type { XdmObject, XdmScalarKind, XdmType } from "../../src/xdm/xdm-type.js";
import { rng } from "../pql/fixtures.js";

type Scalar = string | number | boolean;

/** A scalar field reachable from the profile or an event, with the values the rows hold there. */
export interface Leaf {
  /** Field names from the root; an array or a map on the way is named by `via`. */
  readonly path: readonly string[];
  readonly kind: XdmScalarKind;
  /** `array`: the leaf lies inside the items of the array at `path.slice(0, at)`; `map`: under the map there. */
  readonly via?: { readonly kind: "array" | "map"; readonly at: number };
  /** Distinct values seen in the rows (dates and date-times as epoch ms), in first-seen order. */
  readonly values: readonly Scalar[];
}

/** What the generator knows of a sandbox: its leaves by root, and the keys its maps hold. */
export interface SchemaSample {
  readonly profile: readonly Leaf[];
  readonly event: readonly Leaf[];
  /** Map field (dot path from its root) → the keys seen in the rows. */
  readonly mapKeys: ReadonlyMap<string, readonly string[]>;
}

const MAX_VALUES = 60;

interface Pools {
  readonly values: Map<string, Scalar[]>;
  readonly keys: Map<string, string[]>;
}

function remember<T>(pool: Map<string, T[]>, key: string, v: T): void {
  const seen = pool.get(key) ?? [];
  if (seen.length < MAX_VALUES && !seen.includes(v)) seen.push(v);
  pool.set(key, seen);
}

function timeValue(kind: XdmScalarKind, v: unknown): Scalar | undefined {
  if (kind === "date" || kind === "date-time") {
    const ms = typeof v === "number" ? v : typeof v === "string" ? Date.parse(v) : v instanceof Date ? v.getTime() : NaN;
    return Number.isFinite(ms) ? ms : undefined;
  }
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? v : undefined;
}

/** Records the values of one row under each leaf's key (the path with `[]`/`{}` marks, as leafKey writes it). */
function collect(t: XdmType, v: unknown, key: string, pools: Pools): void {
  if (v === null || v === undefined) return;
  if (t.kind === "object") {
    if (typeof v !== "object" || Array.isArray(v)) return;
    for (const [name, ft] of t.fields) collect(ft, (v as Record<string, unknown>)[name], key === "" ? name : `${key}.${name}`, pools);
  } else if (t.kind === "array") {
    if (Array.isArray(v)) for (const item of v) collect(t.items, item, `${key}[]`, pools);
  } else if (t.kind === "map") {
    const entries = v instanceof Map ? [...v.entries()] : typeof v === "object" ? Object.entries(v as object) : [];
    for (const [k, value] of entries) {
      remember(pools.keys, key, String(k));
      collect(t.values, value, `${key}{}`, pools);
    }
  } else {
    const s = timeValue(t.kind, v);
    if (s !== undefined) remember(pools.values, key, s);
  }
}

/** The schema's leaves (one array or map on the way, or arrays in a map: deeper ones are left to the hand-written cases). */
function leaves(t: XdmObject, pools: Pools): Leaf[] {
  const out: Leaf[] = [];
  const walk = (type: XdmType, path: string[], key: string, via: Leaf["via"]): void => {
    if (type.kind === "object") for (const [name, ft] of type.fields) walk(ft, [...path, name], key === "" ? name : `${key}.${name}`, via);
    else if (type.kind === "array" || type.kind === "map") {
      // A map's values may be arrays (identityMap): its leaves are read through the key and the projection.
      const next = via === undefined ? { kind: type.kind, at: path.length } : via.kind === "map" && type.kind === "array" ? via : undefined;
      if (next !== undefined) walk(type.kind === "array" ? type.items : type.values, path, `${key}${type.kind === "array" ? "[]" : "{}"}`, next);
    } else out.push({ path, kind: type.kind, ...(via === undefined ? {} : { via }), values: pools.values.get(key) ?? [] });
  };
  walk(t, [], "", undefined);
  return out;
}

/** Reads every row of the sandbox's data once and keeps, per leaf, the distinct values seen. */
export async function sampleSchema(sandbox: Sandbox): Promise<SchemaSample> {
  const profile: Pools = { values: new Map(), keys: new Map() };
  const event: Pools = { values: new Map(), keys: new Map() };
  for (const file of dataFiles(sandbox)) {
    const isEvent = file.dataset.kind === "event";
    for await (const { value } of fileRows(file)) collect(isEvent ? sandbox.eventType : sandbox.profileType, value, "", isEvent ? event : profile);
  }
  const mapKeys = new Map<string, readonly string[]>();
  for (const [k, v] of [...profile.keys, ...event.keys]) mapKeys.set(k, [...new Set([...(mapKeys.get(k) ?? []), ...v])]);
  return { profile: leaves(sandbox.profileType, profile), event: leaves(sandbox.eventType, event), mapKeys };
}

// ------------------------------------------------------------------------------------------ the generator

const DAY = 24 * 3600 * 1000;
const UNITS = [
  ["hours", DAY / 24],
  ["days", DAY],
  ["weeks", 7 * DAY],
  ["months", 30 * DAY],
  ["years", 365 * DAY],
] as const;
const CALENDAR = ["this month", "last month", "this year", "last year", "last week", "this week", "yesterday", "today"];
const CMP = ["=", "!=", "<", "<=", ">", ">="] as const;

const lit = (s: string): string => JSON.stringify(s);
const num = (n: number): string => (Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100));
const escapeRegex = (s: string): string => s.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");

function dateCall(ms: number): string {
  const d = new Date(ms);
  return `date(${d.getUTCFullYear()}, ${d.getUTCMonth() + 1}, ${d.getUTCDate()})`;
}

/** How a field is named where the predicate stands: `P.` a select variable, `^.` the profile from an event filter. */
interface Scope {
  readonly prefix: string;
}

/** A generated segment: its PQL text and the name other segments may refer to it by. */
export interface GeneratedSegment {
  readonly id: string;
  readonly name: string;
  readonly pql: string;
  /** The template that made its top level, for the report. */
  readonly shape: string;
}

export class TypedPqlGenerator {
  private readonly r: () => number;
  private readonly profile: readonly Leaf[];
  private readonly eventPlain: readonly Leaf[];
  private readonly eventItems: readonly Leaf[];
  private readonly eventTypes: readonly string[];
  /** Earlier segments, for inSegment (by name or id, as definitions write it). */
  private readonly earlier: GeneratedSegment[] = [];
  private varCount = 0;

  constructor(
    private readonly sample: SchemaSample,
    seed: number,
    /** The instant the data was generated relative to (asOf of the first run): relative times are sized from it. */
    private readonly anchor: number,
  ) {
    this.r = rng(seed);
    this.profile = sample.profile.filter((l) => l.via === undefined && !["_id"].includes(l.path.join(".")));
    this.eventPlain = sample.event.filter((l) => l.via === undefined && !["_id", "eventType"].includes(l.path.join(".")));
    this.eventItems = sample.event.filter((l) => l.via?.kind === "array");
    this.eventTypes = (sample.event.find((l) => l.path.join(".") === "eventType")?.values ?? []).map(String);
  }

  private int(n: number): number {
    return Math.floor(this.r() * n);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }

  private chance(p: number): boolean {
    return this.r() < p;
  }

  private value(l: Leaf): Scalar | undefined {
    return l.values.length === 0 ? undefined : this.pick(l.values);
  }

  /** The next segment: a Boolean expression over the profile, now and then referring to an earlier segment. */
  next(id: string, name: string): GeneratedSegment {
    this.varCount = 0;
    const [shape, pql] = this.top();
    const segment = { id, name, pql, shape };
    this.earlier.push(segment);
    return segment;
  }

  private top(): [string, string] {
    const roll = this.r();
    if (roll < 0.25) return ["combined", this.boolean(2)];
    if (roll < 0.45) return ["profile field", this.profileAtom()];
    if (roll < 0.8) return ["events", this.eventAtom()];
    if (roll < 0.88) return ["map or array", this.collectionAtom()];
    if (roll < 0.94) return ["let/if", this.letOrIf()];
    if (this.earlier.length > 0) return ["inSegment", `${this.inSegment()} ${this.pick(["and", "or", "or"])} (${this.profileAtom()})`];
    return ["profile field", this.profileAtom()];
  }

  private boolean(depth: number): string {
    if (depth === 0) return this.atom();
    const roll = this.r();
    if (roll < 0.35) return `(${this.boolean(depth - 1)}) and (${this.boolean(depth - 1)})`;
    if (roll < 0.7) return `(${this.boolean(depth - 1)}) or (${this.boolean(depth - 1)})`;
    if (roll < 0.85) return `not (${this.boolean(depth - 1)})`;
    return this.atom();
  }

  private atom(): string {
    const roll = this.r();
    if (roll < 0.45) return this.profileAtom();
    if (roll < 0.8) return this.eventAtom();
    if (roll < 0.9) return this.collectionAtom();
    return this.earlier.length > 0 ? this.inSegment() : this.profileAtom();
  }

  private inSegment(): string {
    const s = this.pick(this.earlier);
    const ref = `inSegment(${lit(this.chance(0.5) ? s.name : s.id)})`;
    return this.chance(0.25) ? `not (${ref})` : ref;
  }

  private profileAtom(): string {
    return this.scalarPredicate(this.pick(this.profile), { prefix: "" });
  }

  // ---------------------------------------------------------------------------------------- scalars

  private scalarPredicate(l: Leaf, scope: Scope): string {
    const ref = scope.prefix + l.path.join(".");
    if (this.chance(0.06)) return this.pick([`${ref}.isNull()`, `${ref}.isNotNull()`, ref, `not (${ref})`]);
    switch (l.kind) {
      case "string":
        return this.stringPredicate(ref, l);
      case "boolean":
        return this.pick([`${ref} = true`, `${ref} = false`, ref, `not (${ref})`, `${ref} != true`]);
      case "date":
      case "date-time":
        return this.timePredicate(ref, l);
      default:
        return this.numberPredicate(ref, l);
    }
  }

  private stringPredicate(ref: string, l: Leaf): string {
    const v = String(this.value(l) ?? "x");
    const others = () => Array.from({ length: 1 + this.int(3) }, () => lit(String(this.value(l) ?? "y")));
    const cut = Math.max(1, Math.min(v.length, 1 + this.int(4)));
    const prefix = v.slice(0, cut);
    const suffix = v.slice(v.length - cut);
    const at = this.int(Math.max(1, v.length - cut + 1));
    const middle = v.slice(at, at + cut) || v;
    const flip = (s: string): string => (this.chance(0.5) ? s.toUpperCase() : s.toLowerCase());
    switch (this.int(17)) {
      case 0:
        return `${ref} = ${lit(v)}`;
      case 1:
        return `${ref} != ${lit(v)}`;
      case 2:
        return `${ref} in [${[lit(v), ...others()].join(", ")}]`;
      case 3:
        return `${ref} notIn [${[lit(v), ...others()].join(", ")}]`;
      case 4:
        return this.chance(0.5) ? `${ref}.startsWith(${lit(prefix)})` : `${ref}.startsWith(${lit(flip(prefix))}, false)`;
      case 5:
        return this.chance(0.5) ? `${ref}.endsWith(${lit(suffix)})` : `${ref}.endsWith(${lit(flip(suffix))}, false)`;
      case 6:
        return this.chance(0.5) ? `${ref}.contains(${lit(middle)})` : `${ref}.contains(${lit(flip(middle))}, false)`;
      case 7:
        return `${ref}.${this.pick(["doesNotStartWith", "doesNotEndWith", "doesNotContain"])}(${lit(middle)})`;
      case 8:
        return this.chance(0.5) ? `${ref}.equals(${lit(flip(v))}, false)` : `${ref}.notEqualTo(${lit(v)})`;
      case 9:
        return `${ref} like ${lit(this.pick([`${prefix}%`, `%${suffix}`, `%${middle}%`, `_${v.slice(1)}`, `${prefix}%${suffix}`]))}`;
      case 10:
        return `${ref} matches ${lit(this.pick([`^${escapeRegex(prefix)}`, `${escapeRegex(suffix)}$`, escapeRegex(middle), "[0-9]", "^[A-Ma-m]"]))}`;
      case 11:
        return `${ref}.matches(${lit(this.pick([`(?i)${escapeRegex(middle)}`, `^${escapeRegex(prefix)}.*${escapeRegex(suffix)}$`, `(?i)^${escapeRegex(flip(prefix))}`]))})`;
      case 12:
        return `${ref} ${this.pick(["<", "<=", ">", ">="])} ${lit(v)}`;
      case 13:
        return `${ref}.regexGroup(${lit(`^(${escapeRegex(prefix)})`)}, 1) = ${lit(prefix)}`;
      case 14:
        return `${ref}.${this.pick(["startsWith", "endsWith", "contains"])}(${lit("")})`;
      default:
        return `${ref} = ${lit(v)}`;
    }
  }

  private numberPredicate(ref: string, l: Leaf): string {
    const integer = l.kind !== "double";
    const v = Number(this.value(l) ?? 1);
    const w = Number(this.value(l) ?? 10);
    const [lo, hi] = v <= w ? [v, w] : [w, v];
    switch (this.int(8)) {
      case 0:
      case 1:
        return `${ref} ${this.pick([...CMP, ">=", "<="])} ${num(v)}`;
      case 2:
        return `${ref} >= ${num(lo)} and ${ref} ${this.pick(["<", "<="])} ${num(hi)}`;
      case 3:
        return `${ref} in [${num(v)}, ${num(w)}]`;
      case 4:
        return `${ref} * 2 ${this.pick(["<", ">="])} ${num(2 * v)}`;
      case 5:
        return `${ref} + 10 - ${num(v)} > 10`;
      case 6:
        return integer ? `${ref} % ${2 + this.int(4)} = ${this.int(2)}` : `${ref} / 4 > ${num(v / 4)}`;
      default:
        return `not (${ref} ${this.pick(["<", ">"])} ${num(v)})`;
    }
  }

  /** A relative span that reaches back to about `ms` before the anchor. */
  private span(ms: number): string {
    const back = Math.max(0, this.anchor - ms);
    const [unit, size] = this.pick(UNITS.filter(([, s]) => back / s < 400));
    return `${Math.max(0, Math.round(back / size) + this.int(3) - 1)} ${unit}`;
  }

  private timePredicate(ref: string, l: Leaf): string {
    const v = Number(this.value(l) ?? this.anchor - 40 * DAY);
    const w = Number(this.value(l) ?? this.anchor - 400 * DAY);
    const [lo, hi] = v <= w ? [v, w] : [w, v];
    const d = new Date(v);
    switch (this.int(10)) {
      case 0:
      case 1:
        return `${ref} occurs ${this.pick(["<=", "<", ">=", ">"])} ${this.span(v)} before ${this.pick(["now", "today"])}`;
      case 2:
        return `${ref} occurs ${this.pick(["before", "after"])} ${dateCall(v)}`;
      case 3:
        return `${ref} occurs between ${dateCall(lo)} and ${dateCall(hi)}`;
      case 4:
        return `${ref} occurs ${this.pick(CALENDAR)}`;
      case 5:
        return `${ref}.getMonth() ${this.pick(["=", "<=", ">"])} ${d.getUTCMonth() + 1}`;
      case 6:
        return `${ref}.getYear() ${this.pick(["=", "<", ">="])} ${d.getUTCFullYear()}`;
      case 7:
        return this.chance(0.5) ? `${ref}.getDayOfMonth() < ${d.getUTCDate()}` : `${ref} occurs on ${dateCall(v)}`;
      case 8:
        return this.pick([`${ref} ${this.pick(["<", ">="])} ${dateCall(v)}`, `${ref} < now`, `${ref} occurs <= ${1 + this.int(30)} days after ${dateCall(v)}`, `${ref} occurs next month`]);
      default:
        return `${ref} occurs = ${this.span(v)} before now`;
    }
  }

  // ---------------------------------------------------------------------------------------- events

  private eventTypePredicate(prefix: string): string {
    const t = this.eventTypes.length > 0 ? this.pick(this.eventTypes) : "commerce.purchases";
    if (this.chance(0.15) && this.eventTypes.length > 1) return `${prefix}eventType in [${lit(t)}, ${lit(this.pick(this.eventTypes))}]`;
    if (this.chance(0.1)) return `${prefix}eventType.equals(${lit(t.toUpperCase())}, false)`;
    return `${prefix}eventType = ${lit(t)}`;
  }

  /** One condition on an event: its type, its time, one of its fields, its items; in a filter, the profile through `^`. */
  private eventCondition(prefix: string, inFilter: boolean): string {
    const roll = this.r();
    if (roll < 0.3) return this.eventTypePredicate(prefix);
    if (roll < 0.5) return this.timePredicate(`${prefix}timestamp`, this.sample.event.find((l) => l.path.join(".") === "timestamp") ?? { path: ["timestamp"], kind: "date-time", values: [] });
    if (roll < 0.72 && this.eventPlain.length > 0) return this.scalarPredicate(this.pick(this.eventPlain), { prefix });
    if (roll < 0.9 && this.eventItems.length > 0) return this.itemsCondition(prefix);
    if (inFilter) return this.scalarPredicate(this.pick(this.profile), { prefix: "^." });
    return this.eventTypePredicate(prefix);
  }

  private eventConditions(prefix: string, inFilter: boolean): string {
    const n = 1 + this.int(this.chance(0.2) ? 3 : 2);
    const parts = Array.from({ length: n }, () => this.eventCondition(prefix, inFilter));
    // One event has one type: a second type test in a conjunction would select nothing.
    const typed = parts.filter((p) => p.startsWith(`${prefix}eventType`));
    for (const extra of typed.slice(1)) parts.splice(parts.indexOf(extra), 1);
    if (parts.length > 1 && this.chance(0.2)) return `(${parts[0]}) or (${parts.slice(1).join(" and ")})`;
    return parts.map((p) => (parts.length > 1 ? `(${p})` : p)).join(" and ");
  }

  /** A condition on an event's array of items (existential paths, filters, counts, sums). */
  private itemsCondition(prefix: string): string {
    const item = this.pick(this.eventItems);
    const via = item.via?.at ?? 1;
    const arr = prefix + item.path.slice(0, via).join(".");
    const field = item.path.slice(via).join(".");
    const numeric = this.eventItems.filter((l) => l.kind === "int" || l.kind === "long" || l.kind === "double");
    switch (this.int(7)) {
      case 0:
        return this.scalarPredicate({ ...item, path: [...item.path] }, { prefix });
      case 1:
        return `${arr}[${this.scalarPredicate({ ...item, path: item.path.slice(via) }, { prefix: "" })}]`;
      case 2:
        return `${arr}.count() ${this.pick([">=", ">", "="])} ${1 + this.int(3)}`;
      case 3: {
        if (numeric.length === 0) return `${arr}.count() > 0`;
        const n = this.pick(numeric);
        return `${arr}.sum(${n.path.slice(via).join(".")}) ${this.pick([">=", "<="])} ${num(Number(this.value(n) ?? 1))}`;
      }
      case 4:
        return item.kind === "string" && item.values.length > 0 ? `${lit(String(this.value(item)))} in ${arr}.${field}` : `${arr}.${field}.distinct().count() > 1`;
      case 5: {
        const v = `I${this.varCount++}`;
        return `(select ${v} from ${arr} where ${this.scalarPredicate({ ...item, path: item.path.slice(via) }, { prefix: `${v}.` })})`;
      }
      default: {
        // Inside an xEvent filter the profile is two levels up from an item.
        const up = prefix === "" ? ` or ^^.${this.pick(this.profile).path.join(".")}.isNull()` : "";
        return `${arr}[${this.scalarPredicate({ ...item, path: item.path.slice(via) }, { prefix: "" })}${up}].count() >= 1`;
      }
    }
  }

  private eventAtom(): string {
    const v = `E${this.varCount++}`;
    const numeric = this.eventPlain.filter((l) => l.kind === "double" || l.kind === "int" || l.kind === "long");
    switch (this.int(12)) {
      case 0:
      case 1:
        return `xEvent[${this.eventConditions("", true)}].count() ${this.pick([">=", ">=", ">", "=", "<"])} ${this.int(3)}`;
      case 2:
        return `xEvent[${this.eventConditions("", true)}]`;
      case 3:
        return `select ${v} from xEvent where ${this.eventConditions(`${v}.`, false)}`;
      case 4:
        return `(select ${v} from xEvent where ${this.eventConditions(`${v}.`, false)}).count() >= ${1 + this.int(2)}`;
      case 5:
        return `${this.pick(["exists", "forall"])} ${v} from xEvent ${this.pick(["where", ":"])} ${this.eventConditions(`${v}.`, false)}`;
      case 6: {
        if (numeric.length === 0) return `xEvent.count() > ${this.int(5)}`;
        const n = this.pick(numeric);
        const agg = this.pick(["sum", "average", "max", "min"]);
        return `xEvent[${this.eventTypePredicate("")}].${agg}(${n.path.join(".")}) ${this.pick([">=", "<="])} ${num(Number(this.value(n) ?? 10))}`;
      }
      case 7: {
        if (numeric.length === 0) return `xEvent.count() > ${this.int(5)}`;
        const n = this.pick(numeric);
        return `(sum ${v}.${n.path.join(".")} over ${v} from xEvent where ${this.eventConditions(`${v}.`, false)}) ${this.pick([">=", "<"])} ${num(Number(this.value(n) ?? 10))}`;
      }
      case 8:
        return this.chain();
      case 9:
        return this.eventCollection();
      case 10:
        return this.eventPair();
      default:
        return `xEvent[${this.eventConditions("", true)}].count() >= 1`;
    }
  }

  /** The events as a collection: projections, distinct, includes, groups, the latest one, top values. */
  private eventCollection(): string {
    const t = lit(this.eventTypes.length > 0 ? this.pick(this.eventTypes) : "commerce.purchases");
    const numeric = this.eventPlain.filter((l) => l.kind === "double" || l.kind === "int" || l.kind === "long");
    const n = numeric.length > 0 ? this.pick(numeric) : undefined;
    switch (this.int(6)) {
      case 0:
        return `xEvent.eventType.distinct().count() ${this.pick([">=", "<"])} ${1 + this.int(3)}`;
      case 1:
        return `xEvent.eventType.includes(${t})`;
      case 2:
        return `xEvent[${this.eventConditions("", true)}].groupBy(eventType).count() >= ${1 + this.int(2)}`;
      case 3:
        return `xEvent[eventType = ${t}].max(timestamp) occurs ${this.pick(["<=", ">"])} ${this.pick([7, 30, 90])} days before now`;
      case 4:
        return n === undefined ? `xEvent.count() > 0` : `xEvent[${this.eventTypePredicate("")}].topN(${n.path.join(".")}, ${1 + this.int(2)}).head().${n.path.join(".")} >= ${num(Number(this.value(n) ?? 1))}`;
      default:
        return n === undefined ? `xEvent.count() > 0` : `xEvent.${n.path.join(".")}.intersects([${num(Number(this.value(n) ?? 1))}, ${num(Number(this.value(n) ?? 2))}])`;
    }
  }

  /** Two event variables, the second after the first (the documented two-order pattern). */
  private eventPair(): string {
    const [a, b] = [`E${this.varCount++}`, `E${this.varCount++}`];
    const within = `${b}.timestamp occurs ${this.pick(["<", "<="])} ${this.pick([1, 2, 4])} weeks after ${a}.timestamp`;
    const head = this.pick(["select", "exists"]);
    return `${head} ${a} from xEvent where ${this.eventTypePredicate(`${a}.`)}, ${b} from xEvent where ${this.eventTypePredicate(`${b}.`)} and ${within}`;
  }

  private chain(): string {
    const steps = Array.from({ length: 1 + this.int(2) }, (_, i) => {
      const when = this.chance(0.5) ? ` WHEN(${this.pick(["<=", "<"])} ${this.pick([7, 14, 30, 90, 365])} days before now)` : "";
      const count = this.chance(0.15) ? " COUNT(2)" : "";
      return `S${i}: WHAT(${this.eventTypePredicate("")})${when}${count}`;
    });
    return `chain(xEvent, timestamp, [${steps.join(", ")}])`;
  }

  // ---------------------------------------------------------------------------------------- maps, arrays, let, if

  private collectionAtom(): string {
    const arrays = this.sample.profile.filter((l) => l.via?.kind === "array" && l.via.at === l.path.length);
    return arrays.length > 0 && this.chance(0.4) ? this.scalarArrayAtom(this.pick(arrays)) : this.mapAtom();
  }

  /** A profile array of scalars: membership, includes, counts, intersects, distinct. */
  private scalarArrayAtom(l: Leaf): string {
    const ref = l.path.join(".");
    const v = this.value(l);
    const one = v === undefined ? lit("x") : typeof v === "string" ? lit(v) : num(Number(v));
    const other = this.value(l);
    const two = other === undefined ? one : typeof other === "string" ? lit(other) : num(Number(other));
    switch (this.int(6)) {
      case 0:
        return `${one} in ${ref}`;
      case 1:
        return `${ref}.includes(${one})`;
      case 2:
        return `${ref}.count() ${this.pick([">=", "<", "="])} ${1 + this.int(3)}`;
      case 3:
        return `${ref}.intersects([${one}, ${two}])`;
      case 4:
        return `${ref}.distinct().count() ${this.pick([">", "<="])} ${1 + this.int(2)}`;
      default:
        return l.kind === "string" ? `${ref}.head() = ${one}` : `${ref} ${this.pick([">=", "<"])} ${one}`;
    }
  }

  private mapAtom(): string {
    const maps = [...this.sample.mapKeys].filter(([path]) => !path.includes("[]") && this.profile.length > 0 && !path.includes("{}"));
    const profileMaps = maps.filter(([path]) => this.sample.profile.some((l) => l.via?.kind === "map" && l.path.slice(0, l.via.at).join(".") === path));
    if (profileMaps.length === 0) return this.profileAtom();
    const [path, keys] = this.pick(profileMaps);
    const key = keys.length > 0 ? this.pick(keys) : "ECID";
    const inner = this.sample.profile.filter((l) => l.via?.kind === "map" && l.path.slice(0, l.via.at).join(".") === path);
    // Values that are records (identityMap's lists of identities) or scalars (a map of counters).
    const scalarValues = inner.length > 0 && inner.every((l) => l.path.length === l.via?.at);
    switch (this.int(6)) {
      case 0:
        return scalarValues ? `${path}.get(${lit(key)}).isNotNull()` : `${path}.get(${lit(key)}).count() ${this.pick([">", ">=", "="])} ${this.int(3)}`;
      case 1:
        return `${lit(key)} in ${path}.keys()`;
      case 2:
        return `${path}.keys().count() ${this.pick([">=", "<"])} ${1 + this.int(3)}`;
      case 3: {
        if (inner.length === 0) return `${path}.values().count() > 1`;
        const l = this.pick(inner);
        return this.scalarPredicate({ ...l, path: [path, key, ...l.path.slice(l.via?.at ?? 0)] }, { prefix: "" });
      }
      case 4: {
        if (inner.length === 0) return `${path}.values().count() > 1`;
        const l = this.pick(inner);
        return this.scalarPredicate({ ...l, path: [`${path}.get(${lit(key)})`, ...l.path.slice(l.via?.at ?? 0)] }, { prefix: "" });
      }
      default:
        return `${path}.values().count() ${this.pick([">", "<="])} ${1 + this.int(2)}`;
    }
  }

  private letOrIf(): string {
    if (this.chance(0.5)) {
      const a = this.int(3);
      return `let S = xEvent[${this.eventConditions("", true)}].count() in (S >= ${a} and S <= ${a + 1 + this.int(4)})`;
    }
    // Parenthesised: a bare select's commas would read as more select clauses.
    return `if((${this.profileAtom()}), 1, 0) + if((${this.atom()}), 1, 0) ${this.pick([">=", "="])} ${1 + this.int(2)}`;
  }
}
