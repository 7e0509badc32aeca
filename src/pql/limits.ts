/**
 * The cost budget of one PQL expression, checked before anything is evaluated (grammar/DECISIONS.md, "Limits").
 * The platform documents no limit for segment definitions; its only published PQL limits are Journey Optimizer's
 * decisioning rules (15 KB of PQL, 30 nesting levels), too small for generated segment definitions with long
 * `in` lists, so these are ours: each bounds a cost that grows with the input (parse time per token, pattern
 * matching per character, evaluation loops multiplied per nesting level), so that any accepted expression is
 * parsed, checked, compiled and evaluated on one profile well within a second.
 */

/**
 * Longest expression text, in UTF-16 code units (checked before lexing, which costs per character). Formatting
 * may lengthen a text (`!a` → `not (a)`), so the format → parse round trip is guaranteed for texts of at most a
 * quarter of this.
 */
export const MAX_TEXT_LENGTH = 262_144;
/**
 * Most tokens in one expression, brackets, comparison operators, dots and the items of literal lists aside
 * (checked after lexing, before parsing, which costs some 20–60 µs per token on a busy machine; brackets,
 * comparison operators and dots are what the formatter may add, so formatted text never exceeds it, and lists
 * of literals are parsed on a fast path bounded by MAX_LIST_ITEMS).
 */
export const MAX_TOKENS = 6000;
/** Deepest bracket nesting (`(`, `[`, `{`, and the right-open let/lambda/select/quantifier/aggregate constructs). */
export const MAX_BRACKET_DEPTH = 100;
/** Deepest AST (long `not` or `-` runs, long paths); also bounds every recursive walk of a tree. */
export const MAX_AST_DEPTH = 1000;
/** Longest string literal, in UTF-16 code units. */
export const MAX_STRING_LENGTH = 65_536;
/** Longest `like` or `matches`/`regexGroup` pattern, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 1000;
/**
 * Most instructions in the compiled RE2 program of a `matches`/`regexGroup` pattern: matching costs up to this
 * much per input character (a repetition `x{n}` counts x n times, so `(.*){1000}` is refused).
 */
export const MAX_REGEX_SIZE = 500;
/** Most items in one list literal (a list of literals is refused before parsing, any other by the checker). */
export const MAX_LIST_ITEMS = 5000;
/** Most operands of `and`/`or` in one expression, all chains together. */
export const MAX_LOGICAL_OPERANDS = 1000;
/**
 * Deepest nesting of per-element scopes: filters `[…]`, per-element arguments and their lambdas (`filter`, `map`,
 * `sum`, …), `select`/`exists`/`forall`/aggregate clauses and `chain` steps. Each level is a loop inside the
 * loop of the level above, so the cost of one evaluation is the product of the array sizes along the nesting.
 * The documented patterns need two or three (`xEvent[productListItems[…]]`, `select X from xEvent, I from
 * X.productListItems where …`, `….groupBy(k).map((K, G) => mapEntry(K, G.sum(v)))`).
 */
export const MAX_ITERATION_DEPTH = 4;
/**
 * Deepest nesting of loops over `xEvent` (a profile may have up to 5,000 events — the platform's guardrail — so
 * two nested event loops are up to 25 million steps, three would be 125 billion).
 */
export const MAX_EVENT_LOOP_DEPTH = 2;

/** Every limit by the name error messages use. */
export const PQL_LIMITS = {
  maxTextLength: MAX_TEXT_LENGTH,
  maxTokens: MAX_TOKENS,
  maxBracketDepth: MAX_BRACKET_DEPTH,
  maxAstDepth: MAX_AST_DEPTH,
  maxStringLength: MAX_STRING_LENGTH,
  maxPatternLength: MAX_PATTERN_LENGTH,
  maxRegexSize: MAX_REGEX_SIZE,
  maxListItems: MAX_LIST_ITEMS,
  maxLogicalOperands: MAX_LOGICAL_OPERANDS,
  maxIterationDepth: MAX_ITERATION_DEPTH,
  maxEventLoopDepth: MAX_EVENT_LOOP_DEPTH,
} as const;
