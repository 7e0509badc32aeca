/**
 * pql/json ⇄ AST (pql-json.md). Output follows the conversion endpoint: `parameterReference` 1 for the
 * profile, `fieldLookup` chains, `literal` String/Integer/Number/Boolean/List, `fnApply` with params in source
 * order (n-ary and/or as in the text), `select` / `quantification` (some/all) with `varDecl`s, and filters as
 * an anonymous `fnApply` of an `fnCreate` predicate. Constructs Adobe has not published a JSON form for are
 * *non-Adobe* `fnApply`s named after the PQL operator or function (receiver first), with these extras:
 *
 * - a per-element argument written without a lambda (`orders.sum(price)`) is an `fnCreate` whose parameter is
 *   named by its context depth, a name no text identifier can have (`"1"`, `"2"`, …);
 * - `this` is `varRef "this"`, an implicit name as kirby JQ3's `varRef "_"` is for the profile (a keyword, so no
 *   text variable has it); a `varRef` to the current element's own `fnCreate` parameter is read as `this` too;
 * - `occurs` is `fnApply "occurs"` [subject, literal form, refs…] with the form `"on"`, `"before"`, `"after"`,
 *   `"from"`, `"between"` or `"<= 3 day before"`; relative references are `fnApply "last"` [literal unit];
 * - `now`/`today`/`yesterday`/`tomorrow` are `fnApply` with no params; unary minus is `fnApply "-"` with one param;
 * - `let X = v in b` is `fnApply "let"` [v, fnCreate(X) b]; `sum V over …` is `fnApply "over"` [literal fn, select, V];
 * - object literals are `fnApply "object"` [key, value, …]; non-literal lists `fnApply "list"`;
 * - `chain` is `fnApply "chain"|"CHAIN"` [events, literal time field, `fnApply "step"` [label, clauses…]…], a
 *   clause `fnApply "WHAT"|"WHERE"` [cond], `"WHEN"` [form, refs…] or `"COUNT"` [n]; step clauses see the
 *   event as the context one level down.
 *
 * Input also accepts the historical variants: lower-case literal types, integers as strings, the profile as
 * `literal XDMObject "profile"` or `varRef "_"`, `varDecl` with `range`, `=` with three params (equals with a
 * case flag), quantifiers `none`/`one`.
 */
import {
  TIME_UNITS,
  type AggregateFunction,
  type ArithmeticOp,
  type ChainClause,
  type ChainStep,
  type ComparisonOp,
  type GlobalFunctionName,
  type MemberFunctionName,
  type OccursDirection,
  type OccursSpec,
  type PqlExpr,
  type TimeKeyword,
  type TimeUnit,
  type VarDeclNode,
} from "./ast.js";
import { PQL_ERROR_CODES, PqlError, type PqlSpan } from "./errors.js";
import { MAX_AST_DEPTH } from "./limits.js";
import { assertDepth } from "./budget.js";
import { GLOBAL_FUNCTIONS, MEMBER_FUNCTIONS, OUT_OF_SCOPE_FUNCTIONS } from "./names.js";
import { KEYWORD_TOKENS } from "./tokens.js";

type JsonNode = { readonly [k: string]: unknown };

const NO_SPAN: PqlSpan = { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } };
const COMPARISONS = new Set(["=", "!=", "<", "<=", ">", ">="]);
const ARITHMETIC = new Set(["+", "-", "*", "/", "%"]);
const TIME_KEYWORDS = new Set(["now", "today", "yesterday", "tomorrow"]);
const AGGREGATES = new Set(["sum", "average", "min", "max"]);
/** Member functions whose first argument is evaluated per element. */
const PER_ELEMENT = new Set(["filter", "map", "groupBy", "topN", "bottomN", "sum", "average", "min", "max", "exists"]);

