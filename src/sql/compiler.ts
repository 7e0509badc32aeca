/**
 * Checked PQL AST → one SQL expression over a profile row (see row-shape.ts): the profile's fields as columns,
 * its events as a LIST of STRUCT column, the segments it is in as a LIST of VARCHAR column. The tree is walked
 * once, like the closure compiler (src/pql/compiler.ts), whose semantics it must reproduce exactly; every piece
 * of engine SQL comes from the dialect.
 *
 * How PQL's dynamic semantics become static SQL:
 * - Types come from the union schemas, so what the closure compiler decides per value (a string compared with
 *   a number is false, `.f` on a string is missing) is decided here at compile time.
 * - Three-valued logic: a compiled predicate may be NULL where PQL says false. AND, OR, WHERE, CASE and
 *   list_filter all treat NULL as false, so only `not` (and a Boolean used as a value or the whole result)
 *   needs `IS NOT TRUE` / `IS TRUE`; predicates track whether they can be NULL to add those only where needed.
 * - A path through an array (`orders.items.sku`) is a flattened list; a test on it is existential
 *   (`len(list_filter(…)) > 0`), and as a value its missing elements are dropped.
 * - `now` is the explicit clock, a compile-time constant: `today`, `last month`, `date(2018, 1, 1)` and every
 *   `occurs` bound that depends only on them are computed here with the reference's calendar code and appear as
 *   TIMESTAMP literals; only bounds anchored on data are computed in SQL.
 * - Strings that hold RFC 3339 timestamps compare by instant in the reference; the SQL does the same wherever it
 *   cannot rule that out at compile time (a literal that is not a timestamp rules it out).
 * A construct whose exact meaning SQL cannot give raises a coded SqlCompileError instead of approximate SQL.
 *
 * Every refusal of an expression is found, not only the first: the closure compiler over the engine's rows may decide
 * an expression refused for a construct it answers for (closureAnswers), but only if no other part of it depends on
 * text the rows do not hold (SQL-U004). A refused node becomes a placeholder and the walk goes on: a predicate is
 * NULL; a value is a NULL of its type when the refusal knows it, else REFUSED_V, whose type is unknown, as is that of
 * any value built from it; a use where that type could make the answer read a date-time's text or an object's field
 * order is refused as typedText. A node raises its refusal only after compiling its parts, so that theirs are found.
 */
import type {
  AggregateNode,
  ArithmeticNode,
  ChainNode,
  ComparisonNode,
  ComparisonOp,
  FieldLookupNode,
  FunctionCallNode,
  LikeNode,
  MatchesNode,
  MemberCallNode,
  MembershipNode,
  OccursSpec,
  PqlExpr,
  PqlSchema,
  QuantificationNode,
  TimeUnit,
  VarDeclNode,
} from "../pql/index.js";
import { addUnits, civil, FIXED_MS, MS_PER_DAY, startOfDay, startOfUnit, utcDate } from "../pql/calendar.js";
import { PQL_LIMITS } from "../pql/index.js";
import { order, timestampOf } from "../pql/values.js";
import type { SqlDialect } from "./dialect.js";
import { DUCKDB } from "./duckdb.js";
import { closureAnswers, SQL_ERROR_CODES, SqlCompileError, type SqlErrorCode } from "./errors.js";
import { countField, EVENT_COUNTS_COLUMN, EVENT_ELEMENT, type EventCounts } from "./event-counts.js";
import { nameProblem, ROW_SHAPE_NAMES, type RowShapeNames } from "./row-shape.js";
import {
  BOOLEAN,
  describeSqlType,
  DOUBLE,
  INTEGER,
  isNumeric,
  joinTypes,
  listOf,
  NULL_TYPE,
  sameType,
  STRING,
  structOf,
  structOfXdm,
  TIMESTAMP,
  type SqlType,
} from "./types.js";

/** How to compile: the schemas, the clock, the engine and the names of the row's columns. */
export interface SqlCompileOptions {
  /** The union schemas the expression was checked against; they type every path. */
  readonly schema: PqlSchema;
  /** The evaluation instant (epoch ms): `now`, `today`, `last month` … are constants of the compiled SQL. */
  readonly now: number;
  readonly dialect?: SqlDialect;
  /** The row's alias and virtual columns (default: profile, xEvent, xSegments). */
  readonly names?: RowShapeNames;
  /**
   * SQL for `inSegment("<ref>")` with a literal reference (a segment evaluated earlier in the same job, say);
   * undefined falls back to the row's segments column.
   */
  readonly inSegment?: (ref: string) => string | undefined;
  /**
   * A segment pass's counted event conditions (event-counts.ts): `nodes` (countedEventNodes of the expression) read
   * their count from the row's EVENT_COUNTS_COLUMN, their condition added to `counts`, instead of the events list.
   */
  readonly eventCounts?: { readonly nodes: ReadonlySet<PqlExpr>; readonly counts: EventCounts };
  /** The PQL text and file, for error frames. */
  readonly text?: string;
  readonly file?: string;
}

/** A compiled expression: SQL text and the static type of its value. */
export interface CompiledSql {
  readonly sql: string;
  readonly type: SqlType;
}

/** A compiled value. */
interface V {
  readonly sql: string;
  readonly type: SqlType;
  /** A flattened projection through arrays: tests on it are existential, and its NULL elements are not values. */
  readonly projected?: boolean;
  /** False when the SQL can never be NULL. */
  readonly nullable: boolean;
  /** The PQL literal it came from. */
  readonly literal?: string | number | boolean;
  /** A column, field or lambda parameter: cheap to repeat. */
  readonly simple?: boolean;
  /** A list literal of strings none of which is a timestamp: plain string equality against it is exact. */
  readonly plainStrings?: boolean;
  /** An upper bound of the absolute value of a number (Infinity when unknown). */
  readonly bound?: number;
  /** A list literal none of whose items can be missing. */
  readonly noNulls?: boolean;
  /** Its type is unknown: it is, or is built from, a value the back end refused (only while finding every refusal). */
  readonly refused?: true;
}

/** A compiled predicate: NULL means false. */
interface P {
  readonly sql: string;
  readonly nullable: boolean;
}

interface Scope {
  /** The implicit context: the profile, or the current element. */
  readonly implicit: V;
  readonly implicitIsProfile: boolean;
  readonly vars: ReadonlyMap<string, Binding>;
  /** One context level up (for `^`); undefined at the profile. */
  readonly up?: Scope;
}

interface Binding {
  readonly v: V;
  readonly profile: boolean;
}

/** A time interval [s, e); an instant has s === e. */
type Interval =
  | { readonly kind: "const"; readonly s: number; readonly e: number }
  | { readonly kind: "never" }
  | { readonly kind: "sql"; readonly s: string; readonly e: string; readonly instant: boolean };

/** A bound of a time range: epoch ms known at compile time (maybe beyond any TIMESTAMP), or a SQL TIMESTAMP. */
type Bound = number | string;

/** A range on a time (undefined = unbounded); `neg` is its complement among present times. */
interface Range {
  readonly lo?: Bound;
  readonly loIn: boolean;
  readonly hi?: Bound;
  readonly hiIn: boolean;
  readonly neg?: boolean;
}

/**
 * Epoch ms a TIMESTAMP can hold (about ±290,000 years; kept inside DuckDB's limits so that ms × 1000 fits an
 * INT64). A constant bound beyond them is beyond every time the data can hold.
 */
const MAX_TIME_MS = 9.2e15;

const TRUE: P = { sql: "TRUE", nullable: false };
const FALSE: P = { sql: "FALSE", nullable: false };
const NULL_V: V = { sql: "NULL", type: NULL_TYPE, nullable: true, simple: true };
/** What a refused predicate or value stands for while the rest of the expression is compiled for its refusals. */
const REFUSED_P: P = { sql: "NULL", nullable: true };
const REFUSED_V: V = { ...NULL_V, refused: true };
/** Member functions whose answer on a value of unknown type does not depend on a date-time's text or an object's field order. */
const TYPE_FREE = new Set(["includes", "intersects", "subsetOf", "supersetOf", "intersection", "isNull", "isNotNull", "head", "distinct", "getMonth", "getYear", "getDayOfMonth"]);

const MONTHS_PER: Partial<Record<TimeUnit, number>> = { month: 1, year: 12, decade: 120, century: 1200, millennium: 12_000 };

const STRING_TESTS = new Set(["contains", "startsWith", "endsWith", "equals", "notEqualTo", "doesNotContain", "doesNotStartWith", "doesNotEndWith"]);
const FLIP: Readonly<Record<ComparisonOp, ComparisonOp>> = { "=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=" };

/** An upper bound of |v| for a number: literals are known, integers fit in 64 bits, doubles are anything. */
function boundOf(v: V): number {
  if (v.bound !== undefined) return v.bound;
  if (typeof v.literal === "number") return Math.abs(v.literal);
  return v.type.kind === "integer" ? 2 ** 63 : Infinity;
}

/** A time as a SQL TIMESTAMP, with its epoch ms when known at compile time. */
interface TimeV extends V {
  readonly ms?: number;
}

function intervalRange(s: Bound, e: Bound, instant: boolean): Range {
  return instant ? { lo: s, loIn: true, hi: s, hiIn: true } : { lo: s, loIn: true, hi: e, hiIn: false };
}

function isTimeNode(n: PqlExpr): boolean {
  return n.nodeType === "timeKeyword" || n.nodeType === "relativeTime" || (n.nodeType === "functionCall" && n.name === "date");
}

/** `this` (a node kind newer than some trees this module is compiled with). */
function isThis(n: PqlExpr): boolean {
  return (n as { nodeType: string }).nodeType === "this";
}

class SqlCompiler {
  private readonly d: SqlDialect;
  private readonly names: RowShapeNames;
  private readonly profile: V;
  private readonly events: V;
  private counter = 0;
  /** keys()/values() calls whose consumer ignores order (count, includes, exists, in, set tests). */
  private readonly unordered = new Set<PqlExpr>();
  /** The refusals the closure compiler answers for, in the order met; a typedText or internal one is thrown at once. */
  private readonly refusals: SqlCompileError[] = [];
  /** The types of refused values known where they were refused. */
  private readonly refusedTypes = new WeakMap<SqlCompileError, SqlType>();
  /** Values of unknown type met since the enclosing predicate began (a value that met one has an unknown type too). */
  private untypedValues = 0;

  constructor(private readonly o: SqlCompileOptions) {
    this.d = o.dialect ?? DUCKDB;
    this.names = o.names ?? ROW_SHAPE_NAMES;
    const problem = nameProblem(o.schema, this.d, this.names);
    if (problem !== undefined) throw new SqlCompileError(SQL_ERROR_CODES.names, `the schema cannot be a ${this.d.name} row: ${problem}`, undefined, o.text, o.file);
    this.profile = { sql: this.names.alias, type: structOfXdm(o.schema.profile), nullable: false, simple: true };
    this.events = {
      sql: this.d.field(this.names.alias, this.names.events),
      type: listOf(structOfXdm(o.schema.event)),
      nullable: true,
      simple: true,
    };
  }

  rootScope(): Scope {
    return { implicit: this.profile, implicitIsProfile: true, vars: new Map() };
  }

  /** `type`: the refused value's type when it is known (the walk for the other refusals goes on with it). */
  fail(code: SqlErrorCode, message: string, n: PqlExpr | undefined, type?: SqlType): never {
    const e = new SqlCompileError(code, message, n?.span, this.o.text, this.o.file);
    if (type !== undefined) this.refusedTypes.set(e, type);
    throw e;
  }

  notCompiled(what: string, n: PqlExpr, type?: SqlType): never {
    return this.fail(SQL_ERROR_CODES.notCompiled, `${what} is not yet compiled to SQL`, n, type);
  }

  /** A value of unknown type (REFUSED_V) used where its type decides whether the answer reads text SQL does not keep. */
  private untyped(use: string, n: PqlExpr): never {
    return this.fail(
      SQL_ERROR_CODES.typedText,
      `${use} a value whose type SQL does not know (a part of it is refused) may read a date-time's original text or an object's field order, which SQL does not keep`,
      n,
    );
  }

  /** The first refusal met (the one a walk stopping there would have thrown), once the whole expression is walked. */
  throwRefusal(): void {
    const [first] = this.refusals;
    if (first !== undefined) throw first;
  }

  /** Keeps a refusal the closure compiler answers for (the walk goes on with a placeholder); rethrows anything else. */
  private recover(e: unknown): void {
    if (!(e instanceof SqlCompileError) || !closureAnswers(e)) throw e;
    this.refusals.push(e);
  }

  private fresh(hint: string): string {
    const h = /^[A-Za-z]/.test(hint) ? hint[0]!.toLowerCase() : "x";
    return `${h}${++this.counter}`;
  }

  // ================================================================ Boolean position

