/**
 * Profile Query Language: parse pql/text (and convert pql/json), check against the union schemas, compile to
 * a predicate (or a value) over a merged profile and its ExperienceEvents, format back to canonical text,
 * classify streaming/edge eligibility.
 */
import type { PqlExpr } from "./ast.js";
import { checkPql, checkPqlStructure, type PqlSchema } from "./checker.js";
import { compilePql, SharedMemo, type CompiledPql, type PqlContext } from "./compiler.js";
import { classifyEvaluation, type EvaluationEligibility } from "./eligibility.js";
import { PQL_ERROR_CODES, PqlError } from "./errors.js";
import { formatPql } from "./format.js";
import { pqlJsonToAst } from "./json.js";
import { parsePql } from "./parse.js";

export { PqlError, PQL_ERROR_CODES } from "./errors.js";
export type { PqlErrorCode, PqlPosition, PqlSpan } from "./errors.js";
export type {
  AggregateFunction,
  AggregateNode,
  AndNode,
  ArithmeticNode,
  ArithmeticOp,
  ChainClause,
  ChainNode,
  ChainStep,
  BooleanLiteral,
  ComparisonNode,
  ComparisonOp,
  FieldLookupNode,
  FilterNode,
  FunctionCallNode,
  GlobalFunctionName,
  ImplicitContextNode,
  IntegerLiteral,
  LambdaNode,
  LetNode,
  LikeNode,
  ListNode,
  MatchesNode,
  MemberCallNode,
  MemberFunctionName,
  MembershipNode,
  NegateNode,
  NotNode,
  NumberLiteral,
  OccursBetween,
  OccursDirection,
  OccursDirectional,
  OccursNode,
  OccursOffset,
  OccursOn,
  OccursSpec,
  ObjectNode,
  OrNode,
  ParameterReferenceNode,
  PqlExpr,
  PqlLiteral,
  PqlNodeType,
  QuantificationNode,
  Quantifier,
  RelativeTimeNode,
  SelectNode,
  StringLiteral,
  ThisNode,
  TimeKeyword,
  TimeKeywordNode,
  TimeUnit,
  UpContextNode,
  VarDeclNode,
  VarRefNode,
} from "./ast.js";
export { parsePql } from "./parse.js";
export { checkPql } from "./checker.js";
export type { PqlSchema } from "./checker.js";
export { compilePql, compilePqlValue } from "./compiler.js";
export type { CompiledPql, CompiledPqlValue, PqlContext } from "./compiler.js";
export { formatPql } from "./format.js";
export { tracePql, type PqlTraceNode } from "./trace.js";
export { astToPqlJson, pqlJsonToAst } from "./json.js";
export { translateJavaRegex } from "./regex.js";
export type { PqlRegex, RegexResult } from "./regex.js";
export { PQL_LIMITS } from "./limits.js";
export { classifyEvaluation } from "./eligibility.js";
export type { EvaluationEligibility } from "./eligibility.js";

/** A segment definition's `expression` (without `type`): pql/text, or the pql/json tree serialised as a string. */
export interface SegmentDefinitionExpression {
  readonly format: "pql/text" | "pql/json";
  readonly value: string;
}

/**
 * The AST and the text that spans refer to: pql/text as given; pql/json converted, formatted as pql/text and
 * parsed again, so that check errors point into that text.
 */
function parseDefinition(input: string | SegmentDefinitionExpression, file: string | undefined): { ast: PqlExpr; text: string } {
  if (typeof input === "string" || input.format === "pql/text") {
    const text = typeof input === "string" ? input : input.value;
    return { ast: parsePql(text, file), text };
  }
  const converted = pqlJsonToAst(input.value, file);
  const text = formatPql(converted);
  let reparsed: PqlExpr;
  try {
    reparsed = parsePql(text, file);
  } catch {
    return { ast: converted, text };
  }
  // A tree pql/text cannot say exactly (e.g. an unbound varRef, which reads back as a field) is used as converted.
  return { ast: shapeOf(reparsed) === shapeOf(converted) ? reparsed : converted, text };
}

