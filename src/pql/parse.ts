/**
 * Text → AST: lex, reject what PQL is not (before parsing, with precise messages), bound the nesting depth,
 * parse, turn the first syntax error into a PqlError with a source frame, build the AST.
 * Any input either yields an AST or throws PqlError.
 */
import type { IRecognitionException, IToken } from "chevrotain";
import { tokenMatcher } from "./chevrotain.js";
import { childrenOf, TIME_UNITS, type PqlExpr } from "./ast.js";
import { cstToAst } from "./cst-to-ast.js";
import { LineMap, PQL_ERROR_CODES, PqlError, type PqlErrorCode, type PqlSpan } from "./errors.js";
import { MAX_AST_DEPTH, MAX_BRACKET_DEPTH, MAX_LIST_ITEMS, MAX_TEXT_LENGTH, MAX_TOKENS } from "./limits.js";
import { describeToken, pqlParser, untag } from "./parser.js";
import {
  All,
  AndAnd,
  Arrow,
  At,
  Average,
  After,
  Bang,
  Before,
  Between,
  Caret,
  On,
  Over,
  CmpOperator,
  Colon,
  Comma,
  Dot,
  DoubleEquals,
  DoubleLit,
  False,
  From,
  IntLit,
  Minus,
  Not,
  Or,
  And,
  Percent,
  Plus,
  Slash,
  Star,
  True,
  Where,
  Exists,
  Forall,
  Identifier,
  In,
  Last,
  LBracket,
  LCurly,
  Like,
  Let,
  LParen,
  Matches,
  Max,
  Min,
  Next,
  NotIn,
  NotPql,
  Occurs,
  OrOr,
  pqlLexer,
  RBracket,
  RCurly,
  RParen,
  Select,
  Some,
  StringLit,
  Sum,
  This,
  UnterminatedString,
} from "./tokens.js";

export { MAX_AST_DEPTH, MAX_BRACKET_DEPTH } from "./limits.js";

const TYPOGRAPHIC_QUOTES = /[\u201c\u201d\u201e\u201f\u2018\u2019\u00ab\u00bb]/;

