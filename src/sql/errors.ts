/**
 * Errors of the SQL back end. A construct the back end cannot express exactly is refused with a coded error
 * (never compiled to SQL that would give a different answer than the closure compiler), located at the PQL node.
 */
import { ProfileLabError } from "../xdm/errors.js";
import { sourceFrame, type PqlSpan } from "../pql/errors.js";

export const SQL_ERROR_CODES = {
  /** A node kind or function the SQL back end does not compile (yet). */
  notCompiled: "SQL-U001",
  /** Values whose types SQL cannot hold in one column (a list of strings and numbers, `if` branches of two types). */
  mixedTypes: "SQL-U002",
  /** A regular expression whose meaning differs between the reference (Java syntax, JavaScript semantics) and the engine's. */
  regex: "SQL-U003",
  /** A comparison or time reference that depends on the original text of a value SQL holds typed (e.g. a date-time). */
  typedText: "SQL-U004",
  /** A name the engine cannot hold: an empty field name, or two that differ only in case where the engine ignores case. */
  names: "SQL-U005",
  /** An invariant of the compiler was broken: a bug, reported with the node. */
  internal: "SQL-C001",
} as const;

export type SqlErrorCode = (typeof SQL_ERROR_CODES)[keyof typeof SQL_ERROR_CODES];

/** DuckDB's own out-of-memory message starts so. */
export const OUT_OF_MEMORY = /out of memory|could not allocate/i;

/** Whether `e` is the engine running out of memory: DuckDB's error, or ours made of it (SQL-E003). */
export function outOfMemory(e: unknown): boolean {
  return e instanceof ProfileLabError ? e.code === "SQL-E003" : OUT_OF_MEMORY.test(e instanceof Error ? e.message : String(e));
}

/** A PQL expression (or part of one) that cannot be compiled to SQL; `span` points at the PQL node. */
export class SqlCompileError extends ProfileLabError {
  override readonly name: string = "SqlCompileError";
  constructor(
    code: SqlErrorCode,
    message: string,
    readonly span: PqlSpan | undefined,
    text?: string,
    file?: string,
  ) {
    super(
      code,
      message,
      span === undefined ? (file === undefined ? {} : { file }) : { ...(file === undefined ? {} : { file }), line: span.start.line, column: span.start.column },
      text === undefined || span === undefined ? undefined : sourceFrame(text, span),
    );
  }
}

/**
 * Whether the closure compiler over the rows the engine hands back gives the reference's answer where the SQL back
 * end refused: the rows hold every value the segment reads. Not for typedText (the rows hold a date-time's instant,
 * not its text, and an object's fields in the schema's order), nor for a compiler bug, nor for a schema the engine
 * cannot hold as a row (a names refusal of no PQL node; a pql/json definition's nodes have no span either, and are
 * refused to be safe).
 */
export function closureAnswers(e: SqlCompileError): boolean {
  if (e.code === SQL_ERROR_CODES.typedText || e.code === SQL_ERROR_CODES.internal) return false;
  return e.code !== SQL_ERROR_CODES.names || e.span !== undefined;
}