function shapeOf(ast: PqlExpr): string {
  return JSON.stringify(ast, (k, v: unknown) => (k === "span" || k === "nameSpan" ? undefined : v));
}

/** The result of checking a segment definition: every error at once, and where it could be evaluated. */
export interface SegmentCheck {
  readonly errors: PqlError[];
  /** Undefined when the expression does not parse. */
  readonly eligibility: EvaluationEligibility | undefined;
}

/**
 * Check a segment expression (pql/text, or `{format, value}` in either format) against the schemas and report
 * every error at once, with the batch/streaming/edge classification (for `profile-lab check`).
 */
export function checkSegment(input: string | SegmentDefinitionExpression, schema: PqlSchema | undefined, file?: string): SegmentCheck {
  let parsed: { ast: PqlExpr; text: string };
  try {
    parsed = parseDefinition(input, file);
  } catch (e) {
    if (e instanceof PqlError) return { errors: [e], eligibility: undefined };
    throw e;
  }
  const { ast, text } = parsed;
  const errors = schema === undefined ? checkPqlStructure(ast, text, file) : checkPql(ast, schema, text, file);
  return { errors, eligibility: classifyEvaluation(ast) };
}

/**
 * Parse, check and compile a segment definition's expression in either format (see compileSegmentExpression).
 * For pql/json, errors point into the expression's pql/text form.
 */
export function compileSegmentDefinitionExpression(expression: SegmentDefinitionExpression, schema: PqlSchema | undefined, file?: string): CompiledPql {
  const { ast, text } = parseDefinition(expression, file);
  return compileChecked(ast, text, schema, file);
}

/**
 * Parse, check (against `schema` when given, otherwise only the schema-free checks) and compile a segment
 * expression. A single check error is thrown as is; several are thrown as one PqlError (code PQL-T000) whose detail lists
 * every error.
 */
export function compileSegmentExpression(text: string, schema: PqlSchema | undefined, file?: string): CompiledPql {
  return compileChecked(parsePql(text, file), text, schema, file);
}

/** A compiled set of segments: one Boolean per segment, in input order. */
export interface CompiledSegmentSet {
  (ctx: PqlContext): boolean[];
  /** How many distinct event sub-expressions the segments share (computed once per evaluation). */
  readonly shared: number;
}

/**
 * Compile many segment expressions (either format) to one function. Identical root-level event aggregates
 * (`xEvent[…]`, `select …`, `sum … over …` and member calls on them) are computed once per profile and
 * shared by every segment that uses them. Errors are thrown as by compileSegmentExpression, for the first
 * failing segment; `file` may name each segment.
 */
export function compileSegmentSet(
  segments: ReadonlyArray<string | SegmentDefinitionExpression>,
  schema: PqlSchema | undefined,
  file?: string | ((index: number) => string),
): CompiledSegmentSet {
  const memo = new SharedMemo();
  const predicates = segments.map((s, i) => {
    const name = typeof file === "function" ? file(i) : file;
    const { ast, text } = parseDefinition(s, name);
    return compileChecked(ast, text, schema, name, memo);
  });
  const run = (ctx: PqlContext): boolean[] => {
    memo.epoch++;
    const out = new Array<boolean>(predicates.length);
    for (let i = 0; i < predicates.length; i++) out[i] = (predicates[i] as CompiledPql)(ctx);
    return out;
  };
  return Object.assign(run, { shared: memo.size });
}

function compileChecked(ast: PqlExpr, text: string, schema: PqlSchema | undefined, file: string | undefined, memo?: SharedMemo): CompiledPql {
  const errors = schema === undefined ? checkPqlStructure(ast, text, file) : checkPql(ast, schema, text, file);
  const first = errors[0];
  if (errors.length === 1) throw first;
  if (first !== undefined) {
    const detail = errors.map((e) => e.format()).join("\n\n");
    throw new PqlError(PQL_ERROR_CODES.checkFailed, `segment expression has ${errors.length} errors; first: ${first.message}`, first.span, undefined, file, detail);
  }
  return compilePql(ast, memo);
}