/** Parse one PQL expression. Throws PqlError (with location and source frame) on any syntax error. */
export function parsePql(text: string, file?: string): PqlExpr {
  if (text.length > MAX_TEXT_LENGTH) {
    const end = { line: 1, column: 1, offset: 0 };
    throw new PqlError(
      PQL_ERROR_CODES.tooLarge,
      `expression is ${text.length.toLocaleString("en")} characters long; the limit is ${MAX_TEXT_LENGTH.toLocaleString("en")} (maxTextLength)`,
      { start: end, end },
      text.slice(0, 200),
      file,
    );
  }
  const lines = new LineMap(text);
  const fail = (code: PqlErrorCode, message: string, span: PqlSpan): never => {
    throw new PqlError(code, message, span, text, file);
  };
  const tokenSpan = (t: IToken): PqlSpan =>
    Number.isNaN(t.startOffset) ? lines.span(text.length, text.length) : lines.span(t.startOffset, (t.endOffset ?? t.startOffset) + 1);

  const lexed = pqlLexer.tokenize(text);
  const tokens = lexed.tokens;
  const lexError = lexed.errors[0];
  const firstBadToken = tokens.find(
    (t) => tokenMatcher(t, UnterminatedString) || tokenMatcher(t, NotPql) || (tokenMatcher(t, StringLit) && invalidEscapeAt(t.image) >= 0),
  );
  // Report whichever problem comes first in the text.
  if (lexError !== undefined && (firstBadToken === undefined || lexError.offset < firstBadToken.startOffset)) {
    const ch = String.fromCodePoint(text.codePointAt(lexError.offset) ?? 0);
    const span = lines.span(lexError.offset, lexError.offset + ch.length);
    if (TYPOGRAPHIC_QUOTES.test(ch)) {
      fail(PQL_ERROR_CODES.unexpectedCharacter, `unexpected character '${ch}': PQL strings use straight double quotes (")`, span);
    }
    if (ch === "'") fail(PQL_ERROR_CODES.unexpectedCharacter, `unexpected character ''': PQL strings use double quotes (")`, span);
    const shown = /^[\x20-\x7e]$/.test(ch) ? ch : `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
    fail(PQL_ERROR_CODES.unexpectedCharacter, `unexpected character '${shown}'`, span);
  }
  if (firstBadToken !== undefined) {
    const span = tokenSpan(firstBadToken);
    if (tokenMatcher(firstBadToken, StringLit)) {
      const k = invalidEscapeAt(firstBadToken.image);
      const shown = `\\${String.fromCodePoint(firstBadToken.image.codePointAt(k + 1) ?? 0)}`;
      const start = firstBadToken.startOffset + k;
      fail(
        PQL_ERROR_CODES.invalidEscape,
        `invalid escape sequence '${shown}' in string; use \\\\ for a backslash (escapes: \\\\ \\" \\n \\t)`,
        lines.span(start, start + shown.length),
      );
    }
    if (tokenMatcher(firstBadToken, UnterminatedString)) fail(PQL_ERROR_CODES.unterminatedString, "unterminated string literal: missing closing '\"'", span);
    const use = tokenMatcher(firstBadToken, DoubleEquals) ? "=" : tokenMatcher(firstBadToken, AndAnd) ? "and" : tokenMatcher(firstBadToken, OrOr) ? "or" : "";
    fail(PQL_ERROR_CODES.notPqlOperator, `'${firstBadToken.image}' is not a PQL operator; use '${use}'`, span);
  }

  checkBracketDepth(tokens, tokenSpan, fail);
  const { parsed, lists } = collapseLiteralLists(tokens, tokenSpan, fail);
  checkTokenCount(parsed, tokenSpan, fail);

  pqlParser.input = parsed;
  const cst = pqlParser.query();
  const error = pqlParser.errors[0];
  if (error !== undefined) throw syntaxError(error, tokens, tokenSpan, text, file);

  const ast = cstToAst(cst, lines, file, lists.size === 0 ? undefined : lists);
  checkAstDepth(ast, fail);
  return ast;
}

/** Index of the first backslash in a string token that does not start one of the escapes \\ \" \n \t, or -1. */
function invalidEscapeAt(image: string): number {
  for (let k = 1; k < image.length - 1; k++) {
    if (image[k] !== "\\") continue;
    const e = image[k + 1];
    if (e !== "\\" && e !== '"' && e !== "n" && e !== "t") return k;
    k++;
  }
  return -1;
}

/** Tokens the formatter may add (brackets, the `=` of `occurs N UNIT`, the `.` of `^.x`): not counted against maxTokens, so formatted text parses whenever its source did. */
const UNCOUNTED = [LParen, RParen, LBracket, RBracket, LCurly, RCurly, CmpOperator, Dot];

/** Parsing costs per token: refuse an expression of more than MAX_TOKENS tokens (brackets and the like aside) before parsing it. */
function checkTokenCount(tokens: IToken[], tokenSpan: (t: IToken) => PqlSpan, fail: (c: PqlErrorCode, m: string, s: PqlSpan) => never): void {
  if (tokens.length <= MAX_TOKENS) return;
  let counted = 0;
  for (const t of tokens) {
    if (UNCOUNTED.some((u) => tokenMatcher(t, u))) continue;
    if (++counted > MAX_TOKENS) {
      fail(
        PQL_ERROR_CODES.tooLarge,
        `expression has more than ${MAX_TOKENS.toLocaleString("en")} tokens (brackets, comparison operators and dots aside); the limit is ${MAX_TOKENS.toLocaleString("en")} (maxTokens)`,
        tokenSpan(t),
      );
    }
  }
}

/** Tokens after which a `[` starts a list literal, never a filter (a keyword among them only when it is not a member name). */
const BEFORE_AN_EXPRESSION = [
  LParen, LBracket, Comma, Colon, Arrow, CmpOperator, Bang, Plus, Minus, Star, Slash, Percent,
  In, NotIn, Like, Matches, And, Or, Not, From, Where, Occurs, On, Before, After, Between, Sum, Average, Min, Max, Over,
];
const LITERALS = [StringLit, IntLit, DoubleLit, True, False];