  /** A predicate has no type: values of unknown type inside it do not make the enclosing value's type unknown. */
  pred(n: PqlExpr, sc: Scope): P {
    const outer = this.untypedValues;
    try {
      return this.predOf(n, sc);
    } catch (e) {
      this.recover(e);
      return REFUSED_P;
    } finally {
      this.untypedValues = outer;
    }
  }

  private predOf(n: PqlExpr, sc: Scope): P {
    switch (n.nodeType) {
      case "and":
      case "or": {
        // TRUE and FALSE operands fold away.
        const absorbing = n.nodeType === "and" ? "FALSE" : "TRUE";
        const ps = n.operands.map((o) => this.pred(o, sc));
        if (ps.some((p) => p.sql === absorbing)) return absorbing === "TRUE" ? TRUE : FALSE;
        const rest = ps.filter((p) => p.sql !== "TRUE" && p.sql !== "FALSE");
        if (rest.length === 0) return absorbing === "TRUE" ? FALSE : TRUE;
        const sqls = rest.map((p) => p.sql);
        return { sql: n.nodeType === "and" ? this.d.and(sqls) : this.d.or(sqls), nullable: rest.some((p) => p.nullable) };
      }
      case "not":
        return this.not(this.pred(n.operand, sc));
      case "comparison":
        return this.comparison(n, sc);
      case "membership":
        return this.membership(n, sc);
      case "like":
        return this.like(n, sc);
      case "matches":
        return this.matches(n, sc);
      case "occurs":
        return this.occurs(n.subject, n.spec, sc);
      case "memberCall":
        if (STRING_TESTS.has(n.name)) return this.stringTest(n, sc);
        if (n.name === "exists") return this.existsMethod(n, sc);
        break;
      case "quantification":
        if (this.counted(n)) return this.someEvent(n);
        return this.quantification(n, sc);
      case "chain":
        return this.chain(n, sc);
      case "let":
        return this.pred(n.body, this.bindLet(n.varName, n.value, sc));
      case "functionCall":
        if (n.name === "if") {
          const [t, a, b] = n.args as [PqlExpr, PqlExpr, PqlExpr];
          const test = this.pred(t, sc);
          const pa = this.pred(a, sc);
          const pb = this.pred(b, sc);
          return { sql: this.d.caseWhen([[test.sql, pa.sql]], pb.sql), nullable: pa.nullable || pb.nullable };
        }
        break;
      case "fieldLookup":
        return this.subjectTest(n, sc, (leaf) => this.truthy(leaf));
      case "literal":
        return n.value === false ? FALSE : TRUE;
      case "select":
        if (this.counted(n)) return this.someEvent(n);
        // Some tuple exists.
        return this.existsTuple(n.variables, sc, 0);
      case "filter":
        if (this.counted(n)) return this.someEvent(n);
        return this.truthy(this.value(n, sc));
      default:
        break;
    }
    return this.truthy(this.value(n, sc));
  }

  private not(p: P): P {
    if (p.sql === "TRUE") return FALSE;
    if (p.sql === "FALSE") return TRUE;
    return { sql: p.nullable ? this.d.isNotTrue(p.sql) : this.d.not(p.sql), nullable: false };
  }

  /** A predicate as a Boolean value that is never NULL. */
  private bool(p: P): V {
    return { sql: p.nullable ? this.d.isTrue(p.sql) : p.sql, type: BOOLEAN, nullable: false };
  }

  /** Boolean position of a value: Booleans are themselves, lists need an element, anything else must be present. */
  private truthy(v: V): P {
    switch (v.type.kind) {
      case "null":
        return FALSE;
      case "boolean":
        return { sql: v.sql, nullable: v.nullable };
      case "list":
        return { sql: `${this.d.listLength(v.sql)} > 0`, nullable: v.nullable };
      case "group":
        return { sql: `${this.d.listLength(this.d.field(v.sql, "g"))} > 0`, nullable: v.nullable };
      default:
        return v.nullable ? { sql: this.d.isNotNull(v.sql), nullable: false } : TRUE;
    }
  }

  /**
   * `test` applied to the subject's value: to each element of a projection (existential), else to the value
   * itself. `test` is only ever asked about a value that may be NULL and must then give NULL or FALSE.
   */
  private subjectTest(subject: PqlExpr, sc: Scope, test: (leaf: V) => P): P {
    return this.testSubject(this.subjectValue(subject, sc), subject, test);
  }

  private subjectValue(subject: PqlExpr, sc: Scope): V {
    return subject.nodeType === "fieldLookup" ? this.path(subject, sc) : this.value(subject, sc);
  }

  /** subjectTest of a compiled subject; a value of unknown type is tested too (the test decides whether its type matters). */
  private testSubject(v: V, subject: PqlExpr, test: (leaf: V) => P): P {
    if (v.projected) return this.existsIn(v, test, subject);
    if (v.type.kind === "null" && v.refused !== true) return FALSE;
    return test(v);
  }

  /** Some element of a list passes `test`. */
  private existsIn(list: V, test: (el: V) => P, hint?: PqlExpr): P {
    const items = list.type.kind === "list" ? list.type.items : NULL_TYPE;
    const x = this.fresh(hint === undefined ? "x" : this.hintOf(hint));
    const t = test({ sql: x, type: items, nullable: true, simple: true });
    if (t.sql === "FALSE") return FALSE;
    return { sql: `${this.d.listLength(this.d.listFilter(list.sql, this.d.lambda([x], t.sql)))} > 0`, nullable: list.nullable };
  }

  private hintOf(n: PqlExpr): string {
    if (n.nodeType === "fieldLookup") return n.fieldName === "xEvent" ? "e" : n.fieldName;
    if (n.nodeType === "filter") return this.hintOf(n.array);
    if (n.nodeType === "memberCall") return this.hintOf(n.receiver);
    return "x";
  }

  // ---------------------------------------------------------------- comparison

  private comparison(n: ComparisonNode, sc: Scope): P {
    const { op, left, right } = n;
    if (isTimeNode(right) && !isTimeNode(left)) return this.timeComparison(op, left, right, sc);
    if (isTimeNode(left) && !isTimeNode(right)) return this.timeComparison(FLIP[op], right, left, sc);
    const r = this.value(right, sc);
    return this.subjectTest(left, sc, (l) => this.compareValues(op, l, r, n));
  }

  /** `l op r` with the reference's rules (src/pql/values.ts compareValues): false on null or on different kinds. */
  private compareValues(op: ComparisonOp, l: V, r: V, n: PqlExpr): P {
    if (l.refused || r.refused) {
      // Equality is by instant for a date-time, and so is an order against a number; any other order may compare its text.
      const other = l.refused ? r : l;
      const textFree = op === "=" || op === "!=" || (!other.refused && (isNumeric(other.type) || other.type.kind === "boolean"));
      return textFree ? REFUSED_P : this.untyped(`'${op}' with`, n);
    }
    const lk = l.type.kind;
    const rk = r.type.kind;
    if (lk === "null" || rk === "null") return FALSE;
    const cmp = (a: string, b: string): P => ({ sql: this.d.compare(op, a, b), nullable: l.nullable || r.nullable });
    if (isNumeric(l.type) && isNumeric(r.type)) return cmp(l.sql, r.sql);
    if (lk === "string" && rk === "string") return this.compareStrings(op, l, r);
    const timed = (k: string): boolean => k === "timestamp" || k === "date";
    if (timed(lk) && timed(rk)) return cmp(this.asTimestamp(l), this.asTimestamp(r));
    if (timed(lk) && rk === "string") return this.compareTimeWithString(op, l, r, n);
    if (lk === "string" && timed(rk)) return this.compareTimeWithString(FLIP[op], r, l, n);
    // A number meeting a time is epoch ms (a date-time stored as a number, `now` as a value): instants (values.ts).
    if (isNumeric(l.type) && (timed(rk) || rk === "string")) return this.compareEpochMs(FLIP[op], r, l);
    if ((timed(lk) || lk === "string") && isNumeric(r.type)) return this.compareEpochMs(op, l, r);
    if (op !== "=" && op !== "!=") return FALSE;
    if (lk === "boolean" && rk === "boolean") return cmp(l.sql, r.sql);
    if (lk === "list" && rk === "list") return this.compareLists(op, l, r, n);
    if (lk === "struct" && rk === "struct") {
      if (!sameType(l.type, r.type)) this.fail(SQL_ERROR_CODES.mixedTypes, `objects of different shapes (${describeSqlType(l.type)}) are not compared in SQL`, n);
      return cmp(l.sql, r.sql);
    }
    if (lk === rk) this.notCompiled(`comparing two values of type ${describeSqlType(l.type)}`, n);
    return FALSE;
  }

  /** A time (or a string that holds one; else false) against epoch ms, by milliseconds as the reference compares them. */
  private compareEpochMs(op: ComparisonOp, t: V, ms: V): P {
    const instant = t.type.kind === "string" ? this.d.stringToTimestamp(t.sql) : this.asTimestamp(t);
    return { sql: this.d.coalesce([this.d.compare(op, this.d.timestampToEpochMs(instant), ms.sql), "FALSE"]), nullable: false };
  }

  /** Two strings: by instant when both are timestamps, else by code units (src/pql/values.ts). */
  private compareStrings(op: ComparisonOp, l: V, r: V): P {
    const nullable = l.nullable || r.nullable;
    const plain = this.textCompare(op, l, r);
    const lt = this.literalTime(l);
    const rt = this.literalTime(r);
    // A literal that is not a timestamp: both-timestamps cannot hold.
    if (lt === null || rt === null) return { sql: plain, nullable };
    if (lt !== undefined && rt !== undefined) return { sql: this.d.compare(op, this.d.timestamp(lt), this.d.timestamp(rt)), nullable: false };
    const a = lt !== undefined ? this.d.timestamp(lt) : this.d.stringToTimestamp(l.sql);
    const b = rt !== undefined ? this.d.timestamp(rt) : this.d.stringToTimestamp(r.sql);
    return { sql: this.d.coalesce([this.d.compare(op, a, b), plain]), nullable };
  }

  /**
   * Strings by UTF-16 code unit, as the reference compares them. The engine's code point order agrees for = and !=,
   * and for any order against a literal whose characters are all below U+D800 (a difference needs a character in
   * U+E000–U+FFFF meeting one beyond U+FFFF).
   */
  private textCompare(op: ComparisonOp, l: V, r: V): string {
    if (typeof l.literal === "string" && typeof r.literal === "string") return order(op, l.literal, r.literal) ? "TRUE" : "FALSE";
    const low = (v: V): boolean => typeof v.literal === "string" && !/[\uD800-\uFFFF]/.test(v.literal);
    if (op === "=" || op === "!=" || low(l) || low(r)) return this.d.compare(op, l.sql, r.sql);
    return this.d.utf16Compare(op, l.sql, r.sql);
  }

  /** A string literal's instant: a number, null when the literal is not a timestamp, undefined when not a literal. */
  private literalTime(v: V): number | null | undefined {
    if (typeof v.literal !== "string") return undefined;
    return timestampOf(v.literal) ?? null;
  }

  /** A date-time/date value against a string: the string must be a timestamp; the typed value's own text is gone. */
  private compareTimeWithString(op: ComparisonOp, t: V, s: V, n: PqlExpr): P {
    const st = this.literalTime(s);
    if (typeof st === "number") return { sql: this.d.compare(op, this.asTimestamp(t), this.d.timestamp(st)), nullable: t.nullable };
    if (op === "=" || op === "!=") {
      // A timestamp's text never equals a string that is not a timestamp.
      if (st === null) return op === "=" ? FALSE : { sql: this.d.isNotNull(t.sql), nullable: false };
      const byInstant = this.d.compare(op, this.asTimestamp(t), this.d.stringToTimestamp(s.sql));
      const otherwise = op === "=" ? "FALSE" : this.d.and([this.d.isNotNull(t.sql), this.d.isNotNull(s.sql)]);
      return { sql: this.d.coalesce([byInstant, otherwise]), nullable: false };
    }
    // Ordered by text: a date-time's text starts with a digit, so a literal that does not decides on its first character.
    if (st === null) {
      const lit = s.literal as string;
      const c = lit.charCodeAt(0);
      const textBelow = lit === "" || c < 48; // the date-time's text sorts after the literal
      if (textBelow || c > 57) {
        const holds = textBelow ? op === ">" || op === ">=" : op === "<" || op === "<=";
        return holds ? { sql: this.d.isNotNull(t.sql), nullable: false } : FALSE;
      }
    }
    return this.fail(
      SQL_ERROR_CODES.typedText,
      `'${op}' between a date-time and a string that may not be a timestamp compares the date-time's original text, which SQL does not keep`,
      n,
    );
  }

