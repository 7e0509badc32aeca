/**
 * Profile Query Language (pql/text), first subset: parse, check against the union schemas, compile to a
 * predicate over a merged profile and its ExperienceEvents, format back to canonical text.
 */
import { checkPql, checkPqlStructure, type PqlSchema } from "./checker.js";
import { compilePql, type CompiledPql } from "./compiler.js";
import { PQL_ERROR_CODES, PqlError } from "./errors.js";
import { parsePql } from "./parse.js";

export { PqlError, PQL_ERROR_CODES } from "./errors.js";
export type { PqlErrorCode, PqlPosition, PqlSpan } from "./errors.js";
export type {
  AndNode,
  BooleanLiteral,
  ComparisonNode,
  ComparisonOp,
  FieldLookupNode,
  FilterNode,
  FunctionCallNode,
  GlobalFunctionName,
  ImplicitContextNode,
  IntegerLiteral,
  LikeNode,
  ListNode,
  MemberCallNode,
  MemberFunctionName,
  MembershipNode,
  NotNode,
  NumberLiteral,
  OccursBetween,
  OccursDirection,
  OccursDirectional,
  OccursNode,
  OccursOffset,
  OccursOn,
  OccursSpec,
  OrNode,
  PqlExpr,
  PqlLiteral,
  PqlNodeType,
  RelativeTimeNode,
  SelectNode,
  StringLiteral,
  TimeKeyword,
  TimeKeywordNode,
  TimeUnit,
  VarDeclNode,
  VarRefNode,
} from "./ast.js";
export { parsePql } from "./parse.js";
export { checkPql } from "./checker.js";
export type { PqlSchema } from "./checker.js";
export { compilePql } from "./compiler.js";
export type { CompiledPql, PqlContext } from "./compiler.js";
export { formatPql } from "./format.js";

/**
 * Parse, check (against `schema` when given, otherwise only the schema-free checks) and compile a segment
 * expression. A single check error is thrown as is; several are thrown as one PqlError (code PQL-T000) whose detail lists
 * every error.
 */
export function compileSegmentExpression(text: string, schema: PqlSchema | undefined, file?: string): CompiledPql {
  const ast = parsePql(text, file);
  const errors = schema === undefined ? checkPqlStructure(ast, text, file) : checkPql(ast, schema, text, file);
  const first = errors[0];
  if (errors.length === 1) throw first;
  if (first !== undefined) {
    const detail = errors.map((e) => e.format()).join("\n\n");
    throw new PqlError(PQL_ERROR_CODES.checkFailed, `segment expression has ${errors.length} errors; first: ${first.message}`, first.span, undefined, file, detail);
  }
  return compilePql(ast);
}
