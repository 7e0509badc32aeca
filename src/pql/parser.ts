/**
 * The PQL grammar as a chevrotain CstParser. Rule names map 1:1 to `grammar/pql.ebnf`
 * (camelCase here, PascalCase there); a test keeps the two in step. Semantic work (AST, scopes, function
 * names, units) happens in the CST visitor, never here.
 */
import type { IParserErrorMessageProvider, IToken, TokenType } from "chevrotain";
import { CstParser, EOF } from "./chevrotain.js";
import {
  After,
  All,
  allTokens,
  And,
  Arrow,
  Average,
  Before,
  Between,
  Bang,
  Caret,
  Chain,
  CmpOperator,
  Colon,
  Comma,
  DoubleLit,
  Dot,
  Equals,
  Exists,
  False,
  Forall,
  From,
  Identifier,
  In,
  IntLit,
  Last,
  LBracket,
  LCurly,
  Let,
  Like,
  LParen,
  Matches,
  Max,
  Min,
  Minus,
  Next,
  Not,
  NotIn,
  Now,
  Occurs,
  On,
  Or,
  Over,
  ParamRef,
  Percent,
  Plus,
  RBracket,
  RCurly,
  RParen,
  Select,
  Slash,
  Some,
  Star,
  StringLit,
  Sum,
  This,
  Today,
  Tomorrow,
  True,
  Where,
  Word,
  Yesterday,
} from "./tokens.js";
import { PQL_ERROR_CODES, type PqlErrorCode } from "./errors.js";

/** A syntax error message tagged with its code; the code travels inside the message string. */
const SEP = "\u0000";
export function tagged(code: PqlErrorCode, message: string): string {
  return `${code}${SEP}${message}`;
}
export function untag(message: string): { code: PqlErrorCode; message: string } {
  const i = message.indexOf(SEP);
  if (i < 0) return { code: PQL_ERROR_CODES.syntax, message };
  return { code: message.slice(0, i) as PqlErrorCode, message: message.slice(i + 1) };
}

/** How a token is quoted in messages: `"and"`, `end of input`. */
export function describeToken(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF) return "end of input";
  return JSON.stringify(token.image);
}

function describeType(t: TokenType): string {
  if (t === EOF) return "end of input";
  if (t === Identifier || t === Word) return "a name";
  if (t === CmpOperator) return "a comparison operator";
  return t.LABEL ?? t.name;
}

const CLOSERS = new Set<TokenType>([RParen, RBracket, RCurly]);

const EXPRESSION_RULES = new Set(["expression", "primary", "postfixExpr", "timeRef", "unaryExpr", "addExpr", "mulExpr"]);

/** The step clause words of `chain(...)`, matched case-insensitively. */
export const STEP_CLAUSES = ["WHAT", "WHEN", "WHERE", "COUNT"] as const;

const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    const code = CLOSERS.has(expected) ? PQL_ERROR_CODES.missingClose : PQL_ERROR_CODES.syntax;
    return tagged(code, `expected ${describeType(expected)} but found ${describeToken(actual)}`);
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return tagged(PQL_ERROR_CODES.trailingInput, `unexpected ${describeToken(firstRedundant)} after the end of the expression`);
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, actual, ruleName }) {
    const found = describeToken(actual[0]);
    if (EXPRESSION_RULES.has(ruleName)) {
      return tagged(PQL_ERROR_CODES.expectedExpression, `expected an expression but found ${found}`);
    }
    const firsts = new Set<string>();
    for (const alt of expectedPathsPerAlt) for (const path of alt) if (path[0] !== undefined) firsts.add(describeType(path[0]));
    const list = [...firsts];
    const expected = list.length <= 1 ? (list[0] ?? "something else") : `one of ${list.join(", ")}`;
    return tagged(PQL_ERROR_CODES.syntax, `expected ${expected} but found ${found}`);
  },
  buildEarlyExitMessage({ actual }) {
    return tagged(PQL_ERROR_CODES.syntax, `unexpected ${describeToken(actual[0])}`);
  },
};

export class PqlParser extends CstParser {
  constructor() {
    super(allTokens, { maxLookahead: 3, recoveryEnabled: false, nodeLocationTracking: "full", errorMessageProvider });
    this.performSelfAnalysis();
  }

  /** `( Identifier { , Identifier } ) =>` ahead: a lambda head, not a parenthesised expression. */
  private lambdaAhead(): boolean {
    let i = 2;
    if (this.LA(i).tokenType !== Identifier) return false;
    i++;
    while (this.LA(i).tokenType === Comma) {
      if (this.LA(i + 1).tokenType !== Identifier) return false;
      i += 2;
    }
    return this.LA(i).tokenType === RParen && this.LA(i + 1).tokenType === Arrow;
  }