/**
 * Chevrotain builds a dozen CST levels for every list item, so a long list of literals (`x in ["a", "b", …]`,
 * the commonest large input) is handed to it with its first item only, and cst-to-ast rebuilds every item
 * straight from the tokens: same tree, same spans and errors, linear and cheap. Only lists whose items are all
 * literals (a number possibly negated) qualify, and only where a `[` cannot be a filter.
 */
function collapseLiteralLists(
  tokens: IToken[],
  tokenSpan: (t: IToken) => PqlSpan,
  fail: (c: PqlErrorCode, m: string, s: PqlSpan) => never,
): { parsed: IToken[]; lists: Map<number, IToken[][]> } {
  const lists = new Map<number, IToken[][]>();
  const parsed: IToken[] = [];
  const isLiteral = (t: IToken | undefined): boolean => t !== undefined && LITERALS.some((l) => tokenMatcher(t, l));
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as IToken;
    parsed.push(t);
    if (!tokenMatcher(t, LBracket)) continue;
    const prev = tokens[i - 1];
    const before = tokens[i - 2];
    const primaryPosition =
      prev === undefined ||
      (BEFORE_AN_EXPRESSION.some((b) => tokenMatcher(prev, b)) && (before === undefined || !(tokenMatcher(before, Dot) || tokenMatcher(before, Caret))));
    if (!primaryPosition) continue;
    const items: IToken[][] = [];
    let j = i + 1;
    let closed = false;
    for (;;) {
      const first = tokens[j];
      const second = tokens[j + 1];
      const negative = first !== undefined && second !== undefined && tokenMatcher(first, Minus) && (tokenMatcher(second, IntLit) || tokenMatcher(second, DoubleLit));
      const item = negative ? [first, second] : first !== undefined && isLiteral(first) ? [first] : undefined;
      if (item === undefined) break;
      if (items.length === MAX_LIST_ITEMS) {
        fail(PQL_ERROR_CODES.tooLarge, `this list has more than ${MAX_LIST_ITEMS.toLocaleString("en")} items; the limit is ${MAX_LIST_ITEMS.toLocaleString("en")} (maxListItems)`, { start: tokenSpan(t).start, end: tokenSpan(item[item.length - 1] as IToken).end });
      }
      items.push(item);
      j += item.length;
      const sep = tokens[j];
      if (sep !== undefined && tokenMatcher(sep, Comma)) {
        j++;
        continue;
      }
      closed = sep !== undefined && tokenMatcher(sep, RBracket);
      break;
    }
    if (!closed || items.length < 2) continue;
    lists.set(t.startOffset, items);
    parsed.push(...(items[0] as IToken[]), tokens[j] as IToken);
    i = j;
  }
  return { parsed, lists };
}

/** Tokens that open a construct extending as far right as possible (up to the enclosing bracket). */
const PREFIX_CONSTRUCTS = [Let, Arrow, Select, Exists, Forall, Some, All, Sum, Average, Min, Max];

/**
 * Nesting pre-scan: brackets, plus the right-open constructs (let, lambdas, select, quantifiers, aggregates)
 * that nest without brackets; each counts until its enclosing bracket closes.
 */
