/**
 * AST → canonical pql/text: lower-case keywords, `not (…)`, single spaces around operators, minimal
 * parentheses by precedence (pql.md §17). text → AST → text is stable for canonical input.
 */
import { assertDepth } from "./budget.js";
import { TIME_UNIT_PLURAL, type ChainClause, type OccursSpec, type PqlExpr, type PqlLiteral, type TimeUnit, type VarDeclNode } from "./ast.js";

/** Precedence levels (pql.md §17): higher binds tighter. */
const enum Level {
  Select = 1,
  Or = 2,
  And = 3,
  Not = 4,
  Compare = 5,
  Add = 6,
  Mul = 7,
  Unary = 8,
  Postfix = 9,
}

function levelOf(n: PqlExpr): Level {
  switch (n.nodeType) {
    case "select":
    case "quantification":
    case "aggregate":
    case "let":
    case "lambda":
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
    case "matches":
      return Level.Compare;
    case "arithmetic":
      return n.op === "+" || n.op === "-" ? Level.Add : Level.Mul;
    case "negate":
      return Level.Unary;
    case "literal":
      return typeof n.value === "number" && (n.value < 0 || Object.is(n.value, -0)) ? Level.Unary : Level.Postfix;
    default:
      return Level.Postfix;
  }
}

/** An argument, list item or object value: a lambda stands bare, anything looser than `or` is parenthesised. */
function arg(n: PqlExpr): string {
  return n.nodeType === "lambda" ? fmt(n) : at(n, Level.Or);
}

function varDecls(vars: readonly VarDeclNode[]): string {
  return vars.map((d) => `${d.varName} from ${at(d.from, Level.Postfix)}${d.where === undefined ? "" : ` where ${at(d.where, Level.Or)}`}`).join(", ");
}

function clause(c: ChainClause): string {
  switch (c.kind) {
    case "WHAT":
    case "WHERE":
      return `${c.kind}(${fmt(c.condition)})`;
    case "WHEN":
      return `WHEN(${occursSpec(c.spec)})`;
    case "COUNT":
      return `COUNT(${c.count})`;
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
      return `${spec.op} ${spec.amount} ${unitText(spec.unit, spec.amount)} ${spec.direction} ${at(spec.ref, Level.Add)}`;
    case "direction":
      return `${spec.direction} ${at(spec.ref, Level.Add)}`;
    case "on":
      return at(spec.ref, Level.Add);
    case "between":
      return `between ${at(spec.from, Level.Add)} and ${at(spec.to, Level.Add)}`;
  }
}

function fmt(n: PqlExpr): string {
  switch (n.nodeType) {
    case "literal":
      return literal(n);
    case "list":
      return `[${n.items.map(arg).join(", ")}]`;
    case "object":
      return `{${n.entries.map((e) => `${escapeString(e.key)}: ${arg(e.value)}`).join(", ")}}`;
    case "implicitContext":
      return "";
    case "this":
      return "this";
    case "upContext":
      return "^".repeat(n.levels);
    case "parameterReference":
      return `$${n.position}`;
    case "varRef":
      return n.varName;
    case "fieldLookup": {
      if (n.object.nodeType === "implicitContext") return n.fieldName;
      if (n.object.nodeType === "upContext") return `${"^".repeat(n.object.levels)}.${n.fieldName}`;
      return `${receiver(n.object)}.${n.fieldName}`;
    }
    case "filter":
      return `${receiver(n.array)}[${fmt(n.condition)}]`;
    case "memberCall":
      return `${receiver(n.receiver)}.${n.name}(${n.args.map(arg).join(", ")})`;
    case "functionCall":
      return `${n.name}(${n.args.map(arg).join(", ")})`;
    case "chain":
      return `${n.spelling}(${at(n.events, Level.Postfix)}, ${n.timeField}, [${n.steps
        .map((s) => `${s.label}: ${s.clauses.map(clause).join(" ")}`)
        .join(", ")}])`;
    case "timeKeyword":
      return n.keyword;
    case "relativeTime":
      return `${n.which} ${n.unit}`;
    case "comparison":
    case "membership":
      return `${at(n.left, Level.Add)} ${n.op} ${at(n.right, Level.Add)}`;
    case "like":
      return `${at(n.left, Level.Add)} like ${at(n.pattern, Level.Add)}`;
    case "matches":
      return `${at(n.left, Level.Add)} matches ${at(n.pattern, Level.Add)}`;
    case "occurs":
      return `${at(n.subject, Level.Add)} occurs ${occursSpec(n.spec)}`;
    case "arithmetic": {
      const level = levelOf(n);
      return `${at(n.left, level)} ${n.op} ${at(n.right, level + 1)}`;
    }
    case "negate":
      // A run of minus signs is written without brackets, so that its depth is not bounded by maxBracketDepth.
      return n.operand.nodeType === "negate" ? `- ${fmt(n.operand)}` : `-${at(n.operand, Level.Postfix)}`;
    case "and":
      // An operand of the same kind keeps its parentheses, so the tree shape survives a round trip.
      return n.operands.map((o) => at(o, Level.And + 1)).join(" and ");
    case "or":
      return n.operands.map((o) => at(o, Level.Or + 1)).join(" or ");
    case "not":
      // `not not (x)`: a run of negations brackets only its innermost operand (same reason as for minus).
      return n.operand.nodeType === "not" ? `not ${fmt(n.operand)}` : `not (${fmt(n.operand)})`;
    case "select":
      return `select ${varDecls(n.variables)}`;
    case "quantification":
      return `${n.quantifier} ${varDecls(n.variables)}`;
    case "aggregate":
      return n.value === undefined ? `${n.fn} ${varDecls(n.variables)}` : `${n.fn} ${at(n.value, Level.Add)} over ${varDecls(n.variables)}`;
    case "let":
      return `let ${n.varName} = ${at(n.value, Level.Add)} in ${fmt(n.body)}`;
    case "lambda":
      return `(${n.params.join(", ")}) => ${fmt(n.body)}`;
  }
}

/** Canonical pql/text of an expression. */
export function formatPql(ast: PqlExpr): string {
  assertDepth(ast);
  return fmt(ast);
}