/** Words the lexer reads as keywords (case-insensitively): a path cannot start with one. */
const KEYWORDS: ReadonlySet<string> = new Set(KEYWORD_TOKENS.map((t) => (t.LABEL ?? t.name).replace(/"/g, "").toLowerCase()));

/** The name of the implicit element parameter at context depth `d` (≥ 1): not a valid text identifier. */
function depthName(d: number): string {
  return String(d);
}

// ------------------------------------------------------------------------------------------ AST → JSON

function lit(value: string | number | boolean): JsonNode {
  const literalType = typeof value === "string" ? "String" : typeof value === "boolean" ? "Boolean" : Number.isInteger(value) ? "Integer" : "Number";
  return { nodeType: "literal", literalType, value };
}

function apply(fnName: string, params: JsonNode[]): JsonNode {
  return { nodeType: "fnApply", fnName, params };
}

function fnCreate(names: readonly string[], body: JsonNode): JsonNode {
  return { nodeType: "fnCreate", params: names.map((varName) => ({ varName })), body };
}

function occursForm(spec: OccursSpec): string {
  switch (spec.form) {
    case "on":
      return "on";
    case "direction":
      return spec.direction;
    case "between":
      return "between";
    case "offset":
      return `${spec.op} ${spec.amount} ${spec.unit} ${spec.direction}`;
  }
}

class ToJson {
  /** Current implicit-context depth (0 = the profile). */
  private depth = 0;

  node(n: PqlExpr): JsonNode {
    switch (n.nodeType) {
      case "literal":
        return { nodeType: "literal", literalType: n.literalType, value: n.value };
      case "list": {
        const items = n.items;
        const simple =
          items.length > 0 && items.every((i) => i.nodeType === "literal" && i.literalType !== "Number" && !(i.literalType === "Integer" && Object.is(i.value, -0)));
        if (simple) return { nodeType: "literal", literalType: "List", value: items.map((i) => (i.nodeType === "literal" ? i.value : null)) };
        return apply("list", items.map((i) => this.node(i)));
      }
      case "implicitContext":
        return this.depth === 0 ? { nodeType: "parameterReference", position: 1 } : { nodeType: "varRef", varName: depthName(this.depth) };
      case "this":
        return { nodeType: "varRef", varName: "this" };
      case "upContext": {
        const target = this.depth - n.levels;
        return target <= 0 ? { nodeType: "parameterReference", position: 1 } : { nodeType: "varRef", varName: depthName(target) };
      }
      case "parameterReference":
        return { nodeType: "parameterReference", position: n.position };
      case "varRef":
        return { nodeType: "varRef", varName: n.varName };
      case "fieldLookup":
        return { nodeType: "fieldLookup", fieldName: n.fieldName, object: this.node(n.object) };
      case "filter": {
        const array = this.node(n.array);
        return { nodeType: "fnApply", function: this.element(n.condition), params: [array] };
      }
      case "memberCall": {
        const receiver = this.node(n.receiver);
        const args = n.args.map((a, i) => (i === 0 && PER_ELEMENT.has(n.name) ? this.element(a) : this.node(a)));
        return apply(n.name, [receiver, ...args]);
      }
      case "functionCall":
        return apply(n.name, n.args.map((a) => this.node(a)));
      case "timeKeyword":
        return apply(n.keyword, []);
      case "relativeTime":
        return apply(n.which, [lit(n.unit)]);
      case "comparison":
      case "membership":
        return apply(n.op, [this.node(n.left), this.node(n.right)]);
      case "like":
        return apply("like", [this.node(n.left), this.node(n.pattern)]);
      case "matches":
        return apply("matches", [this.node(n.left), this.node(n.pattern)]);
      case "arithmetic":
        return apply(n.op, [this.node(n.left), this.node(n.right)]);
      case "negate":
        return apply("-", [this.node(n.operand)]);
      case "and":
      case "or":
        return apply(n.nodeType, n.operands.map((o) => this.node(o)));
      case "not":
        return apply("not", [this.node(n.operand)]);
      case "occurs":
        return apply("occurs", [this.node(n.subject), lit(occursForm(n.spec)), ...this.refs(n.spec)]);
      case "select":
        return { nodeType: "select", variables: this.varDecls(n.variables) };
      case "quantification":
        return { nodeType: "quantification", quantifier: n.quantifier === "exists" ? "some" : "all", variables: this.varDecls(n.variables) };
      case "aggregate": {
        const select = { nodeType: "select", variables: this.varDecls(n.variables) };
        return apply("over", n.value === undefined ? [lit(n.fn), select] : [lit(n.fn), select, this.node(n.value)]);
      }
      case "let":
        return apply("let", [this.node(n.value), fnCreate([n.varName], this.node(n.body))]);
      case "lambda":
        return fnCreate(n.params, this.node(n.body));
      case "object":
        return apply(
          "object",
          n.entries.flatMap((e) => [lit(e.key), this.node(e.value)]),
        );
      case "chain": {
        const events = this.node(n.events);
        this.depth++;
        try {
          const steps = n.steps.map((s) => apply("step", [lit(s.label), ...s.clauses.map((c) => this.clause(c))]));
          return apply(n.spelling, [events, lit(n.timeField), ...steps]);
        } finally {
          this.depth--;
        }
      }
    }
  }

  private clause(c: ChainClause): JsonNode {
    switch (c.kind) {
      case "WHAT":
      case "WHERE":
        return apply(c.kind, [this.node(c.condition)]);
      case "WHEN":
        return apply("WHEN", [lit(occursForm(c.spec)), ...this.refs(c.spec)]);
      case "COUNT":
        return apply("COUNT", [lit(c.count)]);
    }
  }

  private refs(spec: OccursSpec): JsonNode[] {
    return spec.form === "between" ? [this.node(spec.from), this.node(spec.to)] : [this.node(spec.ref)];
  }

  private varDecls(vars: readonly VarDeclNode[]): JsonNode[] {
    return vars.map((d) =>
      d.where === undefined
        ? { nodeType: "varDecl", varName: d.varName, from: this.node(d.from) }
        : { nodeType: "varDecl", varName: d.varName, from: this.node(d.from), where: this.node(d.where) },
    );
  }

  /** A per-element argument or filter condition: a lambda stays a lambda, anything else gets the element one level down. */
  private element(a: PqlExpr): JsonNode {
    if (a.nodeType === "lambda") return fnCreate(a.params, this.node(a.body));
    this.depth++;
    try {
      return fnCreate([depthName(this.depth)], this.node(a));
    } finally {
      this.depth--;
    }
  }
}

/** The pql/json text of an expression (the platform's JSON tree, serialised). */
export function astToPqlJson(ast: PqlExpr): string {
  assertDepth(ast);
  return JSON.stringify(new ToJson().node(ast));
}

// ------------------------------------------------------------------------------------------ JSON → AST

type Binding = { readonly name: string; readonly kind: "var" } | { readonly name: string; readonly kind: "level"; readonly level: number };

class FromJson {
  private depth = 0;
  private readonly bindings: Binding[] = [];
  private nodes = 0;
  /** Recursion depth of expr(), bounded by MAX_AST_DEPTH so that no input overflows the stack. */
  private level = 0;

  constructor(private readonly file: string | undefined) {}

  private fail(path: string, message: string): never {
    throw new PqlError(PQL_ERROR_CODES.invalidJson, `${message} (at ${path})`, NO_SPAN, undefined, this.file);
  }

  private obj(v: unknown, path: string): JsonNode {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(path, "expected a node object");
    return v as JsonNode;
  }

  private str(o: JsonNode, key: string, path: string): string {
    const v = o[key];
    if (typeof v !== "string") this.fail(`${path}.${key}`, `expected a string "${key}"`);
    return v;
  }

  private params(o: JsonNode, path: string): unknown[] {
    const v = o["params"];
    if (!Array.isArray(v)) this.fail(`${path}.params`, 'expected an array "params"');
    return v;
  }

  private with<T>(b: Binding[], f: () => T): T {
    const n = this.bindings.length;
    this.bindings.push(...b);
    try {
      return f();
    } finally {
      this.bindings.length = n;
    }
  }

  /** Run f one context level down, the element named `name`. */
  private down<T>(name: string, f: () => T): T {
    this.depth++;
    try {
      return this.with([{ name, kind: "level", level: this.depth }], f);
    } finally {
      this.depth--;
    }
  }

  private lookup(name: string): Binding | undefined {
    for (let i = this.bindings.length - 1; i >= 0; i--) if (this.bindings[i]?.name === name) return this.bindings[i];
    return undefined;
  }

  /** A context root (the profile or an element) used as the object of a field lookup. */
  private contextRoot(level: number): PqlExpr {
    if (level === this.depth) return { nodeType: "implicitContext" };
    return { nodeType: "upContext", levels: this.depth - level };
  }

  private isProfileRoot(o: JsonNode): boolean {
    if (o["nodeType"] === "parameterReference" && o["position"] === 1) return true;
    if (o["nodeType"] === "literal" && String(o["literalType"]).toLowerCase() === "xdmobject") return true;
    return o["nodeType"] === "varRef" && o["varName"] === "_" && this.lookup("_") === undefined;
  }

  expr(v: unknown, path: string): PqlExpr {
    if (++this.nodes > 200_000) this.fail(path, "the tree is too large");
    if (this.level >= MAX_AST_DEPTH || this.bindings.length > MAX_AST_DEPTH) this.fail(path.length > 200 ? `${path.slice(0, 200)}…` : path, `the tree is nested too deeply (more than ${MAX_AST_DEPTH} levels; maxAstDepth)`);
    this.level++;
    try {
      return this.exprAt(v, path);
    } finally {
      this.level--;
    }
  }

  private exprAt(v: unknown, path: string): PqlExpr {
    const o = this.obj(v, path);
    const nodeType = o["nodeType"];
    switch (nodeType) {
      case "literal":
        return this.literal(o, path);
      case "parameterReference": {
        const p = o["position"];
        if (typeof p !== "number" || !Number.isSafeInteger(p) || p < 1) this.fail(`${path}.position`, "expected a position ≥ 1");
        return { nodeType: "parameterReference", position: p };
      }
      case "varRef": {
        const name = this.str(o, "varName", path);
        if (this.isProfileRoot(o)) return { nodeType: "parameterReference", position: 1 };
        const b = this.lookup(name);
        if (b === undefined && name === "this") return { nodeType: "this" };
        if (b === undefined || b.kind === "var") return { nodeType: "varRef", varName: name };
        if (b.level === this.depth) return { nodeType: "this" };
        this.fail(path, `the element '${name}' of an enclosing level is used on its own; pql/text can name only its fields (with '^')`);
        break;
      }
      case "fieldLookup": {
        const fieldName = this.str(o, "fieldName", path);
        let object = this.lookupObject(o["object"], `${path}.object`);
        // pql/text cannot start a path with a keyword or with a name a lambda, let or select binds here: write
        // the context out ($1 for the profile, `this` for an element) so that the text says the same.
        if (object.nodeType === "implicitContext" && (KEYWORDS.has(fieldName.toLowerCase()) || this.lookup(fieldName)?.kind === "var")) {
          object = this.depth === 0 ? { nodeType: "parameterReference", position: 1 } : { nodeType: "this" };
        }
        return { nodeType: "fieldLookup", object, fieldName };
      }
      case "fnApply":
        return o["function"] !== undefined ? this.filter(o, path) : this.fnApply(o, path);
      case "fnCreate": {
        // A lambda anywhere pql/text can write one; the checker says where it is not allowed (PQL-T009).
        const names = this.paramNames(o, path);
        return { nodeType: "lambda", params: names, body: this.with(this.varBindings(names), () => this.expr(o["body"], `${path}.body`)) };
      }
      case "select":
        return { nodeType: "select", variables: this.varDecls(o, path, (variables) => variables) };
      case "quantification": {
        const q = o["quantifier"];
        const variables = this.varDecls(o, path, (vs) => vs);
        if (q === "some" || q === "exists") return { nodeType: "quantification", quantifier: "exists", variables };
        if (q === "all" || q === "forall") return { nodeType: "quantification", quantifier: "forall", variables };
        if (q === "none") return { nodeType: "not", operand: { nodeType: "quantification", quantifier: "exists", variables } };
        if (q === "one") {
          return {
            nodeType: "comparison",
            op: "=",
            left: { nodeType: "memberCall", receiver: { nodeType: "select", variables }, name: "count", args: [] },
            right: { nodeType: "literal", literalType: "Integer", value: 1 },
          };
        }
        this.fail(`${path}.quantifier`, `unknown quantifier ${JSON.stringify(q)}; expected some, all, none or one`);
        break;
      }
      case "set":
        this.fail(path, "the obsolete 2018 'set' node is not supported; use select or quantification");
        break;
      default:
        this.fail(`${path}.nodeType`, `unknown nodeType ${JSON.stringify(nodeType)}`);
    }
  }

  /** The object of a fieldLookup: the profile and elements become the implicit context or an up reference. */
  private lookupObject(v: unknown, path: string): PqlExpr {
    const o = this.obj(v, path);
    if (this.isProfileRoot(o)) return this.contextRoot(0);
    if (o["nodeType"] === "varRef" && typeof o["varName"] === "string") {
      const b = this.lookup(o["varName"]);
      if (b !== undefined && b.kind === "level") return this.contextRoot(b.level);
    }
    return this.expr(v, path);
  }

  private literal(o: JsonNode, path: string): PqlExpr {
    const type = String(o["literalType"]).toLowerCase();
    const value = o["value"];
    const bad = (): never => this.fail(`${path}.value`, `a ${String(o["literalType"])} literal cannot hold ${JSON.stringify(value)}`);
    switch (type) {
      case "string":
      case "querystring":
        if (typeof value !== "string") bad();
        return { nodeType: "literal", literalType: "String", value: value as string };
      case "integer": {
        const n = typeof value === "string" && /^-?\d+$/.test(value) ? Number(value) : value;
        if (typeof n !== "number" || !Number.isSafeInteger(n)) bad();
        return { nodeType: "literal", literalType: "Integer", value: n as number };
      }
      case "number":
      case "double": {
        const n = typeof value === "string" ? Number(value) : value;
        if (typeof n !== "number" || !Number.isFinite(n)) bad();
        return { nodeType: "literal", literalType: "Number", value: n as number };
      }
      case "boolean":
        if (typeof value !== "boolean") bad();
        return { nodeType: "literal", literalType: "Boolean", value: value as boolean };
      case "list": {
        if (!Array.isArray(value)) bad();
        const items = (value as unknown[]).map((x, i): PqlExpr => {
          if (typeof x === "string") return { nodeType: "literal", literalType: "String", value: x };
          if (typeof x === "boolean") return { nodeType: "literal", literalType: "Boolean", value: x };
          if (typeof x === "number" && Number.isFinite(x)) return { nodeType: "literal", literalType: Number.isInteger(x) ? "Integer" : "Number", value: x };
          return this.fail(`${path}.value[${i}]`, "a List literal holds strings, numbers and Booleans");
        });
        return { nodeType: "list", items };
      }
      case "xdmobject":
        return { nodeType: "parameterReference", position: 1 };
      default:
        return this.fail(`${path}.literalType`, `unknown literalType ${JSON.stringify(o["literalType"])}`);
    }
  }

  private paramNames(o: JsonNode, path: string): string[] {
    const ps = this.params(o, path);
    if (ps.length === 0) this.fail(`${path}.params`, "a function needs at least one parameter");
    return ps.map((p, i) => {
      const po = this.obj(p, `${path}.params[${i}]`);
      const name = po["varName"];
      if (typeof name !== "string" || !/^[_A-Za-z0-9]+$/.test(name)) this.fail(`${path}.params[${i}].varName`, "expected a variable name");
      return name;
    });
  }

  private varBindings(names: readonly string[]): Binding[] {
    return names.map((name) => ({ name, kind: "var" as const }));
  }

  /** A per-element argument: an fnCreate named by depth is the implicit element; another fnCreate is a lambda. */
  private element(v: unknown, path: string): PqlExpr {
    const o = this.obj(v, path);
    if (o["nodeType"] !== "fnCreate") return this.expr(v, path);
    const names = this.paramNames(o, path);
    const [only] = names;
    if (names.length === 1 && only !== undefined && /^[0-9]/.test(only)) return this.down(only, () => this.expr(o["body"], `${path}.body`));
    return { nodeType: "lambda", params: names, body: this.with(this.varBindings(names), () => this.expr(o["body"], `${path}.body`)) };
  }

  /** `fnApply` of an anonymous `fnCreate` to one array: a filter. */
  private filter(o: JsonNode, path: string): PqlExpr {
    const fn = this.obj(o["function"], `${path}.function`);
    if (fn["nodeType"] !== "fnCreate") this.fail(`${path}.function`, "expected an fnCreate node");
    const names = this.paramNames(fn, `${path}.function`);
    const ps = this.params(o, path);
    if (names.length !== 1 || ps.length !== 1) this.fail(path, "an applied function must take one parameter and be applied to one array (a filter)");
    const array = this.expr(ps[0], `${path}.params[0]`);
    const condition = this.down(names[0] as string, () => this.expr(fn["body"], `${path}.function.body`));
    return { nodeType: "filter", array, condition };
  }

  private varDecls<T>(o: JsonNode, path: string, f: (vars: VarDeclNode[]) => T): T {
    const vs = o["variables"];
    if (!Array.isArray(vs) || vs.length === 0) this.fail(`${path}.variables`, "expected a non-empty array of varDecl nodes");
    const n = this.bindings.length;
    try {
      const out: VarDeclNode[] = vs.map((d, i) => {
        const p = `${path}.variables[${i}]`;
        const dn = this.obj(d, p);
        if (dn["nodeType"] !== "varDecl") this.fail(`${p}.nodeType`, "expected a varDecl node");
        const varName = this.str(dn, "varName", p);
        const from = this.expr(dn["from"] ?? dn["range"], dn["from"] === undefined ? `${p}.range` : `${p}.from`);
        this.bindings.push({ name: varName, kind: "var" });
        const where = dn["where"] === undefined ? undefined : this.expr(dn["where"], `${p}.where`);
        return where === undefined ? { nodeType: "varDecl", varName, from } : { nodeType: "varDecl", varName, from, where };
      });
      return f(out);
    } finally {
      this.bindings.length = n;
    }
  }

  private stringLit(v: unknown, path: string): string {
    const e = this.expr(v, path);
    if (e.nodeType !== "literal" || typeof e.value !== "string") this.fail(path, "expected a String literal");
    return e.value;
  }

  private occursSpec(form: string, refs: unknown[], path: string): OccursSpec {
    const ref = (i: number): PqlExpr => {
      if (refs[i] === undefined) this.fail(`${path}[${i}]`, "missing time reference");
      return this.expr(refs[i], `${path}[${i}]`);
    };
    const want = (n: number): void => {
      if (refs.length !== n) this.fail(path, `the occurs form ${JSON.stringify(form)} takes ${n} time reference${n === 1 ? "" : "s"}`);
    };
    if (form === "on") {
      want(1);
      return { form: "on", ref: ref(0) };
    }
    if (form === "before" || form === "after" || form === "from") {
      want(1);
      return { form: "direction", direction: form, ref: ref(0) };
    }
    if (form === "between") {
      want(2);
      return { form: "between", from: ref(0), to: ref(1) };
    }
    const m = /^(=|!=|<|<=|>|>=) (\d+) ([A-Za-z]+) (before|after|from)$/.exec(form);
    const unit = m === null ? undefined : TIME_UNITS.get((m[3] as string).toLowerCase());
    if (m === null || unit === undefined || !Number.isSafeInteger(Number(m[2]))) this.fail(path, `unknown occurs form ${JSON.stringify(form)}`);
    want(1);
    return { form: "offset", op: m[1] as ComparisonOp, amount: Number(m[2]), unit: unit as TimeUnit, direction: m[4] as OccursDirection, ref: ref(0) };
  }

  private fnApply(o: JsonNode, path: string): PqlExpr {
    const fnName = this.str(o, "fnName", path);
    const ps = this.params(o, path);
    const p = (i: number): PqlExpr => this.expr(ps[i], `${path}.params[${i}]`);
    const all = (): PqlExpr[] => ps.map((_, i) => p(i));
    const arity = (min: number, max = min): void => {
      if (ps.length < min || ps.length > max) this.fail(`${path}.params`, `'${fnName}' takes ${min === max ? min : `${min}–${max}`} params, got ${ps.length}`);
    };
    if (COMPARISONS.has(fnName)) {
      if (fnName === "=" && ps.length === 3) return { nodeType: "memberCall", receiver: p(0), name: "equals", args: [p(1), p(2)] };
      arity(2);
      return { nodeType: "comparison", op: fnName as ComparisonOp, left: p(0), right: p(1) };
    }
    if (ARITHMETIC.has(fnName)) {
      if (fnName === "-" && ps.length === 1) {
        const operand = p(0);
        if (operand.nodeType === "literal" && (operand.literalType === "Integer" || operand.literalType === "Number")) return { ...operand, value: -operand.value };
        return { nodeType: "negate", operand };
      }
      arity(2);
      return { nodeType: "arithmetic", op: fnName as ArithmeticOp, left: p(0), right: p(1) };
    }
    if (TIME_KEYWORDS.has(fnName)) {
      arity(0);
      return { nodeType: "timeKeyword", keyword: fnName as TimeKeyword };
    }
    switch (fnName) {
      case "and":
      case "or": {
        if (ps.length === 0) this.fail(`${path}.params`, `'${fnName}' needs at least one param`);
        const operands = all();
        return operands.length === 1 ? (operands[0] as PqlExpr) : { nodeType: fnName, operands };
      }
      case "not":
        arity(1);
        return { nodeType: "not", operand: p(0) };
      case "in":
      case "notIn":
        arity(2);
        return { nodeType: "membership", op: fnName, left: p(0), right: p(1) };
      case "like":
        arity(2);
        return { nodeType: "like", left: p(0), pattern: p(1) };
      case "matches":
        arity(2);
        return { nodeType: "matches", left: p(0), pattern: p(1) };
      case "this":
      case "last":
      case "next": {
        arity(1);
        const unit = TIME_UNITS.get(this.stringLit(ps[0], `${path}.params[0]`).toLowerCase());
        if (unit === undefined) this.fail(`${path}.params[0]`, "unknown time unit");
        return { nodeType: "relativeTime", which: fnName, unit };
      }
      case "occurs": {
        if (ps.length < 2) this.fail(`${path}.params`, "'occurs' takes a subject, a form and its references");
        const subject = p(0);
        const form = this.stringLit(ps[1], `${path}.params[1]`);
        return { nodeType: "occurs", subject, spec: this.occursSpec(form, ps.slice(2), `${path}.params`) };
      }
      case "list":
        return { nodeType: "list", items: all() };
      case "object": {
        if (ps.length % 2 !== 0) this.fail(`${path}.params`, "'object' takes key/value pairs");
        const entries: Array<{ key: string; value: PqlExpr }> = [];
        for (let i = 0; i < ps.length; i += 2) entries.push({ key: this.stringLit(ps[i], `${path}.params[${i}]`), value: p(i + 1) });
        return { nodeType: "object", entries };
      }
      case "let": {
        arity(2);
        const value = p(0);
        const fn = this.obj(ps[1], `${path}.params[1]`);
        if (fn["nodeType"] !== "fnCreate") this.fail(`${path}.params[1]`, "'let' takes a value and an fnCreate of one parameter");
        const names = this.paramNames(fn, `${path}.params[1]`);
        if (names.length !== 1) this.fail(`${path}.params[1]`, "'let' binds one name");
        const varName = names[0] as string;
        return { nodeType: "let", varName, value, body: this.with(this.varBindings(names), () => this.expr(fn["body"], `${path}.params[1].body`)) };
      }
      case "over": {
        arity(2, 3);
        const fn = this.stringLit(ps[0], `${path}.params[0]`);
        if (!AGGREGATES.has(fn)) this.fail(`${path}.params[0]`, "expected sum, average, min or max");
        const sel = this.obj(ps[1], `${path}.params[1]`);
        if (sel["nodeType"] !== "select") this.fail(`${path}.params[1]`, "expected a select node");
        return this.varDecls(sel, `${path}.params[1]`, (variables) =>
          ps.length === 3
            ? { nodeType: "aggregate", fn: fn as AggregateFunction, value: p(2), variables }
            : { nodeType: "aggregate", fn: fn as AggregateFunction, variables },
        );
      }
      case "chain":
      case "CHAIN":
        return this.chain(fnName, ps, path);
      default:
        break;
    }
    if (OUT_OF_SCOPE_FUNCTIONS.has(fnName)) {
      throw new PqlError(PQL_ERROR_CODES.unsupportedFunction, `function '${fnName}' belongs to the offer-filter dialect, which is not supported (at ${path})`, NO_SPAN, undefined, this.file);
    }
    if (GLOBAL_FUNCTIONS.has(fnName)) return { nodeType: "functionCall", name: fnName as GlobalFunctionName, args: all() };
    if (MEMBER_FUNCTIONS.has(fnName)) {
      if (ps.length === 0) this.fail(`${path}.params`, `'${fnName}' needs its receiver as the first param`);
      const receiver = p(0);
      const args = ps.slice(1).map((a, i) => (i === 0 && PER_ELEMENT.has(fnName) ? this.element(a, `${path}.params[1]`) : this.expr(a, `${path}.params[${i + 1}]`)));
      if (fnName === "matches") {
        if (args.length !== 1) this.fail(`${path}.params`, "'matches' takes 2 params");
        return { nodeType: "matches", left: receiver, pattern: args[0] as PqlExpr };
      }
      return { nodeType: "memberCall", receiver, name: fnName as MemberFunctionName, args };
    }
    return this.fail(`${path}.fnName`, `unknown function ${JSON.stringify(fnName)}`);
  }

  private chain(spelling: "chain" | "CHAIN", ps: unknown[], path: string): PqlExpr {
    if (ps.length < 3) this.fail(`${path}.params`, "'chain' takes events, a time field and at least one step");
    const events = this.expr(ps[0], `${path}.params[0]`);
    const timeField = this.stringLit(ps[1], `${path}.params[1]`);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(timeField)) this.fail(`${path}.params[1]`, "the time field must be a name");
    const steps = ps.slice(2).map((s, i): ChainStep => {
      const sp = `${path}.params[${i + 2}]`;
      const so = this.obj(s, sp);
      if (so["nodeType"] !== "fnApply" || so["fnName"] !== "step") this.fail(sp, "expected an fnApply 'step'");
      const sps = this.params(so, sp);
      const label = this.stringLit(sps[0], `${sp}.params[0]`);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(label)) this.fail(`${sp}.params[0]`, "a step label must be a name");
      const clauses = sps.slice(1).map((c, k) => this.down(depthName(this.depth + 1), () => this.clause(c, `${sp}.params[${k + 1}]`)));
      if (clauses.length === 0) this.fail(sp, "a step needs at least one clause");
      return { label, clauses };
    });
    return { nodeType: "chain", spelling, events, timeField, steps };
  }

  private clause(v: unknown, path: string): ChainClause {
    const o = this.obj(v, path);
    const kind = o["fnName"];
    const ps = this.params(o, path);
    if (kind === "WHAT" || kind === "WHERE") {
      if (ps.length !== 1) this.fail(`${path}.params`, `${kind} takes 1 param`);
      return { kind, condition: this.expr(ps[0], `${path}.params[0]`) };
    }
    if (kind === "WHEN") {
      const form = this.stringLit(ps[0], `${path}.params[0]`);
      return { kind: "WHEN", spec: this.occursSpec(form, ps.slice(1), `${path}.params`) };
    }
    if (kind === "COUNT") {
      const n = this.expr(ps[0], `${path}.params[0]`);
      if (n.nodeType !== "literal" || n.literalType !== "Integer" || n.value < 1) this.fail(`${path}.params[0]`, "COUNT takes an integer ≥ 1");
      return { kind: "COUNT", count: n.value };
    }
    return this.fail(`${path}.fnName`, "expected a WHAT, WHEN, WHERE or COUNT clause");
  }
}

/**
 * Parse a pql/json value (the JSON tree serialised as a string, as in segment definitions) into the AST.
 * Throws PqlError PQL-J001 naming the JSON path of the problem.
 */
export function pqlJsonToAst(value: string, file?: string): PqlExpr {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    throw new PqlError(PQL_ERROR_CODES.invalidJson, `pql/json value is not JSON: ${e instanceof Error ? e.message : String(e)}`, NO_SPAN, undefined, file);
  }
  return new FromJson(file).expr(parsed, "$");
}
