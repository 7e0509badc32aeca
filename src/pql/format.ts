/**
 * AST → canonical pql/text: lower-case keywords, `not (…)`, single spaces around operators, minimal
 * parentheses by precedence (pql.md §17). text → AST → text is stable for canonical input.
 */
import { TIME_UNIT_PLURAL, type OccursSpec, type PqlExpr, type PqlLiteral, type TimeUnit } from "./ast.js";

/** Precedence levels (pql.md §17): higher binds tighter. */
const enum Level {
  Select = 1,
  Or = 2,
  And = 3,
  Not = 4,
  Compare = 5,
  Postfix = 9,
}

function levelOf(n: PqlExpr): Level {
  switch (n.nodeType) {
    case "select":
      return Level.Select;
    case "or":
      return Level.Or;
    case "and":
      return Level.And;
    case "not":
      return Level.Not;
    case "comparison":
    case "membership":
    case "like":
    case "occurs":
      return Level.Compare;
    default:
      return Level.Postfix;
  }
}

/** A postfix receiver: numbers are parenthesised so that `(5).x` does not lex as the double `5.`. */
function receiver(n: PqlExpr): string {
  return n.nodeType === "literal" && typeof n.value === "number" ? `(${fmt(n)})` : at(n, Level.Postfix);
}

/** Format `n`, parenthesised when it binds looser than `min`. */
function at(n: PqlExpr, min: Level): string {
  const s = fmt(n);
  return levelOf(n) < min ? `(${s})` : s;
}

function escapeString(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === "\\") out += "\\\\";
    else if (ch === '"') out += '\\"';
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else out += ch;
  }
  return `${out}"`;
}

function formatNumber(v: number, isDouble: boolean): string {
  if (!isDouble) return String(v);
  if (Object.is(v, -0)) return "-0.0";
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function literal(n: PqlLiteral): string {
  switch (n.literalType) {
    case "String":
      return escapeString(n.value);
    case "Integer":
      return formatNumber(n.value, false);
    case "Number":
      return formatNumber(n.value, true);
    case "Boolean":
      return n.value ? "true" : "false";
  }
}

function unitText(unit: TimeUnit, amount: number): string {
  return amount === 1 ? unit : TIME_UNIT_PLURAL[unit];
}

function occursSpec(spec: OccursSpec): string {
  switch (spec.form) {
    case "offset":
      return `${spec.op} ${spec.amount} ${unitText(spec.unit, spec.amount)} ${spec.direction} ${at(spec.ref, Level.Postfix)}`;
    case "direction":
      return `${spec.direction} ${at(spec.ref, Level.Postfix)}`;
    case "on":
      return at(spec.ref, Level.Postfix);
    case "between":
      return `between ${at(spec.from, Level.Postfix)} and ${at(spec.to, Level.Postfix)}`;
  }
}

function fmt(n: PqlExpr): string {
  switch (n.nodeType) {
    case "literal":
      return literal(n);
    case "list":
      return `[${n.items.map((i) => at(i, Level.Or)).join(", ")}]`;
    case "implicitContext":
      return "";
    case "varRef":
      return n.varName;
    case "fieldLookup": {
      if (n.object.nodeType === "implicitContext") return n.fieldName;
      return `${receiver(n.object)}.${n.fieldName}`;
    }
    case "filter":
      return `${receiver(n.array)}[${fmt(n.condition)}]`;
    case "memberCall":
      return `${receiver(n.receiver)}.${n.name}(${n.args.map((a) => at(a, Level.Or)).join(", ")})`;
    case "functionCall":
      return `${n.name}(${n.args.map((a) => at(a, Level.Or)).join(", ")})`;
    case "timeKeyword":
      return n.keyword;
    case "relativeTime":
      return `${n.which} ${n.unit}`;
    case "comparison":
      return `${at(n.left, Level.Postfix)} ${n.op} ${at(n.right, Level.Postfix)}`;
    case "membership":
      return `${at(n.left, Level.Postfix)} ${n.op} ${at(n.right, Level.Postfix)}`;
    case "like":
      return `${at(n.left, Level.Postfix)} like ${at(n.pattern, Level.Postfix)}`;
    case "occurs":
      return `${at(n.subject, Level.Postfix)} occurs ${occursSpec(n.spec)}`;
    case "and":
      // An operand of the same kind keeps its parentheses, so the tree shape survives a round trip.
      return n.operands.map((o) => at(o, Level.And + 1)).join(" and ");
    case "or":
      return n.operands.map((o) => at(o, Level.Or + 1)).join(" or ");
    case "not":
      return `not (${fmt(n.operand)})`;
    case "select":
      return `select ${n.variables
        .map((d) => `${d.varName} from ${at(d.from, Level.Postfix)}${d.where === undefined ? "" : ` where ${at(d.where, Level.Or)}`}`)
        .join(", ")}`;
  }
}

/** Canonical pql/text of an expression. */
export function formatPql(ast: PqlExpr): string {
  return fmt(ast);
}
