/**
 * PQL tokens and the lexer. Keywords are case-insensitive and all belong to the `Word` category, so that
 * any word may follow `.` as a member name. Tokens PQL does not have (`==`, `&&`, `||`) and the context
 * reference `@{…}` (offer decisioning, out of scope) are still lexed so that the parser can say precisely
 * what is wrong.
 */
import type { TokenType } from "chevrotain";
import { createToken, Lexer } from "./chevrotain.js";

/** Any word: identifiers and keywords. */
export const Word = createToken({ name: "Word", pattern: Lexer.NA });
/** `= != < <= > >=` */
export const CmpOperator = createToken({ name: "CmpOperator", pattern: Lexer.NA });
/** Operators and punctuation PQL does not have (`==`, `&&`, `||`). */
export const NotPql = createToken({ name: "NotPql", pattern: Lexer.NA });
/** PQL tokens outside the implemented language (`@{` context references). */
export const Unsupported = createToken({ name: "Unsupported", pattern: Lexer.NA });

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Word] });

const keywordTokens: TokenType[] = [];
function keyword(name: string, word: string): TokenType {
  const t = createToken({
    name,
    pattern: new RegExp(word, "i"),
    longer_alt: Identifier,
    categories: [Word],
    label: `"${word}"`,
  });
  keywordTokens.push(t);
  return t;
}

// NotIn before Not: the lexer takes the first pattern that matches.
export const NotIn = keyword("NotIn", "notIn");
export const And = keyword("And", "and");
export const Or = keyword("Or", "or");
export const Not = keyword("Not", "not");
export const In = keyword("In", "in");
export const Like = keyword("Like", "like");
export const Select = keyword("Select", "select");
export const From = keyword("From", "from");
export const Where = keyword("Where", "where");
export const Occurs = keyword("Occurs", "occurs");
export const Between = keyword("Between", "between");
export const On = keyword("On", "on");
export const Before = keyword("Before", "before");
export const After = keyword("After", "after");
export const This = keyword("This", "this");
export const Last = keyword("Last", "last");
export const Next = keyword("Next", "next");
export const Now = keyword("Now", "now");
export const Today = keyword("Today", "today");
export const Yesterday = keyword("Yesterday", "yesterday");
export const Tomorrow = keyword("Tomorrow", "tomorrow");
export const True = keyword("True", "true");
export const Let = keyword("Let", "let");
export const Exists = keyword("Exists", "exists");
export const Forall = keyword("Forall", "forall");
export const Some = keyword("Some", "some");
export const All = keyword("All", "all");
export const Sum = keyword("Sum", "sum");
export const Average = keyword("Average", "average");
export const Min = keyword("Min", "min");
export const Max = keyword("Max", "max");
export const Over = keyword("Over", "over");
export const Matches = keyword("Matches", "matches");
export const Chain = keyword("Chain", "chain");
export const False = keyword("False", "false");

export const StringLit = createToken({ name: "StringLit", pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/, label: "string" });
/** A string with no closing quote on its line; always reported as an error. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?/,
  label: "unterminated string",
});
export const DoubleLit = createToken({
  name: "DoubleLit",
  pattern: /(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+/,
  label: "number",
});
export const IntLit = createToken({ name: "IntLit", pattern: /\d+/, label: "integer" });

export const DoubleEquals = createToken({ name: "DoubleEquals", pattern: /==/, categories: [NotPql], label: '"=="' });
export const AndAnd = createToken({ name: "AndAnd", pattern: /&&/, categories: [NotPql], label: '"&&"' });
export const OrOr = createToken({ name: "OrOr", pattern: /\|\|/, categories: [NotPql], label: '"||"' });
export const Arrow = createToken({ name: "Arrow", pattern: /=>/, label: '"=>"' });

export const NotEquals = createToken({ name: "NotEquals", pattern: /!=/, categories: [CmpOperator], label: '"!="' });
export const LessEquals = createToken({ name: "LessEquals", pattern: /<=/, categories: [CmpOperator], label: '"<="' });
export const GreaterEquals = createToken({ name: "GreaterEquals", pattern: />=/, categories: [CmpOperator], label: '">="' });
export const Less = createToken({ name: "Less", pattern: /</, categories: [CmpOperator], label: '"<"' });
export const Greater = createToken({ name: "Greater", pattern: />/, categories: [CmpOperator], label: '">"' });
export const Equals = createToken({ name: "Equals", pattern: /=/, categories: [CmpOperator], label: '"="' });
export const Bang = createToken({ name: "Bang", pattern: /!/, label: '"!"' });

export const LParen = createToken({ name: "LParen", pattern: /\(/, label: '"("' });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: '")"' });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: '"["' });
export const RBracket = createToken({ name: "RBracket", pattern: /]/, label: '"]"' });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: '","' });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: '"."' });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: '"-"' });

export const Plus = createToken({ name: "Plus", pattern: /\+/, label: '"+"' });
export const Star = createToken({ name: "Star", pattern: /\*/, label: '"*"' });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: '"/"' });
export const Percent = createToken({ name: "Percent", pattern: /%/, label: '"%"' });
export const LCurly = createToken({ name: "LCurly", pattern: /\{/, label: '"{"' });
export const RCurly = createToken({ name: "RCurly", pattern: /}/, label: '"}"' });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: '":"' });
export const Caret = createToken({ name: "Caret", pattern: /\^/, label: '"^"' });
export const ParamRef = createToken({ name: "ParamRef", pattern: /\$\d*/, label: '"$n"' });
export const At = createToken({ name: "At", pattern: /@\{[^}\n]*\}|@/, categories: [Unsupported], label: '"@"' });

/** All tokens in lexing order. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  Word,
  CmpOperator,
  NotPql,
  Unsupported,
  StringLit,
  UnterminatedString,
  DoubleLit,
  IntLit,
  ...keywordTokens,
  Identifier,
  DoubleEquals,
  Arrow,
  AndAnd,
  OrOr,
  NotEquals,
  LessEquals,
  GreaterEquals,
  Less,
  Greater,
  Equals,
  Bang,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Dot,
  Minus,
  Plus,
  Star,
  Slash,
  Percent,
  LCurly,
  RCurly,
  Colon,
  Caret,
  ParamRef,
  At,
];

export const KEYWORD_TOKENS: readonly TokenType[] = keywordTokens;

/** The lexer; position tracking "full" so every token has line and column. */
export const pqlLexer = new Lexer(allTokens, { positionTracking: "full", ensureOptimizations: false });
