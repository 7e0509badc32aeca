/**
 * Which profile and event fields a job reads: from the checked PQL of its segments (and the `fields` of an export),
 * the leaves the merge must carry. Merging only those, and carrying only the event fields the segments read in the
 * `xEvent` list, is most of a job's merge time (issue 13: the full-width event list was 23 of 59 s per policy).
 *
 * The walk follows values the way the compilers do: a path names object fields, and arrays and map values are
 * transparent (`orders.items.sku` and `identityMap.ECID.id` are paths of fields). What a value is used for decides
 * how much of it is read:
 * - a field lookup, a filter `[…]`, a per-element argument or a `select … from` reads through it (only what the
 *   further steps read);
 * - presence (truthiness, `count()`, `isNull()`, `keys()` of a map) needs the value but none of its fields;
 * - anything else (comparisons, string and set functions, arithmetic, `distinct()`, returning it) reads all of it.
 * When in doubt the walk reads the whole value: a field too many costs time, a field too few changes an answer.
 * `inSegment` reads no field (the row's segments column is always there).
 */
import type { ExportPlan } from "../../export/export-request.js";
import type { ChainNode, MemberCallNode, PqlExpr, PqlSchema, VarDeclNode } from "../../pql/index.js";
import { array, map, object, type XdmObject, type XdmType } from "../../xdm/xdm-type.js";
import { countedEventNodes } from "../event-counts.js";

/** What is read of a value: all of it, or these fields (none: only whether it is there). */
export type UseTree = true | ReadonlyMap<string, UseTree>;

/** The fields a set of expressions reads. */
export interface FieldUse {
  readonly profile: UseTree;
  /** What is read of each event; undefined when nothing reads `xEvent`. */
  readonly event: UseTree | undefined;
  /**
   * Whether the profile's events are read as its `xEvent` list. False when only counted conditions read them
   * (event-counts.ts): the merge then counts the events and lists none.
   */
  readonly eventList: boolean;
  /**
   * Whether anything reads the identityMap itself. When nothing does, the merge carries only its namespaces (what
   * a job counts), each with no identity: the union of the identities is most of a merge's cost.
   */
  readonly identities: boolean;
}

/** Reads everything: the merge's full row shape. */
export const ALL_FIELDS: FieldUse = { profile: true, event: true, eventList: true, identities: true };

/** Fields the merged profile always carries whatever a job reads: jobs count identity namespaces from it. */
const ALWAYS_READ = ["identityMap"];

/** A mutable use tree. */
class UseNode {
  all = false;
  readonly fields = new Map<string, UseNode>();

  at(path: readonly string[]): UseNode {
    let n: UseNode = this;
    for (const name of path) {
      let next = n.fields.get(name);
      if (next === undefined) n.fields.set(name, (next = new UseNode()));
      n = next;
    }
    return n;
  }

  add(tree: UseTree): void {
    if (tree === true) this.all = true;
    else for (const [k, t] of tree) this.at([k]).add(t);
  }

  freeze(): UseTree {
    return this.all ? true : new Map([...this.fields].map(([k, n]) => [k, n.freeze()] as const));
  }
}

/** A value that is (a projection of) the part of the profile or of an event at `path`. */
interface Ref {
  readonly root: "profile" | "event";
  readonly path: readonly string[];
  readonly type: XdmType;
}

interface Scope {
  readonly implicit: readonly Ref[];
  readonly vars: ReadonlyMap<string, readonly Ref[]>;
  /** One context level up (for `^`). */
  readonly up?: Scope;
}

const NONE: readonly Ref[] = [];

/** Member functions whose first argument is evaluated per element (as in the checker). */
const PER_ELEMENT = new Set(["filter", "map", "groupBy", "topN", "bottomN", "sum", "average", "min", "max", "exists"]);

/** The values of the maps among `refs` (a path does not change into a map's values). */
function mapValues(refs: readonly Ref[]): Ref[] {
  return refs.flatMap((r) => (r.type.kind === "map" ? [{ ...r, type: r.type.values }] : []));
}

function stripArrays(t: XdmType): XdmType {
  return t.kind === "array" ? stripArrays(t.items) : t;
}

/** Collects the fields read by expressions checked against one schema. */
export class FieldUseBuilder {
  private readonly profile = new UseNode();
  private readonly event = new UseNode();
  private eventsRead = false;
  private eventListRead = false;
  /** The counted nodes of the expression being walked, and whether the walk is inside one. */
  private counted: ReadonlySet<PqlExpr> = new Set();
  private counting = false;

  constructor(private readonly schema: PqlSchema) {}