  private wordAhead(word: string): boolean {
    const t = this.LA(1);
    return t.tokenType === Identifier && t.image.toUpperCase() === word;
  }

  query = this.RULE("query", () => {
    this.SUBRULE(this.expression);
  });

  expression = this.RULE("expression", () => {
    this.OR([
      { GATE: () => this.lambdaAhead(), ALT: () => this.SUBRULE(this.lambdaExpr), IGNORE_AMBIGUITIES: true },
      { ALT: () => this.SUBRULE(this.letExpr) },
      { ALT: () => this.SUBRULE(this.iterExpr) },
      { ALT: () => this.SUBRULE(this.aggExpr) },
      { ALT: () => this.SUBRULE(this.orExpr) },
    ]);
  });

  lambdaExpr = this.RULE("lambdaExpr", () => {
    this.CONSUME(LParen);
    this.CONSUME(Identifier, { LABEL: "params" });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.CONSUME2(Identifier, { LABEL: "params" });
    });
    this.CONSUME(RParen);
    this.CONSUME(Arrow);
    this.SUBRULE(this.expression, { LABEL: "body" });
  });

  letExpr = this.RULE("letExpr", () => {
    this.CONSUME(Let);
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(Equals);
    this.SUBRULE(this.addExpr, { LABEL: "value" });
    this.CONSUME(In);
    this.SUBRULE(this.expression, { LABEL: "body" });
  });

  iterExpr = this.RULE("iterExpr", () => {
    this.OR([
      { ALT: () => this.CONSUME(Select, { LABEL: "kind" }) },
      { ALT: () => this.CONSUME(Exists, { LABEL: "kind" }) },
      { ALT: () => this.CONSUME(Forall, { LABEL: "kind" }) },
      { ALT: () => this.CONSUME(Some, { LABEL: "kind" }) },
      { ALT: () => this.CONSUME(All, { LABEL: "kind" }) },
    ]);
    this.SUBRULE(this.varDecl, { LABEL: "decls" });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.varDecl, { LABEL: "decls" });
    });
    this.OPTION(() => {
      this.CONSUME(Colon, { LABEL: "colon" });
      this.SUBRULE(this.orExpr, { LABEL: "condition" });
    });
  });

  aggExpr = this.RULE("aggExpr", () => {
    this.SUBRULE(this.aggKw);
    this.OR([
      { ALT: () => this.SUBRULE(this.varDecl, { LABEL: "short" }) },
      {
        ALT: () => {
          this.SUBRULE(this.addExpr, { LABEL: "value" });
          this.CONSUME(Over);
          this.SUBRULE2(this.varDecl, { LABEL: "decls" });
          this.MANY(() => {
            this.CONSUME(Comma);
            this.SUBRULE3(this.varDecl, { LABEL: "decls" });
          });
        },
      },
    ]);
  });

  aggKw = this.RULE("aggKw", () => {
    this.OR([
      { ALT: () => this.CONSUME(Sum, { LABEL: "fn" }) },
      { ALT: () => this.CONSUME(Average, { LABEL: "fn" }) },
      { ALT: () => this.CONSUME(Min, { LABEL: "fn" }) },
      { ALT: () => this.CONSUME(Max, { LABEL: "fn" }) },
    ]);
  });

  varDecl = this.RULE("varDecl", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(From);
    this.SUBRULE(this.postfixExpr, { LABEL: "source" });
    this.OPTION(() => {
      this.CONSUME(Where);
      this.SUBRULE(this.orExpr, { LABEL: "condition" });
    });
  });

  orExpr = this.RULE("orExpr", () => {
    this.SUBRULE(this.andExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(Or);
      this.SUBRULE2(this.andExpr, { LABEL: "operands" });
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.CONSUME(And);
      this.SUBRULE2(this.notExpr, { LABEL: "operands" });
    });
  });

  // Iterative, not recursive: a run of `not` cannot grow the parser's stack.
  notExpr = this.RULE("notExpr", () => {
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Not, { LABEL: "negations" }) }, { ALT: () => this.CONSUME(Bang, { LABEL: "negations" }) }]);
    });
    this.SUBRULE(this.cmpExpr);
  });

  cmpExpr = this.RULE("cmpExpr", () => {
    this.SUBRULE(this.addExpr, { LABEL: "left" });
    this.OPTION(() => this.SUBRULE(this.cmpTail));
  });

  cmpTail = this.RULE("cmpTail", () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.cmpOp);
          this.SUBRULE(this.addExpr, { LABEL: "right" });
        },
      },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(In, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(NotIn, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(Like, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(Matches, { LABEL: "operator" }) },
          ]);
          this.SUBRULE2(this.addExpr, { LABEL: "right" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(Occurs);
          this.SUBRULE(this.occursSpec);
        },
      },
    ]);
  });

  cmpOp = this.RULE("cmpOp", () => {
    this.CONSUME(CmpOperator, { LABEL: "operator" });
  });

  occursSpec = this.RULE("occursSpec", () => {
    this.OR([
      {
        // F1: [CMP] N UNIT DIR REF
        ALT: () => {
          this.OPTION(() => this.SUBRULE(this.cmpOp));
          this.CONSUME(IntLit, { LABEL: "amount" });
          this.SUBRULE(this.unit);
          this.SUBRULE(this.direction);
          this.SUBRULE(this.timeRef, { LABEL: "ref" });
        },
      },
      {
        // F2: DIR REF
        ALT: () => {
          this.SUBRULE2(this.direction);
          this.SUBRULE2(this.timeRef, { LABEL: "ref" });
        },
      },
      {
        // F4: between REF and REF
        ALT: () => {
          this.CONSUME(Between);
          this.SUBRULE3(this.timeRef, { LABEL: "rangeStart" });
          this.CONSUME(And);
          this.SUBRULE4(this.timeRef, { LABEL: "rangeEnd" });
        },
      },
      {
        // F3: [on] REF
        ALT: () => {
          this.OPTION2(() => this.CONSUME(On));
          this.SUBRULE5(this.timeRef, { LABEL: "ref" });
        },
      },
    ]);
  });

  direction = this.RULE("direction", () => {
    this.OR([
      { ALT: () => this.CONSUME(Before, { LABEL: "word" }) },
      { ALT: () => this.CONSUME(After, { LABEL: "word" }) },
      { ALT: () => this.CONSUME(From, { LABEL: "word" }) },
    ]);
  });

  timeRef = this.RULE("timeRef", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(This, { LABEL: "which" }) },
            { ALT: () => this.CONSUME(Last, { LABEL: "which" }) },
            { ALT: () => this.CONSUME(Next, { LABEL: "which" }) },
          ]);
          this.SUBRULE(this.unit);
        },
      },
      { ALT: () => this.SUBRULE(this.addExpr, { LABEL: "value" }) },
    ]);
  });

  unit = this.RULE("unit", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
  });

  addExpr = this.RULE("addExpr", () => {
    this.SUBRULE(this.mulExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Plus, { LABEL: "ops" }) }, { ALT: () => this.CONSUME(Minus, { LABEL: "ops" }) }]);
      this.SUBRULE2(this.mulExpr, { LABEL: "operands" });
    });
  });

  mulExpr = this.RULE("mulExpr", () => {
    this.SUBRULE(this.unaryExpr, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Star, { LABEL: "ops" }) },
        { ALT: () => this.CONSUME(Slash, { LABEL: "ops" }) },
        { ALT: () => this.CONSUME(Percent, { LABEL: "ops" }) },
      ]);
      this.SUBRULE2(this.unaryExpr, { LABEL: "operands" });
    });
  });

  // Iterative like notExpr: `- - - x` cannot grow the stack.
  unaryExpr = this.RULE("unaryExpr", () => {
    this.MANY(() => this.CONSUME(Minus, { LABEL: "minus" }));
    this.SUBRULE(this.postfixExpr);
  });

  postfixExpr = this.RULE("postfixExpr", () => {
    this.SUBRULE(this.primary);
    this.MANY(() => this.SUBRULE(this.postfixOp, { LABEL: "ops" }));
  });

  postfixOp = this.RULE("postfixOp", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Dot);
          this.SUBRULE(this.memberName);
          this.OPTION(() => {
            this.CONSUME(LParen, { LABEL: "call" });
            this.OPTION2(() => this.SUBRULE(this.argList));
            this.CONSUME(RParen);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(LBracket, { LABEL: "filter" });
          this.SUBRULE(this.expression, { LABEL: "condition" });
          this.CONSUME(RBracket);
        },
      },
    ]);
  });

  memberName = this.RULE("memberName", () => {
    this.CONSUME(Word, { LABEL: "name" });
  });

  argList = this.RULE("argList", () => {
    this.SUBRULE(this.expression, { LABEL: "args" });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.expression, { LABEL: "args" });
    });
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.literal) },
      { ALT: () => this.SUBRULE(this.listLit) },
      { ALT: () => this.SUBRULE(this.objectLit) },
      {
        ALT: () => {
          this.CONSUME(LParen, { LABEL: "paren" });
          this.SUBRULE(this.expression);
          this.CONSUME(RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.chainExpr) },
      { ALT: () => this.SUBRULE(this.functionCall) },
      { ALT: () => this.SUBRULE(this.upRef) },
      { ALT: () => this.CONSUME(ParamRef, { LABEL: "param" }) },
      { ALT: () => this.CONSUME(Identifier, { LABEL: "name" }) },
      // `this UNIT` is a time reference (timeRef tries it first); `this` alone is the current element.
      { ALT: () => this.CONSUME(This, { LABEL: "this" }) },
      { ALT: () => this.CONSUME(Now, { LABEL: "timeKeyword" }) },
      { ALT: () => this.CONSUME(Today, { LABEL: "timeKeyword" }) },
      { ALT: () => this.CONSUME(Yesterday, { LABEL: "timeKeyword" }) },
      { ALT: () => this.CONSUME(Tomorrow, { LABEL: "timeKeyword" }) },
    ]);
  });

  functionCall = this.RULE("functionCall", () => {
    this.CONSUME(Identifier, { LABEL: "name" });
    this.CONSUME(LParen);
    this.OPTION(() => this.SUBRULE(this.argList));
    this.CONSUME(RParen);
  });

  chainExpr = this.RULE("chainExpr", () => {
    this.CONSUME(Chain, { LABEL: "keyword" });
    this.CONSUME(LParen);
    this.SUBRULE(this.postfixExpr, { LABEL: "events" });
    this.CONSUME(Comma);
    this.CONSUME(Identifier, { LABEL: "timeField" });
    this.CONSUME2(Comma);
    this.CONSUME(LBracket);
    this.SUBRULE(this.chainStep, { LABEL: "steps" });
    this.MANY(() => {
      this.CONSUME3(Comma);
      this.SUBRULE2(this.chainStep, { LABEL: "steps" });
    });
    this.CONSUME(RBracket);
    this.CONSUME(RParen);
  });

  chainStep = this.RULE("chainStep", () => {
    this.CONSUME(Identifier, { LABEL: "label" });
    this.CONSUME(Colon);
    this.AT_LEAST_ONE(() => this.SUBRULE(this.stepClause, { LABEL: "clauses" }));
  });

  stepClause = this.RULE("stepClause", () => {
    this.OR([
      {
        GATE: () => this.wordAhead("WHAT"),
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.CONSUME(Identifier, { LABEL: "what" });
          this.CONSUME(LParen);
          this.SUBRULE(this.expression, { LABEL: "condition" });
          this.CONSUME(RParen);
        },
      },
      {
        GATE: () => this.wordAhead("WHEN"),
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.CONSUME2(Identifier, { LABEL: "when" });
          this.CONSUME2(LParen);
          this.SUBRULE(this.occursSpec);
          this.CONSUME2(RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Where, { LABEL: "where" });
          this.CONSUME3(LParen);
          this.SUBRULE2(this.expression, { LABEL: "condition" });
          this.CONSUME3(RParen);
        },
      },
      {
        GATE: () => this.wordAhead("COUNT"),
        IGNORE_AMBIGUITIES: true,
        ALT: () => {
          this.CONSUME3(Identifier, { LABEL: "count" });
          this.CONSUME4(LParen);
          this.CONSUME(IntLit, { LABEL: "amount" });
          this.CONSUME4(RParen);
        },
      },
    ]);
  });

  upRef = this.RULE("upRef", () => {
    this.AT_LEAST_ONE(() => this.CONSUME(Caret, { LABEL: "carets" }));
    this.OPTION(() => this.CONSUME(Dot));
    this.CONSUME(Word, { LABEL: "name" });
  });

  literal = this.RULE("literal", () => {
    this.OR([
      { ALT: () => this.CONSUME(StringLit, { LABEL: "string" }) },
      { ALT: () => this.CONSUME(IntLit, { LABEL: "integer" }) },
      { ALT: () => this.CONSUME(DoubleLit, { LABEL: "double" }) },
      { ALT: () => this.CONSUME(True, { LABEL: "boolean" }) },
      { ALT: () => this.CONSUME(False, { LABEL: "boolean" }) },
    ]);
  });

  listLit = this.RULE("listLit", () => {
    this.CONSUME(LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.expression, { LABEL: "items" });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.SUBRULE2(this.expression, { LABEL: "items" });
      });
    });
    this.CONSUME(RBracket);
  });

  objectLit = this.RULE("objectLit", () => {
    this.CONSUME(LCurly);
    this.OPTION(() => {
      this.CONSUME(StringLit, { LABEL: "keys" });
      this.CONSUME(Colon);
      this.SUBRULE(this.expression, { LABEL: "values" });
      this.MANY(() => {
        this.CONSUME(Comma);
        this.CONSUME2(StringLit, { LABEL: "keys" });
        this.CONSUME2(Colon);
        this.SUBRULE2(this.expression, { LABEL: "values" });
      });
    });
    this.CONSUME(RCurly);
  });
}

/** The one parser instance (chevrotain parsers are reusable: set `input`, call a rule). */
export const pqlParser = new PqlParser();