  private compareLists(op: ComparisonOp, l: V, r: V, n: PqlExpr): P {
    const li = (l.type as { items: SqlType }).items;
    const ri = (r.type as { items: SqlType }).items;
    const nullable = l.nullable || r.nullable;
    // An empty literal list.
    if (li.kind === "null" || ri.kind === "null") {
      const other = li.kind === "null" ? r : l;
      const otherEmpty = li.kind === "null" && ri.kind === "null";
      if (otherEmpty) return op === "=" ? TRUE : FALSE;
      return { sql: `${this.d.listLength(other.sql)} ${op === "=" ? "=" : "<>"} 0`, nullable };
    }
    const ok =
      (isNumeric(li) && isNumeric(ri)) ||
      (li.kind === "boolean" && ri.kind === "boolean") ||
      (li.kind === "timestamp" && ri.kind === "timestamp") ||
      (li.kind === "date" && ri.kind === "date") ||
      (li.kind === "string" && ri.kind === "string" && (this.plainStrings(l) || this.plainStrings(r))) ||
      ((li.kind === "struct" || li.kind === "list") && sameType(li, ri) && !this.holdsStrings(li));
    if (!ok && li.kind === "string" && ri.kind === "string") {
      // Element by element with the reference's string equality (timestamps by instant), which is plain equality
      // unless both lists hold something that may be a timestamp.
      const sql = this.bindAll([l, r], ([a, b]) => {
        const [x, y] = [a as string, b as string];
        const plain = this.d.compare(op, x, y);
        return this.d.caseWhen([[this.d.or([`${this.timestampLike(x)} = 0`, `${this.timestampLike(y)} = 0`]), plain]], this.d.compare(op, this.eqKeys(x), this.eqKeys(y)));
      });
      return { sql, nullable };
    }
    if (!ok) {
      const mismatch = joinTypes(li, ri) === undefined;
      if (mismatch) {
        // Lists of different element kinds: equal only when both are empty.
        const bothEmpty = this.d.and([`${this.d.listLength(l.sql)} = 0`, `${this.d.listLength(r.sql)} = 0`]);
        return { sql: op === "=" ? bothEmpty : this.d.not(bothEmpty), nullable };
      }
      this.notCompiled(`comparing lists of ${describeSqlType(li)} (strings compare by instant when they are timestamps)`, n);
    }
    return { sql: this.d.compare(op, l.sql, r.sql), nullable };
  }

  private plainStrings(v: V): boolean {
    return v.plainStrings === true;
  }

  private holdsStrings(t: SqlType): boolean {
    switch (t.kind) {
      case "string":
        return true;
      case "list":
        return this.holdsStrings(t.items);
      case "struct":
        return [...t.fields.values()].some((f) => this.holdsStrings(f));
      case "map":
        return this.holdsStrings(t.values);
      default:
        return false;
    }
  }

  /** A date-time, date, number (epoch ms) or timestamp string as a TIMESTAMP; undefined when it cannot be a time. */
  private timeOf(v: V): TimeV | undefined {
    const constant = (ms: number): TimeV => ({ sql: this.d.timestamp(Math.max(-MAX_TIME_MS, Math.min(MAX_TIME_MS, ms))), type: TIMESTAMP, nullable: false, ms });
    switch (v.type.kind) {
      case "timestamp":
        return v;
      case "date":
        return { ...v, sql: this.d.dateToTimestamp(v.sql), type: TIMESTAMP, simple: false };
      case "integer":
      case "double":
        if (typeof v.literal === "number") return constant(v.literal);
        // Epoch ms beyond any TIMESTAMP are clamped to the edge: they still compare beyond every bound a TIMESTAMP holds.
        return { ...v, sql: this.d.epochMsToTimestamp(v.sql, MAX_TIME_MS), type: TIMESTAMP, simple: false };
      case "string": {
        const t = this.literalTime(v);
        if (t === null) return undefined;
        if (typeof t === "number") return constant(t);
        return { sql: this.d.stringToTimestamp(v.sql), type: TIMESTAMP, nullable: true };
      }
      default:
        return undefined;
    }
  }

  private asTimestamp(v: V): string {
    return v.type.kind === "date" ? this.d.dateToTimestamp(v.sql) : v.sql;
  }

  // ---------------------------------------------------------------- time

  /** `T op R` where R is a time reference: interval semantics (grammar/DECISIONS.md). */
  private timeComparison(op: ComparisonOp, subject: PqlExpr, ref: PqlExpr, sc: Scope): P {
    const iv = this.interval(ref, sc);
    if (iv.kind === "never") return FALSE;
    const [s, e, instant] = this.bounds(iv);
    let range: Range;
    switch (op) {
      case "=":
        range = intervalRange(s, e, instant);
        break;
      case "!=":
        range = { ...intervalRange(s, e, instant), neg: true };
        break;
      case "<":
        range = { hi: s, hiIn: false, loIn: true };
        break;
      case ">=":
        range = { lo: s, loIn: true, hiIn: true };
        break;
      case "<=":
        range = instant ? { hi: s, hiIn: true, loIn: true } : { hi: e, hiIn: false, loIn: true };
        break;
      case ">":
        range = instant ? { lo: s, loIn: false, hiIn: true } : { lo: e, loIn: true, hiIn: true };
        break;
    }
    return this.subjectInRange(subject, range, sc);
  }

  private bounds(iv: Exclude<Interval, { kind: "never" }>): [Bound, Bound, boolean] {
    if (iv.kind === "const") return [iv.s, iv.e, iv.s === iv.e];
    return [iv.s, iv.e, iv.instant];
  }

  private subjectInRange(subject: PqlExpr, range: Range, sc: Scope): P {
    return this.subjectTest(subject, sc, (leaf) => {
      const t = this.timeOf(leaf);
      if (t === undefined) return FALSE;
      return this.inRange(t, range);
    });
  }

  /** `t` in the range (or, with neg, present and not in it); the reference's Range.has. */
  private inRange(t: TimeV, r: Range): P {
    const bounds = [r.lo, r.hi].filter((b): b is Bound => b !== undefined);
    // A NaN bound (an impossible date) makes the whole test false, negated or not.
    if (bounds.some((b) => typeof b === "number" && Number.isNaN(b))) return FALSE;
    if (t.ms !== undefined && bounds.every((b) => typeof b === "number")) {
      const ms = t.ms;
      const inside =
        (r.lo === undefined || (r.loIn ? ms >= (r.lo as number) : ms > (r.lo as number))) && (r.hi === undefined || (r.hiIn ? ms <= (r.hi as number) : ms < (r.hi as number)));
      return r.neg === true ? (inside ? FALSE : TRUE) : inside ? TRUE : FALSE;
    }
    const conds: string[] = [];
    let never = false;
    const lit = (b: Bound): string => (typeof b === "number" ? this.d.timestamp(b) : b);
    if (r.lo !== undefined && r.lo === r.hi && r.loIn && r.hiIn && (typeof r.lo === "string" || Math.abs(r.lo) <= MAX_TIME_MS)) {
      conds.push(`${t.sql} = ${lit(r.lo)}`);
    } else {
      if (r.lo !== undefined) {
        if (typeof r.lo === "string") conds.push(`${t.sql} ${r.loIn ? ">=" : ">"} ${r.lo}`);
        else if (r.lo > MAX_TIME_MS) never = true;
        else if (r.lo >= -MAX_TIME_MS) conds.push(`${t.sql} ${r.loIn ? ">=" : ">"} ${lit(r.lo)}`);
      }
      if (r.hi !== undefined) {
        if (typeof r.hi === "string") conds.push(`${t.sql} ${r.hiIn ? "<=" : "<"} ${r.hi}`);
        else if (r.hi < -MAX_TIME_MS) never = true;
        else if (r.hi <= MAX_TIME_MS) conds.push(`${t.sql} ${r.hiIn ? "<=" : "<"} ${lit(r.hi)}`);
      }
    }
    const present: P = t.nullable ? { sql: this.d.isNotNull(t.sql), nullable: false } : TRUE;
    if (never) return r.neg === true ? present : FALSE;
    if (conds.length === 0) return r.neg === true ? FALSE : present;
    const p = this.d.and(conds);
    // NOT keeps NULL (a missing time) NULL, i.e. false, as the reference does.
    return { sql: r.neg === true ? this.d.not(p) : p, nullable: true };
  }

  private occurs(subject: PqlExpr, spec: OccursSpec, sc: Scope): P {
    switch (spec.form) {
      case "on": {
        const iv = this.interval(spec.ref, sc);
        if (iv.kind === "never") return FALSE;
        const [s, e, instant] = this.bounds(iv);
        return this.subjectInRange(subject, intervalRange(s, e, instant), sc);
      }
      case "direction": {
        const iv = this.interval(spec.ref, sc);
        if (iv.kind === "never") return FALSE;
        const [s, e] = this.bounds(iv);
        const range: Range = spec.direction === "before" ? { hi: s, hiIn: false, loIn: true } : { lo: e, loIn: true, hiIn: true };
        return this.subjectInRange(subject, range, sc);
      }
      case "between": {
        const a = this.interval(spec.from, sc);
        const b = this.interval(spec.to, sc);
        if (a.kind === "never" || b.kind === "never") return FALSE;
        const [as] = this.bounds(a);
        const [bs, be, bInstant] = this.bounds(b);
        return this.subjectInRange(subject, bInstant ? { lo: as, loIn: true, hi: bs, hiIn: true } : { lo: as, loIn: true, hi: be, hiIn: false }, sc);
      }
      case "offset": {
        const iv = this.interval(spec.ref, sc);
        if (iv.kind === "never") return FALSE;
        const before = spec.direction === "before";
        const n = before ? -spec.amount : spec.amount;
        const { op, unit } = spec;
        let anchor: Bound;
        let p: Bound;
        let granule: [Bound, Bound] | undefined;
        if (iv.kind === "const") {
          anchor = before ? iv.s : iv.e;
          p = addUnits(anchor, n, unit);
          if (op === "=" || op === "!=") {
            const gs = startOfUnit(p, unit);
            granule = [gs, addUnits(gs, 1, unit)];
          }
        } else {
          anchor = before ? iv.s : iv.e;
          p = this.addUnitsSql(anchor, n, unit);
          if (op === "=" || op === "!=") granule = typeof p === "number" ? [p, p] : [this.d.startOf(p, unit), this.addUnitsSql(this.d.startOf(p, unit), 1, unit)];
        }
        let range: Range;
        switch (op) {
          case "<=":
            range = before ? { lo: p, loIn: true, hi: anchor, hiIn: false } : { lo: anchor, loIn: true, hi: p, hiIn: true };
            break;
          case "<":
            range = before ? { lo: p, loIn: false, hi: anchor, hiIn: false } : { lo: anchor, loIn: true, hi: p, hiIn: false };
            break;
          case ">=":
            range = before ? { hi: p, hiIn: true, loIn: true } : { lo: p, loIn: true, hiIn: true };
            break;
          case ">":
            range = before ? { hi: p, hiIn: false, loIn: true } : { lo: p, loIn: false, hiIn: true };
            break;
          case "=":
          case "!=": {
            const [gs, ge] = granule as [Bound, Bound];
            range = { lo: gs, loIn: true, hi: ge, hiIn: false, neg: op === "!=" };
            break;
          }
        }
        return this.subjectInRange(subject, range, sc);
      }
    }
  }

  /** ts + n units in SQL; ±Infinity when the shift alone leaves every TIMESTAMP behind. */
  private addUnitsSql(ts: string, n: number, unit: TimeUnit): Bound {
    const fixed = FIXED_MS[unit];
    const months = n * (MONTHS_PER[unit] ?? 1);
    const reach = fixed !== undefined ? Math.abs(n * fixed) : Math.abs(months) * 31 * MS_PER_DAY;
    if (reach > 2 * MAX_TIME_MS) return n < 0 ? -Infinity : Infinity;
    if (fixed !== undefined) return this.d.addMilliseconds(ts, n * fixed);
    return this.d.addMonths(ts, months);
  }

  /** A time reference as an interval: constants from the clock where possible. */
  private interval(n: PqlExpr, sc: Scope): Interval {
    const now = this.o.now;
    switch (n.nodeType) {
      case "timeKeyword": {
        if (n.keyword === "now") return { kind: "const", s: now, e: now };
        const s = startOfDay(now) + (n.keyword === "today" ? 0 : n.keyword === "yesterday" ? -MS_PER_DAY : MS_PER_DAY);
        return { kind: "const", s, e: s + MS_PER_DAY };
      }
      case "relativeTime": {
        const cur = startOfUnit(now, n.unit);
        const s = n.which === "this" ? cur : addUnits(cur, n.which === "last" ? -1 : 1, n.unit);
        return { kind: "const", s, e: addUnits(s, 1, n.unit) };
      }
      case "functionCall":
        if (n.name === "date") return this.dateInterval(n, sc);
        break;
      default:
        break;
    }
    const v = this.value(n, sc);
    if (v.projected) return { kind: "never" };
    switch (v.type.kind) {
      case "timestamp":
        return { kind: "sql", s: v.sql, e: v.sql, instant: true };
      case "date": {
        const s = this.d.dateToTimestamp(v.sql);
        return { kind: "sql", s, e: this.d.addMilliseconds(s, MS_PER_DAY), instant: false };
      }
      case "integer":
      case "double":
        if (typeof v.literal === "number") return { kind: "const", s: v.literal, e: v.literal };
        return { kind: "sql", s: this.d.epochMsToTimestamp(v.sql, MAX_TIME_MS), e: this.d.epochMsToTimestamp(v.sql, MAX_TIME_MS), instant: true };
      case "string": {
        if (typeof v.literal === "string") {
          const t = timestampOf(v.literal);
          if (t === undefined) return { kind: "never" };
          return { kind: "const", s: t, e: v.literal.length === 10 ? t + MS_PER_DAY : t };
        }
        return this.fail(SQL_ERROR_CODES.typedText, "a string field used as a time reference (a date or an instant depending on its text) is not yet compiled to SQL; type the field as date or date-time", n);
      }
      default:
        return { kind: "never" };
    }
  }