  /**
   * Adds what an expression reads: a segment's predicate, or a value (read whole). With `countEvents` (a segment pass
   * that counts), what its counted event conditions (countedEventNodes) read of the events is read, but not as their list.
   */
  addExpression(ast: PqlExpr, position: "predicate" | "value" = "predicate", countEvents = false): this {
    this.counted = countEvents ? countedEventNodes(ast) : new Set();
    const profileRoot: Ref = { root: "profile", path: [], type: this.schema.profile };
    let scope: Scope = { implicit: [profileRoot], vars: new Map() };
    let body = ast;
    if (ast.nodeType === "lambda") {
      // A top-level lambda's first parameter is the profile.
      scope = { ...scope, vars: new Map(ast.params.map((p, i) => [p, i === 0 ? [profileRoot] : NONE] as const)) };
      body = ast.body;
    }
    if (position === "predicate") this.pred(body, scope);
    else this.whole(this.val(body, scope));
    return this;
  }

  /**
   * Adds dot paths of the profile or of each event (an export's `fields`, `eventList.fields`), or all fields when
   * `paths` is undefined. As the export's projection, a path through a map takes the map whole.
   */
  addPaths(root: "profile" | "event", paths: readonly string[] | undefined): this {
    const top = root === "profile" ? this.profile : this.event;
    if (root === "event") this.eventsRead = this.eventListRead = true;
    if (paths === undefined) {
      top.all = true;
      return this;
    }
    for (const path of paths) {
      let node = top;
      let t: XdmType | undefined = root === "profile" ? this.schema.profile : this.schema.event;
      for (const name of path.split(".")) {
        t = t === undefined ? undefined : stripArrays(t);
        if (t?.kind === "map") break;
        node = node.at([name]);
        t = t?.kind === "object" ? t.fields.get(name) : undefined;
      }
      node.all = true;
    }
    return this;
  }

  /** Adds what an export writes: its `fields` (all when it has none) and, with an event list, `eventList.fields`. */
  addExport(plan: Pick<ExportPlan, "fields" | "eventList">): this {
    this.addPaths("profile", plan.fields);
    if (plan.eventList !== undefined) this.addPaths("event", plan.eventList.fields);
    return this;
  }

  build(): FieldUse {
    const identities = this.profile.all || this.profile.fields.has("identityMap");
    for (const name of ALWAYS_READ) if (this.schema.profile.fields.has(name)) this.profile.at([name]).all = true;
    return { profile: this.profile.freeze(), event: this.eventsRead ? this.event.freeze() : undefined, eventList: this.eventListRead, identities };
  }

  // ------------------------------------------------------------------ the walk

  private node(r: Ref): UseNode {
    if (r.root === "event") {
      this.eventsRead = true;
      if (!this.counting) this.eventListRead = true;
    }
    return (r.root === "profile" ? this.profile : this.event).at(r.path);
  }

  /** The values are needed, none of their fields. */
  private touch(refs: readonly Ref[]): void {
    for (const r of refs) this.node(r);
  }

  /** The values are read whole. */
  private whole(refs: readonly Ref[]): void {
    for (const r of refs) this.node(r).all = true;
  }

  /** `.name` on each value: through arrays, into an object's field or a map's values; `xEvent` on the profile. */
  private step(refs: readonly Ref[], name: string): Ref[] {
    return refs.flatMap((r): Ref[] => {
      if (r.root === "profile" && r.path.length === 0 && name === "xEvent") return [{ root: "event", path: [], type: array(this.schema.event) }];
      const t = stripArrays(r.type);
      if (t.kind === "map") return [{ ...r, type: t.values }];
      const f = t.kind === "object" ? t.fields.get(name) : undefined;
      return f === undefined ? [] : [{ root: r.root, path: [...r.path, name], type: f }];
    });
  }

  /** The elements of arrays (a path does not change through an array). */
  private elements(refs: readonly Ref[]): Ref[] {
    return refs.map((r) => (r.type.kind === "array" ? { ...r, type: r.type.items } : r));
  }

  /** Walks a counted node: what it reads of the events is not read as their list. */
  private countedWalk<T>(walk: () => T): T {
    this.counting = true;
    try {
      return walk();
    } finally {
      this.counting = false;
    }
  }