function checkBracketDepth(tokens: IToken[], tokenSpan: (t: IToken) => PqlSpan, fail: (c: PqlErrorCode, m: string, s: PqlSpan) => never): void {
  const open: number[] = [0];
  let depth = 0;
  for (const t of tokens) {
    if (tokenMatcher(t, LParen) || tokenMatcher(t, LBracket) || tokenMatcher(t, LCurly)) {
      depth++;
      open.push(0);
    } else if (tokenMatcher(t, RParen) || tokenMatcher(t, RBracket) || tokenMatcher(t, RCurly)) {
      if (open.length > 1) {
        depth -= 1 + (open.pop() ?? 0);
      }
      continue;
    } else if (PREFIX_CONSTRUCTS.some((p) => tokenMatcher(t, p))) {
      depth++;
      open[open.length - 1] = (open[open.length - 1] ?? 0) + 1;
    } else continue;
    if (depth > MAX_BRACKET_DEPTH) {
      fail(PQL_ERROR_CODES.tooDeep, `expression is nested too deeply (more than ${MAX_BRACKET_DEPTH} levels of brackets, let, lambdas and select/exists/forall/aggregates; maxBracketDepth)`, tokenSpan(t));
    }
  }
}

/** Iterative depth check, so that the check itself cannot overflow the stack. */
function checkAstDepth(ast: PqlExpr, fail: (c: PqlErrorCode, m: string, s: PqlSpan) => never): void {
  const stack: Array<[PqlExpr, number]> = [[ast, 1]];
  while (stack.length > 0) {
    const [n, d] = stack.pop() as [PqlExpr, number];
    if (d > MAX_AST_DEPTH) {
      fail(
        PQL_ERROR_CODES.tooDeep,
        `expression is nested too deeply (more than ${MAX_AST_DEPTH} levels; maxAstDepth)`,
        n.span ?? { start: { line: 1, column: 1, offset: 0 }, end: { line: 1, column: 1, offset: 0 } },
      );
    }
    for (const c of childrenOf(n)) stack.push([c, d + 1]);
  }
}

const CHAIN_STARTERS = [CmpOperator, In, NotIn, Like, Matches, Occurs];

/** `this|last|next UNIT` around the offending token `t` (at the unit, or at last/next), as [first, unit]; else undefined. */
function relativeTimeAround(tokens: readonly IToken[], t: IToken): [IToken, IToken] | undefined {
  const i = tokens.findIndex((x) => x.startOffset === t.startOffset);
  const isUnit = (x: IToken | undefined): x is IToken => x !== undefined && tokenMatcher(x, Identifier) && TIME_UNITS.has(x.image.toLowerCase());
  const prev = tokens[i - 1];
  if (isUnit(t) && prev !== undefined && tokenMatcher(prev, This)) return [prev, t];
  const next = tokens[i + 1];
  if ((tokenMatcher(t, Last) || tokenMatcher(t, Next)) && isUnit(next)) return [t, next];
  return undefined;
}

/** Turn chevrotain's first recognition error into a PqlError, with special wording for common mistakes. */
function syntaxError(
  error: IRecognitionException,
  tokens: readonly IToken[],
  tokenSpan: (t: IToken) => PqlSpan,
  text: string,
  file: string | undefined,
): PqlError {
  const t = error.token;
  const make = (code: PqlErrorCode, message: string, at: IToken): PqlError => new PqlError(code, message, tokenSpan(at), text, file);

  if (tokenMatcher(t, At)) {
    return make(PQL_ERROR_CODES.unsupportedConstruct, "context references ('@{…}') belong to offer decisioning, which is not supported", t);
  }
  const relative = relativeTimeAround(tokens, t);
  if (relative !== undefined) {
    const [first, unit] = relative;
    const span = { start: tokenSpan(first).start, end: tokenSpan(unit).end };
    const words = `${first.image.toLowerCase()} ${unit.image.toLowerCase()}`;
    return new PqlError(PQL_ERROR_CODES.syntax, `'${words}' is a time reference, only used after 'occurs' or in WHEN(…): e.g. 'timestamp occurs ${words}'`, span, text, file);
  }
  const { code, message } = untag(error.message);
  if (
    CHAIN_STARTERS.some((c) => tokenMatcher(t, c)) &&
    (error.name === "NotAllInputParsedException" || code === PQL_ERROR_CODES.missingClose)
  ) {
    return make(
      PQL_ERROR_CODES.chainedComparison,
      `comparisons cannot be chained: found ${describeToken(t)} after a complete comparison; use 'and' or parentheses`,
      t,
    );
  }
  return make(code, message, t);
}