  private dateInterval(n: FunctionCallNode, sc: Scope): Interval {
    const args = n.args.map((a) => this.constNumber(a));
    if (args.every((a) => a !== undefined)) {
      const [y, m, d] = args as number[];
      const s = typeof y === "number" && typeof m === "number" && typeof d === "number" ? utcDate(y, m, d) : NaN;
      return Number.isNaN(s) ? { kind: "never" } : { kind: "const", s, e: s + MS_PER_DAY };
    }
    const [y, m, d] = n.args.map((a) => this.value(a, sc)) as [V, V, V];
    if (![y, m, d].every((v) => isNumeric(v.type))) return { kind: "never" };
    const s = this.d.makeDate(y.sql, m.sql, d.sql);
    return { kind: "sql", s, e: this.d.addMilliseconds(s, MS_PER_DAY), instant: false };
  }

  /** The value of a constant numeric expression (literals, arithmetic on them, currentYear() …), else undefined. */
  private constNumber(n: PqlExpr): number | null | undefined {
    switch (n.nodeType) {
      case "literal":
        return typeof n.value === "number" ? n.value : null;
      case "negate": {
        const v = this.constNumber(n.operand);
        return typeof v === "number" ? -v : v === null ? null : undefined;
      }
      case "arithmetic": {
        const a = this.constNumber(n.left);
        const b = this.constNumber(n.right);
        if (a === undefined || b === undefined) return undefined;
        if (a === null || b === null) return null;
        const r = n.op === "+" ? a + b : n.op === "-" ? a - b : n.op === "*" ? a * b : b === 0 ? NaN : n.op === "/" ? a / b : a % b;
        return Number.isFinite(r) ? r : null;
      }
      case "functionCall": {
        const [y, m, d] = civil(this.o.now);
        return n.name === "currentYear" ? y : n.name === "currentMonth" ? m : n.name === "currentDayOfMonth" ? d : undefined;
      }
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- membership, strings

  private membership(n: MembershipNode, sc: Scope): P {
    const negate = n.op === "notIn";
    const right = n.right;
    if (right.nodeType === "list" && right.items.every((i) => i.nodeType === "literal")) {
      const items = right.items.map((i) => (i as { value: string | number | boolean }).value);
      return this.subjectTest(n.left, sc, (l) => this.inLiterals(l, items, negate));
    }
    this.unordered.add(right);
    const r = this.value(right, sc);
    return this.subjectTest(n.left, sc, (l) => {
      const has = this.listHas(r, l, n);
      if (has === undefined) return FALSE;
      if (!negate) return has;
      // notIn: the right side is a list and no element equals the (present) left side.
      return { sql: this.d.and([this.d.isNotNull(l.sql), this.d.isNotNull(r.sql), this.d.isNotTrue(has.sql)]), nullable: false };
    });
  }

  /** `l in [literals]` (or notIn) for a present l, with the reference's equality (timestamps by instant). */
  private inLiterals(l: V, items: ReadonlyArray<string | number | boolean>, negate: boolean): P {
    const k = l.type.kind;
    const same = items.filter((i) =>
      isNumeric(l.type) ? typeof i === "number" : k === "string" ? typeof i === "string" : k === "boolean" ? typeof i === "boolean" : false,
    );
    const times = items.filter((i): i is string => typeof i === "string" && timestampOf(i) !== undefined).map((i) => timestampOf(i) as number);
    const lit = (i: string | number | boolean): string =>
      typeof i === "string" ? this.d.string(i) : typeof i === "number" ? (Number.isInteger(i) ? this.d.integer(i) : this.d.double(i)) : this.d.boolean(i);
    let has: P;
    if (k === "timestamp" || k === "date") {
      has = times.length === 0 ? FALSE : { sql: this.d.inList(this.asTimestamp(l), times.map((t) => this.d.timestamp(t)), false), nullable: l.nullable };
    } else if (k === "string" && times.length > 0) {
      const byText = same.length === 0 ? undefined : this.d.inList(l.sql, same.map(lit), false);
      const byInstant = this.d.inList(this.d.stringToTimestamp(l.sql), times.map((t) => this.d.timestamp(t)), false);
      has = { sql: byText === undefined ? byInstant : this.d.or([byText, byInstant]), nullable: true };
    } else if (same.length === 0) {
      has = FALSE;
    } else {
      // Plain IN is exact: SQL's IN and NOT IN are NULL for a NULL l, i.e. false either way, like the reference.
      return { sql: this.d.inList(l.sql, same.map(lit), negate), nullable: l.nullable };
    }
    if (!negate) return has;
    return { sql: this.d.and([this.d.isNotNull(l.sql), this.d.isNotTrue(has.sql)]), nullable: false };
  }

  /** TRUE when list `r` has an element equal to `x` (reference equality); undefined when `r` is not a list. */
  private listHas(r: V, x: V, n: PqlExpr): P | undefined {
    if (r.type.kind !== "list") return undefined;
    const items = r.type.items;
    if (items.kind === "null" || x.type.kind === "null") return FALSE;
    if (joinTypes(items, x.type) === undefined && !(this.timed(items) && this.timed(x.type))) return FALSE;
    if (items.kind === "string" && x.type.kind === "string" && this.literalTime(x) !== null && !this.plainStrings(r)) {
      const keyed = this.d.listContains(this.eqKeys(r.sql), this.eqKey(x.sql));
      if (typeof this.literalTime(x) === "number") return { sql: keyed, nullable: true };
      // Plain equality unless the value may be a timestamp; a missing value is in no list.
      const sql = this.d.caseWhen([[this.d.isNull(x.sql), "NULL"], [this.d.not(this.d.maybeTimestamp(x.sql)), this.d.listContains(r.sql, x.sql)]], keyed);
      return { sql, nullable: true };
    }
    if (this.holdsStrings(items) && items.kind !== "string") this.notCompiled(`membership in a list of ${describeSqlType(items)}`, n);
    if (this.timed(items) && items.kind !== x.type.kind) {
      return { sql: this.d.listContains(this.timestamps(r.sql, items), this.asTimestamp(x)), nullable: true };
    }
    return { sql: this.d.listContains(r.sql, x.sql), nullable: true };
  }

  private timed(t: SqlType): boolean {
    return t.kind === "timestamp" || t.kind === "date";
  }

  private timestamps(list: string, items: SqlType): string {
    if (items.kind !== "date") return list;
    const x = this.fresh("t");
    return this.d.listTransform(list, this.d.lambda([x], this.d.dateToTimestamp(x)));
  }

  /** The key under which two strings are equal for the reference: the instant of a timestamp, else the text. */
  private eqKey(s: string): string {
    return this.d.textKey(s);
  }

  private eqKeys(list: string): string {
    const x = this.fresh("s");
    return this.d.listTransform(list, this.d.lambda([x], this.eqKey(x)));
  }

  /** How many elements of a string list may be timestamps (a cheap test). */
  private timestampLike(list: string): string {
    const x = this.fresh("s");
    return this.d.listLength(this.d.listFilter(list, this.d.lambda([x], this.d.maybeTimestamp(x))));
  }

  /** TRUE when a list has a NULL element (which the reference's equality finds: null equals null in arrays). */
  private hasNull(list: V): string {
    return list.noNulls === true ? "FALSE" : this.d.isNotNull(this.d.listPosition(list.sql, "NULL"));
  }

  /** f over several values, each bound once (see bindValue). */
  private bindAll(vs: readonly V[], f: (sqls: string[]) => string, bound: string[] = []): string {
    const [first, ...rest] = vs;
    if (first === undefined) return f(bound);
    return this.bindValue(first, (s) => this.bindAll(rest, f, [...bound, s])).sql;
  }

  private like(n: LikeNode, sc: Scope): P {
    const p = this.value(n.pattern, sc);
    if (p.refused) return this.untyped("like with", n);
    if (p.type.kind !== "string") return FALSE;
    // A pattern computed at run time longer than the reference's limit matches nothing (a literal one is a check error).
    const withinLimit = p.literal === undefined ? `${this.d.utf16Length(p.sql)} <= ${PQL_LIMITS.maxPatternLength}` : undefined;
    return this.subjectTest(n.left, sc, (l) => {
      if (l.refused) return this.untyped("like on", n);
      if (l.type.kind !== "string") return FALSE;
      const like = this.d.like(l.sql, p.sql);
      return { sql: withinLimit === undefined ? like : this.d.and([like, withinLimit]), nullable: true };
    });
  }

  private matches(n: MatchesNode, sc: Scope): P {
    // The subject before the pattern, whose refusal would leave the subject's own refusals unseen.
    const subject = this.subjectValue(n.left, sc);
    const pattern = this.regexOf(n.pattern, "test", n, sc);
    if (pattern === undefined) return FALSE;
    return this.testSubject(subject, n.left, (l) => {
      if (l.refused) return this.untyped("matches on", n);
      return l.type.kind === "string" ? { sql: this.d.regexMatches(l.sql, pattern.re), nullable: true } : FALSE;
    });
  }

  /** The engine pattern of a literal regex; undefined when the pattern is not a string (the test is false). */
  private regexOf(node: PqlExpr, purpose: "test" | "extract", at: PqlExpr, sc: Scope): { re: string; groups: number } | undefined {
    if (node.nodeType !== "literal") {
      this.value(node, sc); // for its own refusals
      const t = node.nodeType;
      return this.fail(SQL_ERROR_CODES.regex, `a pattern computed at run time (${t}) cannot be translated to the engine's regex syntax ahead of time; use a literal pattern`, at);
    }
    if (typeof node.value !== "string") return undefined;
    const r = this.d.regex(node.value, purpose);
    if (!r.ok) return this.fail(SQL_ERROR_CODES.regex, `regex ${JSON.stringify(node.value)} has no exact ${this.d.name} equivalent: ${r.message}`, node);
    return { re: r.pattern, groups: r.groups };
  }

  private stringTest(n: MemberCallNode, sc: Scope): P {
    const [needleNode, flagNode] = n.args as [PqlExpr, PqlExpr | undefined];
    const needle = this.value(needleNode, sc);
    if (needle.refused) return this.untyped(`${n.name}() of`, n);
    if (needle.type.kind !== "string") return FALSE;
    const flag = flagNode === undefined ? undefined : this.value(flagNode, sc);
    if (flag !== undefined && flag.type.kind !== "boolean") return FALSE;
    const fn = (s: string, t: string): string => {
      switch (n.name) {
        case "contains":
          return this.d.contains(s, t);
        case "doesNotContain":
          return this.d.not(this.d.contains(s, t));
        case "startsWith":
          return this.d.startsWith(s, t);
        case "doesNotStartWith":
          return this.d.not(this.d.startsWith(s, t));
        case "endsWith":
          return this.d.endsWith(s, t);
        case "doesNotEndWith":
          return this.d.not(this.d.endsWith(s, t));
        case "equals":
          return this.d.compare("=", s, t);
        default:
          return this.d.compare("!=", s, t);
      }
    };
    return this.subjectTest(n.receiver, sc, (l) => {
      if (l.refused) return this.untyped(`${n.name}() on`, n);
      if (l.type.kind !== "string") return FALSE;
      const sensitive = fn(l.sql, needle.sql);
      const insensitive = fn(this.d.lower(l.sql), this.d.lower(needle.sql));
      if (flag === undefined || flag.literal === true) return { sql: sensitive, nullable: true };
      if (flag.literal === false) return { sql: insensitive, nullable: true };
      return { sql: this.d.caseWhen([[flag.sql, sensitive], [this.d.not(flag.sql), insensitive]]), nullable: true };
    });
  }

  // ================================================================ values

  value(n: PqlExpr, sc: Scope): V {
    const before = this.untypedValues;
    let v: V;
    try {
      v = this.valueOf(n, sc);
    } catch (e) {
      this.recover(e);
      const type = this.refusedTypes.get(e as SqlCompileError);
      v = type === undefined ? REFUSED_V : { ...NULL_V, type };
    }
    if (v.refused) this.untypedValues++;
    return this.untypedValues > before ? REFUSED_V : v;
  }

  private valueOf(n: PqlExpr, sc: Scope): V {
    if (isThis(n)) return sc.implicit;
    switch (n.nodeType) {
      case "literal": {
        const v = n.value;
        if (typeof v === "string") return { sql: this.d.string(v), type: STRING, nullable: false, literal: v, simple: true };
        if (typeof v === "boolean") return { sql: this.d.boolean(v), type: BOOLEAN, nullable: false, literal: v, simple: true };
        if (n.literalType === "Integer") return { sql: this.d.integer(v), type: INTEGER, nullable: false, literal: v, simple: true };
        return { sql: this.d.double(v), type: DOUBLE, nullable: false, literal: v, simple: true };
      }
      case "list":
        return this.listLiteral(n.items, sc, n);
      case "implicitContext":
        return sc.implicit;
      case "varRef": {
        const b = sc.vars.get(n.varName);
        if (b === undefined) return this.fail(SQL_ERROR_CODES.internal, `variable '${n.varName}' is not bound`, n);
        return b.v;
      }
      case "parameterReference":
        return n.position === 1 ? this.profile : NULL_V;
      case "upContext": {
        let t: Scope = sc;
        for (let i = 0; i < n.levels && t.up !== undefined; i++) t = t.up;
        return t.implicit;
      }
      case "fieldLookup": {
        const v = this.path(n, sc);
        return v.projected ? this.presentElements(v) : v;
      }
      case "filter": {
        const arr = this.listValue(n.array, sc);
        if (arr === undefined) return NULL_V;
        const x = this.fresh(this.hintOf(n.array));
        const el: V = { sql: x, type: (arr.type as { items: SqlType }).items, nullable: true, simple: true };
        const cond = this.pred(n.condition, { implicit: el, implicitIsProfile: false, vars: sc.vars, up: sc });
        return { sql: this.d.listFilter(arr.sql, this.d.lambda([x], cond.sql)), type: arr.type, nullable: arr.nullable };
      }
      case "memberCall":
        if (STRING_TESTS.has(n.name) || n.name === "exists") return this.bool(this.pred(n, sc));
        return this.memberValue(n, sc);
      case "functionCall":
        return this.functionValue(n, sc);
      case "timeKeyword":
      case "relativeTime": {
        // As a value (not a time reference) the reference gives the start instant in epoch ms.
        const iv = this.interval(n, sc);
        return iv.kind === "const" ? this.epochMs(iv.s) : NULL_V;
      }
      case "select":
        return this.selectValue(n.variables, sc);
      case "arithmetic":
        return this.arithmetic(n, sc);
      case "negate": {
        const v = this.value(n.operand, sc);
        if (!isNumeric(v.type)) return NULL_V;
        return { sql: this.d.negate(v.sql), type: v.type, nullable: v.nullable };
      }
      case "let":
        return this.value(n.body, this.bindLet(n.varName, n.value, sc));
      case "lambda":
        return this.fail(SQL_ERROR_CODES.internal, "a lambda is only allowed as the whole expression or as the argument of an array function", n);
      case "object": {
        // Like a JavaScript object: a repeated key keeps its first place and its last value.
        const byKey = new Map<string, V>();
        for (const e of n.entries) byKey.set(e.key, this.value(e.value, sc));
        const fields = [...byKey];
        const type = structOf(fields.map(([k, v]) => [k, v.type] as const));
        const seen = new Set<string>();
        for (const [k] of fields) {
          const folded = this.d.caseSensitiveNames ? k : k.toLowerCase();
          if (k === "" || seen.has(folded)) {
            this.fail(SQL_ERROR_CODES.names, k === "" ? "an object key that is empty cannot be a struct field" : `object keys that differ only in case are one struct field in ${this.d.name}`, n, type);
          }
          seen.add(folded);
        }
        if (fields.length === 0) return { sql: this.d.map([], NULL_TYPE), type: { kind: "map", values: NULL_TYPE }, nullable: false };
        const typed = fields.map(([k, v]) => [k, v.type.kind === "null" ? this.d.null(INTEGER) : v.sql] as const);
        return { sql: this.d.struct(typed), type, nullable: false };
      }
      case "aggregate":
        return this.aggregate(n, sc);
      case "comparison":
      case "membership":
      case "like":
      case "matches":
      case "and":
      case "or":
      case "not":
      case "occurs":
      case "quantification":
      case "chain":
        return this.bool(this.pred(n, sc));
      default:
        return this.notCompiled(`'${(n as { nodeType: string }).nodeType}'`, n);
    }
  }

  /** The elements of a projection that are present (the reference drops missing values). */
  private presentElements(v: V): V {
    const x = this.fresh("v");
    return { sql: this.d.listFilter(v.sql, this.d.lambda([x], this.d.isNotNull(x))), type: v.type, nullable: v.nullable };
  }

  /** The list `n` is, to iterate over (a value of unknown type is refused: the closure would see its elements' text). */
  private listValue(n: PqlExpr, sc: Scope): V | undefined {
    const v = this.value(n, sc);
    return v.refused ? this.untyped("iterating over", n) : this.asList(v);
  }

  /** A list value, a group's elements, or undefined for anything else. */
  private asList(v: V): V | undefined {
    if (v.type.kind === "list") return v;
    if (v.type.kind === "group") return { sql: this.d.field(v.sql, "g"), type: listOf(v.type.items), nullable: v.nullable, simple: v.simple };
    return undefined;
  }

  private listLiteral(itemNodes: readonly PqlExpr[], sc: Scope, n: PqlExpr): V {
    const items = itemNodes.map((i) => this.value(i, sc));
    let t: SqlType | undefined = NULL_TYPE;
    for (const it of items) {
      t = t === undefined ? undefined : joinTypes(t, it.type);
      if (t === undefined) {
        return this.fail(SQL_ERROR_CODES.mixedTypes, `a list of ${items.map((i) => describeSqlType(i.type)).join(", ")} has no single SQL element type`, n);
      }
    }
    const plainStrings = t.kind === "string" && items.every((i) => typeof i.literal === "string" && timestampOf(i.literal) === undefined);
    return { sql: this.d.list(items.map((i) => i.sql), t), type: listOf(t), nullable: false, plainStrings, noNulls: items.every((i) => !i.nullable) };
  }

  /** A fieldLookup chain: the profile's `xEvent` is the events column; `.f` on a list projects (and flattens). */
  path(n: FieldLookupNode, sc: Scope): V {
    const names: string[] = [];
    let base: PqlExpr = n;
    while (base.nodeType === "fieldLookup") {
      names.push(base.fieldName);
      base = base.object;
    }
    names.reverse();
    let root: V;
    if (this.isProfile(base, sc)) {
      if (names[0] === "xEvent") {
        names.shift();
        root = this.events;
      } else root = this.profile;
    } else root = this.value(base, sc);
    return this.walk(root, names, 0);
  }

  private isProfile(base: PqlExpr, sc: Scope): boolean {
    switch (base.nodeType) {
      case "implicitContext":
        return sc.implicitIsProfile;
      case "parameterReference":
        return base.position === 1;
      case "varRef":
        return sc.vars.get(base.varName)?.profile === true;
      case "upContext": {
        let t: Scope = sc;
        for (let i = 0; i < base.levels && t.up !== undefined; i++) t = t.up;
        return t.implicitIsProfile;
      }
      default:
        return false;
    }
  }

  private walk(root: V, names: readonly string[], from: number): V {
    // A field of a value of unknown type has an unknown type.
    if (root.refused) return root;
    let cur = root;
    for (let i = from; i < names.length; i++) {
      const name = names[i] as string;
      const t = cur.type;
      if (t.kind === "struct") {
        const ft = t.fields.get(name);
        if (ft === undefined) return NULL_V;
        cur = { sql: this.d.field(cur.sql, name), type: ft, nullable: true, simple: cur.simple === true };
      } else if (t.kind === "map") {
        cur = { sql: this.d.mapGet(cur.sql, this.d.string(name)), type: t.values, nullable: true, simple: cur.simple === true };
      } else if (t.kind === "list" || t.kind === "group") {
        const list = this.asList(cur) as V;
        const x = this.fresh(names[i - 1] ?? "x");
        const inner = this.walk({ sql: x, type: (list.type as { items: SqlType }).items, nullable: true, simple: true }, names, i);
        let sql = this.d.listTransform(list.sql, this.d.lambda([x], inner.sql));
        let items = inner.type;
        while (items.kind === "list") {
          sql = this.d.flatten(sql);
          items = items.items;
        }
        return { sql, type: listOf(items), projected: true, nullable: cur.nullable };
      } else return NULL_V;
    }
    return cur;
  }

  private bindLet(name: string, valueNode: PqlExpr, sc: Scope): Scope {
    const v = this.value(valueNode, sc);
    const profile = valueNode.nodeType === "implicitContext" ? sc.implicitIsProfile : this.isProfile(valueNode, sc);
    return { ...sc, vars: new Map(sc.vars).set(name, { v, profile }) };
  }

  private arithmetic(n: ArithmeticNode, sc: Scope): V {
    const l = this.value(n.left, sc);
    const r = this.value(n.right, sc);
    if (!isNumeric(l.type) || !isNumeric(r.type)) return NULL_V;
    // JavaScript numbers are doubles: compute in DOUBLE (no integer overflow, no integer division).
    const a = l.type.kind === "double" || r.type.kind === "double" ? l.sql : this.d.toDouble(l.sql);
    const bl = boundOf(l);
    const br = boundOf(r);
    let sql: string;
    let bound: number;
    let nullable = l.nullable || r.nullable;
    if ((n.op === "/" || n.op === "%") && r.literal === 0) return NULL_V;
    if (n.op === "/" || n.op === "%") {
      const nonZero = typeof r.literal === "number" && r.literal !== 0;
      sql = this.d.arithmetic(n.op, a, nonZero ? r.sql : this.d.nullIfZero(r.sql));
      nullable ||= !nonZero;
      // |a % b| <= |a|; |a / b| <= |a| / min|b|, and a non-zero integer is at least 1.
      bound = n.op === "%" ? bl : nonZero ? bl / Math.abs(r.literal as number) : r.type.kind === "integer" ? bl : Infinity;
    } else {
      sql = this.d.arithmetic(n.op, a, r.sql);
      bound = n.op === "*" ? bl * br : bl + br;
    }
    // A result that may leave the finite range is missing in the reference, as Infinity is not a number there.
    if (!(bound < 1e307)) return { sql: this.d.finite(sql), type: DOUBLE, nullable: true, bound: Number.MAX_VALUE };
    return { sql, type: DOUBLE, nullable, bound };
  }

  // ---------------------------------------------------------------- functions

  private functionValue(n: FunctionCallNode, sc: Scope): V {
    switch (n.name) {
      case "date": {
        const iv = this.dateInterval(n, sc);
        if (iv.kind === "never") return NULL_V;
        return iv.kind === "const" ? this.epochMs(iv.s) : { sql: this.d.timestampToEpochMs(iv.s), type: INTEGER, nullable: true };
      }
      case "if": {
        const [t, a, b] = n.args as [PqlExpr, PqlExpr, PqlExpr];
        const test = this.pred(t, sc);
        const va = this.value(a, sc);
        const vb = this.value(b, sc);
        const type = joinTypes(va.type, vb.type);
        if (type === undefined) {
          return this.fail(SQL_ERROR_CODES.mixedTypes, `if() branches of types ${describeSqlType(va.type)} and ${describeSqlType(vb.type)} have no single SQL type`, n);
        }
        if (test.sql === "TRUE") return va;
        if (test.sql === "FALSE") return vb;
        const typed = (v: V): string => (v.type.kind === "null" && type.kind !== "null" ? this.d.null(type) : v.sql);
        return { sql: this.d.caseWhen([[test.sql, typed(va)]], typed(vb)), type, nullable: va.nullable || vb.nullable };
      }
      case "inSegment": {
        const ref = this.value(n.args[0] as PqlExpr, sc);
        if (ref.refused) return this.untyped("inSegment() of", n);
        if (ref.type.kind !== "string") return { sql: "FALSE", type: BOOLEAN, nullable: false };
        const custom = typeof ref.literal === "string" ? this.o.inSegment?.(ref.literal) : undefined;
        const sql = custom ?? this.d.listContains(this.d.field(this.names.alias, this.names.segments), ref.sql);
        return this.bool({ sql, nullable: true });
      }
      case "currentYear":
      case "currentMonth":
      case "currentDayOfMonth": {
        const v = this.constNumber(n) as number;
        return { sql: this.d.integer(v), type: INTEGER, nullable: false, literal: v };
      }
      case "mapEntry": {
        const k = this.value(n.args[0] as PqlExpr, sc);
        const v = this.value(n.args[1] as PqlExpr, sc);
        return {
          sql: this.d.struct([
            ["key", k.sql],
            ["value", v.sql],
          ]),
          type: structOf([
            ["key", k.type],
            ["value", v.type],
          ]),
          nullable: false,
        };
      }
      default:
        return this.notCompiled(`function ${(n as { name: string }).name}()`, n);
    }
  }

  // ---------------------------------------------------------------- member functions

  /** Scope and lambda parameters for a per-element argument (pql.md §4). */
  private perElement(arg: PqlExpr, sc: Scope, itemType: SqlType, hint: string): { params: string[]; scope: Scope; body: PqlExpr } {
    const x = this.fresh(hint);
    const el: V = { sql: x, type: itemType, nullable: true, simple: true };
    if (arg.nodeType !== "lambda") return { params: [x], scope: { implicit: el, implicitIsProfile: false, vars: sc.vars, up: sc }, body: arg };
    const vars = new Map(sc.vars);
    const params = [x];
    if (arg.params.length >= 2) {
      let key: V;
      if (itemType.kind === "group") key = { sql: this.d.field(x, "k"), type: itemType.key, nullable: true, simple: true };
      else {
        const i = this.fresh("i");
        params.push(i);
        key = { sql: this.d.lambdaIndexBase === 0 ? i : `(${i} - ${this.d.lambdaIndexBase})`, type: INTEGER, nullable: false };
      }
      vars.set(arg.params[0] as string, { v: key, profile: false });
      vars.set(arg.params[1] as string, { v: el, profile: false });
      for (const extra of arg.params.slice(2)) vars.set(extra, { v: NULL_V, profile: false });
    } else vars.set(arg.params[0] as string, { v: el, profile: false });
    return { params, scope: { ...sc, vars }, body: arg.body };
  }

  private elementLambda(list: V, arg: PqlExpr, sc: Scope, hint: string, mode: "value"): { lambda: string; v: V };
  private elementLambda(list: V, arg: PqlExpr, sc: Scope, hint: string, mode: "pred"): { lambda: string; p: P };
  private elementLambda(list: V, arg: PqlExpr, sc: Scope, hint: string, mode: "value" | "pred"): { lambda: string; v?: V; p?: P } {
    const { params, scope, body } = this.perElement(arg, sc, (list.type as { items: SqlType }).items, hint);
    if (mode === "pred") {
      const p = this.pred(body, scope);
      return { lambda: this.d.lambda(params, p.sql), p };
    }
    const v = this.value(body, scope);
    return { lambda: this.d.lambda(params, v.sql), v };
  }

  private existsMethod(n: MemberCallNode, sc: Scope): P {
    this.unordered.add(n.receiver);
    const list = this.listValue(n.receiver, sc);
    if (list === undefined) return FALSE;
    const { lambda, p } = this.elementLambda(list, n.args[0] as PqlExpr, sc, this.hintOf(n.receiver), "pred");
    if (p.sql === "FALSE") return FALSE;
    return { sql: `${this.d.listLength(this.d.listFilter(list.sql, lambda))} > 0`, nullable: list.nullable };
  }

  private memberValue(n: MemberCallNode, sc: Scope): V {
    const d = this.d;
    if (n.name === "count") return this.count(n, sc);
    if (["includes", "intersects", "subsetOf", "supersetOf"].includes(n.name)) this.unordered.add(n.receiver);
    if (["intersects", "subsetOf", "supersetOf"].includes(n.name) && n.args[0] !== undefined) this.unordered.add(n.args[0]);
    const recv = this.value(n.receiver, sc);
    if (recv.refused) return this.untypedReceiver(n, sc);
    const list = this.asList(recv);
    const hint = this.hintOf(n.receiver);
    const a0 = n.args[0];
    switch (n.name) {
      case "head":
        if (list === undefined) return NULL_V;
        return { sql: d.listElement(list.sql, "1"), type: (list.type as { items: SqlType }).items, nullable: true };
      case "distinct":
        if (list === undefined) return NULL_V;
        return this.distinct(list, n);
      case "filter": {
        if (list === undefined) return NULL_V;
        const { lambda } = this.elementLambda(list, a0 as PqlExpr, sc, hint, "pred");
        return { sql: d.listFilter(list.sql, lambda), type: list.type, nullable: list.nullable };
      }
      case "map":
        if (list === undefined) return NULL_V;
        return this.map(list, a0 as PqlExpr, sc, hint, n);
      case "sum":
      case "average":
      case "min":
      case "max": {
        if (list === undefined) return NULL_V;
        let values = list;
        if (a0 !== undefined) {
          const { lambda, v } = this.elementLambda(list, a0, sc, hint, "value");
          // Sums and averages are of numbers only; min and max may order text.
          if (v.refused && (n.name === "min" || n.name === "max")) return this.untyped(`${n.name}() of`, n);
          values = { sql: d.listTransform(list.sql, lambda), type: listOf(v.type), nullable: list.nullable };
        }
        const agg = this.aggregateList(n.name, values, n);
        // Not an array: missing (sum over an array of nothing is 0).
        return list.nullable && n.name === "sum" ? { ...agg, sql: d.caseWhen([[d.isNotNull(list.sql), agg.sql]]), nullable: true } : agg;
      }
      case "topN":
      case "bottomN":
        if (list === undefined) return NULL_V;
        return this.topN(list, n, sc, hint);
      case "groupBy":
        if (list === undefined) return NULL_V;
        return this.groupBy(list, a0 as PqlExpr, sc, hint, n);
      case "includes": {
        const x = this.value(a0 as PqlExpr, sc);
        if (list === undefined || x.type.kind === "null") return this.constBool(false);
        const has = this.listHas(list, x, n);
        return has === undefined ? this.constBool(false) : this.bool(has);
      }
      case "intersects":
      case "subsetOf":
      case "supersetOf":
      case "intersection":
        return this.setFunction(n, recv, this.value(a0 as PqlExpr, sc));
      case "get":
        return this.get(recv, this.value(a0 as PqlExpr, sc), n);
      case "keys":
      case "values":
        return this.keysOrValues(recv, n.name, n);
      case "isNull":
      case "isNotNull": {
        if (recv.type.kind === "null") return this.constBool(n.name === "isNull");
        if (!recv.nullable) return this.constBool(n.name === "isNotNull");
        return { sql: n.name === "isNull" ? d.isNull(recv.sql) : d.isNotNull(recv.sql), type: BOOLEAN, nullable: false };
      }
      case "getMonth":
      case "getYear":
      case "getDayOfMonth": {
        const t = this.timeOf(recv);
        if (t === undefined) return NULL_V;
        const part = n.name === "getYear" ? "year" : n.name === "getMonth" ? "month" : "day";
        return { sql: d.datePart(part, t.sql), type: INTEGER, nullable: t.nullable };
      }
      case "regexGroup":
        return this.regexGroup(recv, n, sc);
      default:
        return this.notCompiled(`${n.name}()`, n);
    }
  }

  /** A member function of a value of unknown type: one whose answer its type could make read text is refused. */
  private untypedReceiver(n: MemberCallNode, sc: Scope): V {
    if (!TYPE_FREE.has(n.name)) return this.untyped(`${n.name}() of`, n);
    for (const a of n.args) this.value(a, sc); // for their own refusals
    return REFUSED_V;
  }

  private epochMs(ms: number): V {
    return { sql: this.d.integer(ms), type: INTEGER, nullable: false, literal: ms };
  }

  private constBool(b: boolean): V {
    return { sql: this.d.boolean(b), type: BOOLEAN, nullable: false, literal: b };
  }

  private count(n: MemberCallNode, sc: Scope): V {
    const r = n.receiver;
    if (this.counted(n)) return this.eventCount(r);
    if (r.nodeType === "select") {
      const c = this.selectCount(r.variables, sc, 0);
      return { sql: c, type: INTEGER, nullable: false };
    }
    this.unordered.add(r);
    const v = this.value(r, sc);
    if (v.refused) return REFUSED_V;
    const list = this.asList(v);
    if (list === undefined) return NULL_V;
    return { sql: this.d.listLength(list.sql), type: INTEGER, nullable: list.nullable };
  }

  private counted(n: PqlExpr): boolean {
    return this.o.eventCounts?.nodes.has(n) === true;
  }

  /**
   * The number of the profile's events in a counted list (`xEvent`, `xEvent[C]`, `select`/`exists X from xEvent where C`):
   * C compiled over one event alone, its count read from the row (0 for a profile without events).
   */
  private eventCount(list: PqlExpr): V {
    const { counts } = this.o.eventCounts!;
    const event: V = { sql: EVENT_ELEMENT, type: (this.events.type as { items: SqlType }).items, nullable: true, simple: true };
    const only: Scope = { implicit: event, implicitIsProfile: false, vars: new Map() };
    let condition = TRUE;
    if (list.nodeType === "filter") condition = this.pred(list.condition, only);
    else if (list.nodeType === "select" || list.nodeType === "quantification") {
      const v = list.variables[0] as VarDeclNode;
      if (v.where !== undefined) condition = this.pred(v.where, { ...only, vars: new Map([[v.varName, { v: event, profile: false }]]) });
    }
    const field = this.d.field(this.d.field(this.names.alias, EVENT_COUNTS_COLUMN), countField(counts.add(condition.sql)));
    return { sql: this.d.coalesce([field, this.d.integer(0)]), type: INTEGER, nullable: false };
  }

  /** Some event of a counted list. */
  private someEvent(list: PqlExpr): P {
    return { sql: `${this.eventCount(list).sql} > 0`, nullable: false };
  }

  /** Order-preserving distinct with the reference's equality (1 = 1.0; timestamps by instant). */
  private distinct(list: V, n: PqlExpr): V {
    const d = this.d;
    const items = (list.type as { items: SqlType }).items;
    if (this.holdsStrings(items) && items.kind !== "string") this.notCompiled(`distinct() of ${describeSqlType(items)}`, n, list.type);
    return this.bindValue(list, (l) => {
      const x = this.fresh("x");
      const i = this.fresh("i");
      const index = d.lambdaIndexBase === 1 ? i : `(${i} + 1)`;
      // An element is kept where it first occurs (list_position finds NULL too).
      const plain = d.listFilter(l, d.lambda([x, i], `${d.listPosition(l, x)} = ${index}`));
      if (items.kind !== "string") return plain;
      // Strings: by instant when two or more may be timestamps, with each key computed once.
      const keyed = this.bindValue({ sql: this.eqKeys(l), type: listOf(NULL_TYPE), nullable: true }, (ks) =>
        d.listFilter(l, d.lambda([x, i], `${d.listPosition(ks, d.listElement(ks, i))} = ${index}`)),
      ).sql;
      return d.caseWhen([[`${this.timestampLike(l)} <= 1`, plain]], keyed);
    });
  }

  /** f(list) where f mentions its argument several times: bound once when the list is not a simple reference. */
  private bindValue(v: V, f: (sql: string) => string): V {
    if (v.simple === true) return { sql: f(v.sql), type: v.type, nullable: v.nullable };
    const b = this.fresh("b");
    const body = f(b);
    return { sql: this.d.listElement(this.d.listTransform(this.d.list([v.sql], v.type), this.d.lambda([b], body)), "1"), type: v.type, nullable: v.nullable };
  }

  private map(list: V, arg: PqlExpr, sc: Scope, hint: string, n: MemberCallNode): V {
    const body = arg.nodeType === "lambda" ? arg.body : arg;
    const { lambda, v } = this.elementLambda(list, arg, sc, hint, "value");
    if (body.nodeType === "functionCall" && body.name === "mapEntry") {
      // A map from the entries: only over groups keyed by the group key, whose keys are distinct.
      const items = (list.type as { items: SqlType }).items;
      const keyNode = body.args[0];
      const keyIsGroupKey = arg.nodeType === "lambda" && arg.params.length >= 2 && keyNode?.nodeType === "varRef" && keyNode.varName === arg.params[0];
      if (items.kind !== "group" || !keyIsGroupKey) this.notCompiled("map(… mapEntry(…)) over anything but groupBy(…) keyed by the group key", n);
      const vt = (v.type as { fields: ReadonlyMap<string, SqlType> }).fields;
      const keyType = vt.get("key") as SqlType;
      const valueType = vt.get("value") as SqlType;
      const e = this.fresh("m");
      const entries = this.d.listTransform(list.sql, lambda);
      const keyed = this.d.listFilter(entries, this.d.lambda([e], this.d.and([this.d.isNotNull(this.d.field(e, "key")), this.d.isNotNull(this.d.field(e, "value"))])));
      const k = this.fresh("m");
      const asText = this.d.listTransform(
        keyed,
        this.d.lambda([k], this.d.struct([["key", this.keyText(this.d.field(k, "key"), keyType, n)], ["value", this.d.field(k, "value")]])),
      );
      return { sql: this.d.mapFromEntries(asText), type: { kind: "map", values: valueType }, nullable: list.nullable };
    }
    return { sql: this.d.listTransform(list.sql, lambda), type: listOf(v.type), nullable: list.nullable };
  }

  /** A map key as JavaScript's String(key) writes it. */
  private keyText(k: string, t: SqlType, n: PqlExpr): string {
    switch (t.kind) {
      case "string":
        return k;
      case "integer":
        return this.d.cast(k, STRING);
      case "double":
        return this.d.numberText(k);
      case "boolean":
        return this.d.caseWhen([[k, "'true'"]], "'false'");
      default:
        return this.notCompiled(`a map keyed by ${describeSqlType(t)}`, n);
    }
  }

  private groupBy(list: V, arg: PqlExpr, sc: Scope, hint: string, n: MemberCallNode): V {
    const items = (list.type as { items: SqlType }).items;
    const { lambda, v: keyV } = this.elementLambda(list, arg, sc, hint, "value");
    // Groups are keyed by the key's JSON text in the reference: SQL equality matches it for scalars and lists of
    // them, but not for timestamps (text vs instant) or objects (key order).
    const textual = (t: SqlType): boolean => (t.kind === "list" ? textual(t.items) : t.kind !== "timestamp" && t.kind !== "struct" && t.kind !== "map" && t.kind !== "tuple" && t.kind !== "group");
    if (keyV.refused) this.untyped("groupBy() by", n);
    if (!textual(keyV.type)) this.fail(SQL_ERROR_CODES.typedText, `groupBy() with a key of type ${describeSqlType(keyV.type)} groups by the key's JSON text, which SQL does not keep`, n);
    const d = this.d;
    const type: SqlType = listOf({ kind: "group", key: keyV.type, items });
    const sql = this.bindValue({ ...list, type }, (l) => {
      const keys = d.listTransform(l, lambda);
      const bound = this.bindValue({ sql: keys, type: listOf(keyV.type), nullable: true }, (ks) => {
        const k = this.fresh("k");
        const i = this.fresh("i");
        const index = d.lambdaIndexBase === 1 ? i : `(${i} + 1)`;
        const firsts = d.listFilter(ks, d.lambda([k, i], `${d.listPosition(ks, k)} = ${index}`));
        const g = this.fresh("g");
        // The elements whose key is not distinct from the group's (a missing key is a group too).
        const { params, scope, body } = this.perElement(arg, sc, items, hint);
        const elKey = this.value(body, scope);
        const members = d.listFilter(l, d.lambda(params, d.notDistinct(elKey.sql, g)));
        return d.listTransform(firsts, d.lambda([g], d.struct([["k", g], ["g", members]])));
      });
      return bound.sql;
    });
    return { sql: sql.sql, type, nullable: list.nullable };
  }

  private topN(list: V, n: MemberCallNode, sc: Scope, hint: string): V {
    const d = this.d;
    const [keyArg, countArg] = n.args as [PqlExpr, PqlExpr];
    const count = this.value(countArg, sc);
    if (!isNumeric(count.type)) return NULL_V;
    const items = (list.type as { items: SqlType }).items;
    const { params, scope, body } = this.perElement(keyArg, sc, items, hint);
    const key = this.value(body, scope);
    if (key.refused) this.untyped(`${n.name}() by`, n);
    if (key.type.kind === "null") {
      return { sql: d.caseWhen([[d.isNotNull(list.sql), d.list([], items)]]), type: list.type, nullable: true };
    }
    if (!isNumeric(key.type) && key.type.kind !== "timestamp" && key.type.kind !== "date") this.notCompiled(`${n.name}() by a key of type ${describeSqlType(key.type)}`, n, list.type);
    const desc = n.name === "topN";
    // Sort (key, ±index, element) rows: ties keep the original order, elements without a key are dropped.
    const x = params[0] as string;
    const idx = params.length > 1 ? (params[1] as string) : this.fresh("i");
    const lambdaParams = [x, idx];
    const indexKey = desc ? `- ${idx}` : idx;
    const keyed = d.listTransform(list.sql, d.lambda(lambdaParams, d.struct([["k", key.sql], ["i", indexKey], ["v", x]])));
    const r = this.fresh("r");
    const present = d.listFilter(keyed, d.lambda([r], d.isNotNull(d.field(r, "k"))));
    const sorted = d.listSort(present, desc);
    const s = this.fresh("r");
    const elements = d.listTransform(sorted, d.lambda([s], d.field(s, "v")));
    const countOk = count.type.kind === "integer" ? `${count.sql} >= 0` : `${count.sql} >= 0 AND ${count.sql} = floor(${count.sql})`;
    const sliced = d.listSlice(elements, "1", d.cast(count.sql, INTEGER));
    return { sql: d.caseWhen([[countOk, sliced]]), type: list.type, nullable: true };
  }

  private setFunction(n: MemberCallNode, a: V, b: V): V {
    const d = this.d;
    const name = n.name;
    if (a.type.kind !== "list" || b.type.kind !== "list") return name === "intersection" ? NULL_V : this.constBool(false);
    const ai = a.type.items;
    const bi = b.type.items;
    const nullable = a.nullable || b.nullable;
    const compatible = ai.kind === "null" || bi.kind === "null" || joinTypes(ai, bi) !== undefined || (this.timed(ai) && this.timed(bi));
    if (!compatible) {
      // Nothing in common.
      switch (name) {
        case "intersects":
          return this.constBool(false);
        case "intersection":
          return NULL_V;
        case "subsetOf":
          return this.bool({ sql: d.and([`${d.listLength(a.sql)} = 0`, d.isNotNull(b.sql)]), nullable: true });
        default:
          return this.bool({ sql: d.and([`${d.listLength(b.sql)} = 0`, d.isNotNull(a.sql)]), nullable: true });
      }
    }
    if ((this.holdsStrings(ai) && ai.kind !== "string") || (this.holdsStrings(bi) && bi.kind !== "string")) this.notCompiled(`${name}() of lists of ${describeSqlType(ai)}`, n, name === "intersection" ? a.type : BOOLEAN);
    const strings = ai.kind === "string" && bi.kind === "string" && !this.plainStrings(a) && !this.plainStrings(b);
    const sql = this.bindAll([a, b], ([as, bs]) => {
      const av: V = { ...a, sql: as as string };
      const bv: V = { ...b, sql: bs as string };
      // Plain equality, with NULL elements equal to each other as in the reference (SQL's list functions skip them).
      const ka = this.timed(ai) ? this.timestamps(av.sql, ai) : av.sql;
      const kb = this.timed(bi) ? this.timestamps(bv.sql, bi) : bv.sql;
      const plain = this.setOp(name, av, bv, ka, kb, (x) => (ai.kind === "date" ? d.dateToTimestamp(x) : x));
      if (!strings) return plain;
      // Strings by instant when both lists may hold timestamps (keys hold NULL elements as values).
      const keyed = this.bindAll(
        [
          { sql: this.eqKeys(av.sql), type: listOf(NULL_TYPE), nullable: true },
          { sql: this.eqKeys(bv.sql), type: listOf(NULL_TYPE), nullable: true },
        ],
        ([kas, kbs]) => this.setOp(name, { ...av, noNulls: true }, { ...bv, noNulls: true }, kas as string, kbs as string, (x) => this.eqKey(x)),
      );
      return d.caseWhen([[d.or([`${this.timestampLike(av.sql)} = 0`, `${this.timestampLike(bv.sql)} = 0`]), plain]], keyed);
    });
    if (name === "intersection") return { sql, type: a.type, nullable: true };
    return this.bool({ sql, nullable });
  }

  /** One set function over key lists `ka`, `kb` of `a`, `b` (`key` maps an element of a to its key). */
  private setOp(name: string, a: V, b: V, ka: string, kb: string, key: (x: string) => string): string {
    const d = this.d;
    const bothNull = (p: V, q: V): string | undefined => (p.noNulls === true || q.noNulls === true ? undefined : d.and([this.hasNull(p), this.hasNull(q)]));
    switch (name) {
      case "intersects": {
        const nulls = bothNull(a, b);
        return nulls === undefined ? d.listHasAny(ka, kb) : d.or([d.listHasAny(ka, kb), nulls]);
      }
      case "subsetOf":
      case "supersetOf": {
        const [sub, sup, ksub, ksup] = name === "subsetOf" ? [a, b, ka, kb] : [b, a, kb, ka];
        const all = d.listHasAll(ksup, ksub);
        return sub.noNulls === true ? all : d.and([all, d.or([d.not(this.hasNull(sub)), this.hasNull(sup)])]);
      }
      default: {
        // The elements of a that are in b, each once, in a's order; missing when there are none.
        const x = this.fresh("x");
        const i = this.fresh("i");
        const index = d.lambdaIndexBase === 1 ? i : `(${i} + 1)`;
        const k = key(x);
        const inB = b.noNulls === true || a.noNulls === true ? d.listContains(kb, k) : d.or([d.listContains(kb, k), d.and([d.isNull(x), this.hasNull(b)])]);
        const common = d.listFilter(a.sql, d.lambda([x, i], d.and([inB, `${d.listPosition(ka, k)} = ${index}`])));
        return this.bindValue({ sql: common, type: a.type, nullable: true }, (c) => d.caseWhen([[`${d.listLength(c)} > 0`, c]])).sql;
      }
    }
  }

  private get(m: V, key: V, n: MemberCallNode): V {
    if (key.refused) this.untyped("get() by", n);
    if (key.type.kind !== "string" && !isNumeric(key.type)) return NULL_V;
    if (m.type.kind === "map") {
      const k = key.type.kind === "string" ? key.sql : this.keyText(key.sql, key.type, n);
      return { sql: this.d.mapGet(m.sql, k), type: m.type.values, nullable: true };
    }
    if (m.type.kind === "struct") {
      const name = key.literal;
      if (name === undefined) this.notCompiled("get() of an object with a key computed at run time", n, this.fieldsType(m.type.fields.values()));
      return this.walk(m, [String(name)], 0);
    }
    return NULL_V;
  }

  private keysOrValues(m: V, which: "keys" | "values", n: MemberCallNode): V {
    const d = this.d;
    if (m.type.kind === "map") {
      return { sql: which === "keys" ? d.mapKeys(m.sql) : d.mapValues(m.sql), type: listOf(which === "keys" ? STRING : m.type.values), nullable: m.nullable };
    }
    if (m.type.kind === "struct") {
      if (!this.unordered.has(n)) {
        this.fail(
          SQL_ERROR_CODES.typedText,
          `${which}() of an object as a list: the reference lists its fields in the data's order (explicit nulls included), SQL in the schema's; use it under count(), includes(), exists() or in`,
          n,
        );
      }
      // The present fields, in schema order (the consumer ignores order).
      const fields = [...m.type.fields];
      const t = which === "keys" ? STRING : this.fieldsType(m.type.fields.values());
      if (t === undefined) return this.fail(SQL_ERROR_CODES.mixedTypes, `values() of an object whose fields have different types`, n);
      const entries = fields.map(([k]) => d.caseWhen([[d.isNotNull(d.field(m.sql, k)), which === "keys" ? d.string(k) : d.field(m.sql, k)]]));
      const x = this.fresh("x");
      const present = d.listFilter(d.list(entries, t), d.lambda([x], d.isNotNull(x)));
      return { sql: m.nullable ? d.caseWhen([[d.isNotNull(m.sql), present]]) : present, type: listOf(t), nullable: m.nullable };
    }
    return NULL_V;
  }

  /** The one SQL type of an object's field values (NULL when it has none), or undefined when they have several. */
  private fieldsType(types: Iterable<SqlType>): SqlType | undefined {
    let t: SqlType | undefined = NULL_TYPE;
    for (const ft of types) t = t === undefined ? undefined : joinTypes(t, ft);
    return t;
  }

  private regexGroup(s: V, n: MemberCallNode, sc: Scope): V {
    const [patternNode, indexNode] = n.args as [PqlExpr, PqlExpr | undefined];
    if (s.type.kind !== "string") return NULL_V;
    const index = indexNode === undefined ? 0 : this.constNumber(indexNode);
    if (index === undefined) {
      for (const a of n.args) this.value(a, sc); // for their own refusals
      this.notCompiled("regexGroup() with a group index computed at run time", n, STRING);
    }
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0) return NULL_V;
    const pattern = this.regexOf(patternNode, "extract", n, sc);
    if (pattern === undefined || index > pattern.groups) return NULL_V;
    if (index > 0 && /[|?*]|\{0/.test(this.stripEscapes(patternNode))) {
      // A group that may not take part in the match is undefined in JavaScript but "" in the engine.
      this.notCompiled("regexGroup() of a group inside an alternative or an optional part", n, STRING);
    }
    const d = this.d;
    return {
      sql: d.caseWhen([[d.regexMatches(s.sql, pattern.re), d.regexExtract(s.sql, pattern.re, index)]]),
      type: STRING,
      nullable: true,
    };
  }

  private stripEscapes(n: PqlExpr): string {
    return n.nodeType === "literal" && typeof n.value === "string" ? n.value.replace(/\\[\s\S]/g, "") : "";
  }

  // ---------------------------------------------------------------- aggregates

  /** sum/average/min/max of a list of values with the reference's rules (numbers; min/max also times). */
  private aggregateList(fn: "sum" | "average" | "min" | "max", values: V, n: PqlExpr): V {
    const items = (values.type as { items: SqlType }).items;
    const d = this.d;
    if (isNumeric(items)) {
      switch (fn) {
        case "sum":
          return { sql: d.coalesce([d.listAggregate("sum", values.sql), d.integer(0)]), type: items, nullable: false };
        case "average":
          return { sql: d.listAggregate("avg", values.sql), type: DOUBLE, nullable: true };
        default:
          return { sql: d.listAggregate(fn, values.sql), type: items, nullable: true };
      }
    }
    if (fn === "sum") return { sql: d.integer(0), type: INTEGER, nullable: false, literal: 0 };
    if (fn === "average") return NULL_V;
    if (this.timed(items)) return { sql: d.listAggregate(fn, values.sql), type: items, nullable: true };
    if (items.kind === "string") {
      // The strings that are timestamps, by instant; the first of equal instants wins.
      const x = this.fresh("s");
      const i = this.fresh("i");
      const r = this.fresh("r");
      const rows = d.listTransform(values.sql, d.lambda([x, i], d.struct([["t", d.stringToTimestamp(x)], ["i", fn === "max" ? `- ${i}` : i], ["s", x]])));
      const timed = d.listFilter(rows, d.lambda([r], d.isNotNull(d.field(r, "t"))));
      return { sql: d.field(`(${d.listElement(d.listSort(timed, fn === "max"), "1")})`, "s"), type: STRING, nullable: true };
    }
    return NULL_V;
  }

  private aggregate(n: AggregateNode, sc: Scope): V {
    const first = n.variables[0] as VarDeclNode;
    const values = this.tupleValues(n.variables, sc, (scope) =>
      n.value === undefined ? this.value({ nodeType: "varRef", varName: first.varName }, scope) : this.value(n.value, scope),
    );
    return this.aggregateList(n.fn, values, n);
  }

  // ---------------------------------------------------------------- select, quantifiers

  /**
   * The list of `value(tuple)` over the tuples of the clauses (nested list functions, flattened); a clause whose
   * `from` is not an array contributes no tuples.
   */
  private tupleValues(vars: readonly VarDeclNode[], sc: Scope, value: (scope: Scope) => V, i = 0): V {
    const d = this.d;
    const decl = vars[i] as VarDeclNode;
    const from = this.listValue(decl.from, sc);
    if (from === undefined) {
      // No tuples: the element type is still needed.
      return { sql: d.list([], NULL_TYPE), type: listOf(NULL_TYPE), nullable: false };
    }
    const x = this.fresh(decl.varName);
    const el: V = { sql: x, type: (from.type as { items: SqlType }).items, nullable: true, simple: true };
    const inner: Scope = { ...sc, vars: new Map(sc.vars).set(decl.varName, { v: el, profile: false }) };
    const filtered = decl.where === undefined ? from.sql : d.listFilter(from.sql, d.lambda([x], this.pred(decl.where, inner).sql));
    let sql: string;
    let items: SqlType;
    if (i === vars.length - 1) {
      const v = value(inner);
      sql = v.sql === x ? filtered : d.listTransform(filtered, d.lambda([x], v.sql));
      items = v.type;
    } else {
      const rest = this.tupleValues(vars, inner, value, i + 1);
      sql = d.flatten(d.listTransform(filtered, d.lambda([x], rest.sql)));
      items = (rest.type as { items: SqlType }).items;
    }
    // No tuples when `from` is not an array: an empty list (an untyped [] takes the other argument's type).
    return { sql: from.nullable ? d.coalesce([sql, d.list([], NULL_TYPE)]) : sql, type: listOf(items), nullable: false };
  }

  private selectValue(vars: readonly VarDeclNode[], sc: Scope): V {
    if (vars.length === 1) {
      const first = vars[0] as VarDeclNode;
      return this.tupleValues(vars, sc, (scope) => this.value({ nodeType: "varRef", varName: first.varName }, scope));
    }
    return this.tupleValues(vars, sc, (scope) => {
      const items = vars.map((v) => this.value({ nodeType: "varRef", varName: v.varName }, scope));
      return {
        sql: this.d.struct(items.map((it, k) => [`v${k + 1}`, it.sql] as const)),
        type: { kind: "tuple", items: items.map((it) => it.type) },
        nullable: false,
      };
    });
  }

  /** The number of tuples (0 when a `from` is not an array). */
  private selectCount(vars: readonly VarDeclNode[], sc: Scope, i: number): string {
    const d = this.d;
    const decl = vars[i] as VarDeclNode;
    const from = this.listValue(decl.from, sc);
    if (from === undefined) return d.integer(0);
    const x = this.fresh(decl.varName);
    const el: V = { sql: x, type: (from.type as { items: SqlType }).items, nullable: true, simple: true };
    const inner: Scope = { ...sc, vars: new Map(sc.vars).set(decl.varName, { v: el, profile: false }) };
    const filtered = decl.where === undefined ? from.sql : d.listFilter(from.sql, d.lambda([x], this.pred(decl.where, inner).sql));
    const sql =
      i === vars.length - 1
        ? d.listLength(filtered)
        : d.listAggregate("sum", d.listTransform(filtered, d.lambda([x], this.selectCount(vars, inner, i + 1))));
    return d.coalesce([sql, d.integer(0)]);
  }

  /** exists: some tuple satisfies every clause; forall: every clause holds for every tuple (true over nothing). */
  private quantification(n: QuantificationNode, sc: Scope): P {
    return n.quantifier === "exists" ? this.existsTuple(n.variables, sc, 0) : this.forallTuple(n.variables, sc, 0);
  }

  private existsTuple(vars: readonly VarDeclNode[], sc: Scope, i: number): P {
    if (i === vars.length) return TRUE;
    const d = this.d;
    const decl = vars[i] as VarDeclNode;
    const from = this.listValue(decl.from, sc);
    if (from === undefined) return FALSE;
    const x = this.fresh(decl.varName);
    const el: V = { sql: x, type: (from.type as { items: SqlType }).items, nullable: true, simple: true };
    const inner: Scope = { ...sc, vars: new Map(sc.vars).set(decl.varName, { v: el, profile: false }) };
    const conds = [decl.where === undefined ? TRUE : this.pred(decl.where, inner), this.existsTuple(vars, inner, i + 1)].filter((p) => p.sql !== "TRUE");
    if (conds.some((p) => p.sql === "FALSE")) return FALSE;
    const list = conds.length === 0 ? from.sql : d.listFilter(from.sql, d.lambda([x], d.and(conds.map((p) => p.sql))));
    return { sql: `${d.listLength(list)} > 0`, nullable: from.nullable };
  }

  private forallTuple(vars: readonly VarDeclNode[], sc: Scope, i: number): P {
    if (i === vars.length) return TRUE;
    const d = this.d;
    const decl = vars[i] as VarDeclNode;
    const from = this.listValue(decl.from, sc);
    if (from === undefined) return TRUE;
    const x = this.fresh(decl.varName);
    const el: V = { sql: x, type: (from.type as { items: SqlType }).items, nullable: true, simple: true };
    const inner: Scope = { ...sc, vars: new Map(sc.vars).set(decl.varName, { v: el, profile: false }) };
    const conds = [decl.where === undefined ? TRUE : this.pred(decl.where, inner), this.forallTuple(vars, inner, i + 1)].filter((p) => p.sql !== "TRUE");
    if (conds.length === 0) return TRUE;
    const holds = d.and(conds.map((p) => p.sql));
    const violations = d.listFilter(from.sql, d.lambda([x], d.isNotTrue(holds)));
    const none = `${d.listLength(violations)} = 0`;
    return { sql: from.nullable ? d.coalesce([none, "TRUE"]) : none, nullable: false };
  }

  // ---------------------------------------------------------------- chain

  /**
   * chain(EVENTS, TIME, [steps]): the reference's greedy earliest match (events sorted by time, strictly later
   * between steps) in closed form. Step k only ever sees the events strictly after the time of step k-1's last match
   * (earlier ones were consumed or skipped), and its own last match is the COUNT-th smallest time among those that
   * satisfy it; the chain holds when the last step has one. So each step is one list_filter and a min (or a sort
   * for COUNT > 1) over the events, nested through one scalar — no per-event state machine.
   */
  private chain(n: ChainNode, sc: Scope): P {
    const d = this.d;
    const events = this.listValue(n.events, sc);
    if (events === undefined) return FALSE;
    const items = (events.type as { items: SqlType }).items;
    // COUNT(0) steps match nothing and move nothing: drop them.
    const steps = n.steps
      .map((step) => ({ step, count: step.clauses.reduce((c, cl) => (cl.kind === "COUNT" ? cl.count : c), 1) }))
      .filter((s) => s.count > 0);
    if (steps.length === 0) return TRUE;
    const subject: FieldLookupNode = { nodeType: "fieldLookup", object: { nodeType: "implicitContext" }, fieldName: n.timeField };
    const lastMatch = (k: number, list: string, after: string | undefined): string | undefined => {
      const { step, count } = steps[k] as (typeof steps)[number];
      const e = this.fresh("e");
      const el: V = { sql: e, type: items, nullable: true, simple: true };
      const t = this.timeOf(this.walk(el, [n.timeField], 0));
      if (t === undefined) return undefined;
      const inner: Scope = { implicit: el, implicitIsProfile: false, vars: sc.vars, up: sc };
      const conds: P[] = [{ sql: after === undefined ? d.isNotNull(t.sql) : `${t.sql} > ${after}`, nullable: true }];
      for (const c of step.clauses) {
        if (c.kind === "WHAT" || c.kind === "WHERE") conds.push(this.pred(c.condition, inner));
        else if (c.kind === "WHEN") conds.push(this.occurs(subject, c.spec, inner));
      }
      if (conds.some((p) => p.sql === "FALSE")) return "NULL";
      const live = conds.filter((p) => p.sql !== "TRUE").map((p) => p.sql);
      const matching = d.listFilter(list, d.lambda([e], d.and(live)));
      const e2 = this.fresh("e");
      const t2 = this.timeOf(this.walk({ ...el, sql: e2 }, [n.timeField], 0)) as TimeV;
      const times = d.listTransform(matching, d.lambda([e2], t2.sql));
      return count === 1 ? d.listAggregate("min", times) : d.listElement(d.listSort(times, false), d.integer(count));
    };
    const sql = this.bindAll([events], ([list]) => {
      const build = (k: number, after: string | undefined): string | undefined => {
        const last = lastMatch(k, list as string, after);
        if (last === undefined || k === steps.length - 1) return last === undefined ? undefined : d.isNotNull(last);
        // The time of step k's last match, bound once for the steps after it.
        const a = this.fresh("t");
        const rest = build(k + 1, a);
        return rest === undefined ? undefined : d.listElement(d.listTransform(d.list([last], TIMESTAMP), d.lambda([a], rest)), "1");
      };
      return build(0, undefined) ?? "FALSE";
    });
    return sql === "FALSE" ? FALSE : { sql, nullable: true };
  }
}

/** Compile a checked PQL expression to a SQL value expression (computed-attribute style; a missing value is NULL). */
export function compilePqlToSql(ast: PqlExpr, options: SqlCompileOptions): CompiledSql {
  const c = new SqlCompiler(options);
  const root = c.rootScope();
  if (ast.nodeType === "lambda") {
    const scope = topLambdaScope(ast.params, root);
    const v = c.value(ast.body, scope);
    return { sql: v.sql, type: v.type };
  }
  const v = c.value(ast, root);
  c.throwRefusal();
  return { sql: v.sql, type: v.type };
}

/** Compile a checked PQL expression to a SQL Boolean that is never NULL (a segment's membership test). */
export function compilePqlPredicateToSql(ast: PqlExpr, options: SqlCompileOptions): string {
  const c = new SqlCompiler(options);
  const root = c.rootScope();
  const scope = ast.nodeType === "lambda" ? topLambdaScope(ast.params, root) : root;
  const p = c.pred(ast.nodeType === "lambda" ? ast.body : ast, scope);
  c.throwRefusal();
  const d = options.dialect ?? DUCKDB;
  return p.nullable ? d.isTrue(p.sql) : p.sql;
}

/** `(P, …) => body` at the top: P is the profile, further parameters are missing. */
function topLambdaScope(params: readonly string[], root: Scope): Scope {
  const vars = new Map(root.vars);
  params.forEach((p, i) => vars.set(p, i === 0 ? { v: root.implicit, profile: true } : { v: NULL_V, profile: false }));
  return { ...root, vars };
}