  /** A Boolean position. */
  private pred(n: PqlExpr, sc: Scope): void {
    if (!this.counting && this.counted.has(n)) return this.countedWalk(() => this.pred(n, sc));
    switch (n.nodeType) {
      case "and":
      case "or":
        for (const o of n.operands) this.pred(o, sc);
        return;
      case "not":
        this.pred(n.operand, sc);
        return;
      case "comparison":
      case "membership":
      case "arithmetic":
        this.whole(this.val(n.left, sc));
        this.whole(this.val(n.right, sc));
        return;
      case "like":
      case "matches":
        this.whole(this.val(n.left, sc));
        this.whole(this.val(n.pattern, sc));
        return;
      case "occurs":
        this.whole(this.val(n.subject, sc));
        for (const r of n.spec.form === "between" ? [n.spec.from, n.spec.to] : [n.spec.ref]) this.whole(this.val(r, sc));
        return;
      case "quantification":
        this.varDecls(n.variables, sc);
        return;
      case "chain":
        this.chain(n, sc);
        return;
      default:
        // Truthiness: a Boolean's value, a list's length, anything else's presence.
        this.touch(this.val(n, sc));
    }
  }

  /** What a value is made of; the caller decides how much of it is read. */
  private val(n: PqlExpr, sc: Scope): readonly Ref[] {
    if (!this.counting && this.counted.has(n)) return this.countedWalk(() => this.val(n, sc));
    switch (n.nodeType) {
      case "literal":
      case "timeKeyword":
      case "relativeTime":
        return NONE;
      case "implicitContext":
      case "this":
        return sc.implicit;
      case "varRef":
        return sc.vars.get(n.varName) ?? NONE;
      case "parameterReference":
        return [{ root: "profile", path: [], type: this.schema.profile }];
      case "upContext": {
        let s: Scope | undefined = sc;
        for (let i = 0; i < n.levels && s !== undefined; i++) s = s.up;
        return s?.implicit ?? NONE;
      }
      case "fieldLookup":
        return this.step(n.object.nodeType === "implicitContext" ? sc.implicit : this.val(n.object, sc), n.fieldName);
      case "filter": {
        const arr = this.val(n.array, sc);
        this.touch(arr);
        this.pred(n.condition, { implicit: this.elements(arr), vars: sc.vars, up: sc });
        return arr;
      }
      case "memberCall":
        return this.memberCall(n, sc);
      case "functionCall":
        if (n.name === "if") {
          const [t, a, b] = n.args;
          if (t !== undefined) this.pred(t, sc);
          return [...(a === undefined ? NONE : this.val(a, sc)), ...(b === undefined ? NONE : this.val(b, sc))];
        }
        // inSegment reads the row's segments; date, mapEntry and the calendar functions read their arguments.
        if (n.name !== "inSegment") for (const a of n.args) this.whole(this.val(a, sc));
        return NONE;
      case "negate":
        this.whole(this.val(n.operand, sc));
        return NONE;
      case "let": {
        const v = this.val(n.value, sc);
        // The compiled SQL may evaluate the value even where the body does not need it.
        this.touch(v);
        return this.val(n.body, { ...sc, vars: new Map(sc.vars).set(n.varName, v) });
      }
      case "list":
        for (const i of n.items) this.whole(this.val(i, sc));
        return NONE;
      case "object":
        for (const e of n.entries) this.whole(this.val(e.value, sc));
        return NONE;
      case "aggregate": {
        const inner = this.varDecls(n.variables, sc);
        const first = n.variables[0];
        this.whole(n.value !== undefined ? this.val(n.value, inner) : first === undefined ? NONE : (inner.vars.get(first.varName) ?? NONE));
        return NONE;
      }
      case "select": {
        const inner = this.varDecls(n.variables, sc);
        const vars = n.variables.map((v) => inner.vars.get(v.varName) ?? NONE);
        if (vars.length === 1) return vars[0]!;
        for (const v of vars) this.whole(v);
        return NONE;
      }
      case "lambda":
        // Only where the checker allows one (handled by the callers); read whole otherwise.
        this.whole(this.val(n.body, sc));
        return NONE;
      default:
        this.pred(n, sc);
        return NONE;
    }
  }

  /** `V from A [where C]` clauses: each variable bound to the elements of its array. */
  private varDecls(decls: readonly VarDeclNode[], sc: Scope): Scope {
    const vars = new Map(sc.vars);
    for (const d of decls) {
      const from = this.val(d.from, { ...sc, vars: new Map(vars) });
      this.touch(from);
      vars.set(d.varName, this.elements(from));
      if (d.where !== undefined) this.pred(d.where, { ...sc, vars: new Map(vars) });
    }
    return { ...sc, vars };
  }

  private chain(n: ChainNode, sc: Scope): void {
    const events = this.val(n.events, sc);
    this.touch(events);
    this.whole(this.step(events, n.timeField));
    const inner: Scope = { implicit: this.elements(events), vars: sc.vars, up: sc };
    for (const step of n.steps) {
      for (const c of step.clauses) {
        if (c.kind === "WHAT" || c.kind === "WHERE") this.pred(c.condition, inner);
        else if (c.kind === "WHEN") for (const r of c.spec.form === "between" ? [c.spec.from, c.spec.to] : [c.spec.ref]) this.whole(this.val(r, inner));
      }
    }
  }

  /** The first argument of a per-element function: in the element's scope (a lambda binds the element, or key and element). */
  private perElement(arg: PqlExpr, recv: readonly Ref[], sc: Scope): { readonly body: PqlExpr; readonly scope: Scope } {
    const element = this.elements(recv);
    if (arg.nodeType !== "lambda") return { body: arg, scope: { implicit: element, vars: sc.vars, up: sc } };
    const vars = new Map(sc.vars);
    const elementParam = arg.params.length >= 2 ? 1 : 0;
    arg.params.forEach((p, i) => vars.set(p, i === elementParam ? element : NONE));
    return { body: arg.body, scope: { ...sc, vars } };
  }

  private memberCall(n: MemberCallNode, sc: Scope): readonly Ref[] {
    const recv = this.val(n.receiver, sc);
    const [a0, ...rest] = n.args;
    const el = a0 !== undefined && PER_ELEMENT.has(n.name) ? this.perElement(a0, recv, sc) : undefined;
    const others = el === undefined ? n.args : rest;
    for (const a of others) this.whole(this.val(a, sc));
    switch (n.name) {
      case "filter":
      case "exists":
        this.touch(recv);
        if (el !== undefined) this.pred(el.body, el.scope);
        return n.name === "filter" ? recv : NONE;
      case "map":
        this.touch(recv);
        return el === undefined ? NONE : this.val(el.body, el.scope);
      case "groupBy":
      case "topN":
      case "bottomN":
        this.touch(recv);
        if (el !== undefined) this.whole(this.val(el.body, el.scope));
        return recv;
      case "sum":
      case "average":
      case "min":
      case "max":
        if (el === undefined) this.whole(recv);
        else {
          this.touch(recv);
          this.whole(this.val(el.body, el.scope));
        }
        return NONE;
      case "head":
        this.touch(recv);
        return this.elements(recv);
      case "count":
      case "isNull":
      case "isNotNull":
        this.touch(recv);
        return NONE;
      case "distinct":
      case "intersection":
        this.whole(recv);
        return recv;
      case "get": {
        const key = a0?.nodeType === "literal" && typeof a0.value === "string" ? a0.value : undefined;
        if (key !== undefined) return this.step(recv, key);
        this.whole(recv.filter((r) => r.type.kind !== "map"));
        return mapValues(recv);
      }
      case "keys":
      case "values":
        this.touch(recv.filter((r) => r.type.kind === "map"));
        this.whole(recv.filter((r) => r.type.kind !== "map"));
        return n.name === "values" ? mapValues(recv) : NONE;
      default:
        // String tests, regexGroup, calendar parts, set tests: the receiver's values themselves.
        this.whole(recv);
        return NONE;
    }
  }
}

/** The fields the expressions read (segments' predicates), with the fields every merged profile carries. */
export function fieldUseOf(asts: Iterable<PqlExpr>, schema: PqlSchema): FieldUse {
  const b = new FieldUseBuilder(schema);
  for (const ast of asts) b.addExpression(ast);
  return b.build();
}

/**
 * The part of `t` that `use` reads. An object of which only presence is read keeps one field (a struct has at least
 * one): its first scalar field, else its first field, pruned the same way.
 */
export function prunedType(t: XdmType, use: UseTree): XdmType {
  if (use === true) return t;
  switch (t.kind) {
    case "array":
      return array(prunedType(t.items, use));
    case "map":
      return map(prunedType(t.values, use));
    case "object": {
      const fields = [...t.fields].filter(([name]) => use.has(name)).map(([name, ft]) => [name, prunedType(ft, use.get(name)!)] as const);
      if (fields.length > 0) return object(fields);
      const [name, ft] = [...t.fields].find(([, f]) => f.kind !== "object" && f.kind !== "array" && f.kind !== "map") ?? [...t.fields][0] ?? [];
      return name === undefined ? t : object([[name, prunedType(ft!, new Map())]]);
    }
    default:
      return t;
  }
}

/** The schema a job's segments are compiled against and its merged profiles carry: only the fields `use` reads. */
export function prunedSchema(schema: PqlSchema, use: FieldUse): PqlSchema {
  const profileUse = use.profile;
  // The profile itself is a row, not a struct: it may have no fields.
  const profile: XdmObject = profileUse === true ? schema.profile : object([...schema.profile.fields].filter(([n]) => profileUse.has(n)).map(([n, t]) => [n, prunedType(t, profileUse.get(n)!)] as const));
  return { profile, event: prunedType(schema.event, use.event ?? new Map()) as XdmObject };
}
