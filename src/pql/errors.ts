/**
 * PQL errors: a stable code, a message that says what was expected and what was found, a span and a
 * source frame (in `detail`) that points at the offending text.
 */
import { ProfileLabError } from "../xdm/errors.js";

/** A position in the query text: 1-based line and column (UTF-16 code units), 0-based offset. */
export interface PqlPosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** A range of the query text; `end` is exclusive. */
export interface PqlSpan {
  readonly start: PqlPosition;
  readonly end: PqlPosition;
}

/** Every code this module reports, with the stage it belongs to (L lexer, S syntax, T check, J pql/json, C compile). */
export const PQL_ERROR_CODES = {
  unexpectedCharacter: "PQL-L001",
  unterminatedString: "PQL-L002",
  invalidEscape: "PQL-L003",
  syntax: "PQL-S001",
  expectedExpression: "PQL-S002",
  missingClose: "PQL-S003",
  trailingInput: "PQL-S004",
  chainedComparison: "PQL-S005",
  notPqlOperator: "PQL-S006",
  unsupportedConstruct: "PQL-S007",
  unknownFunction: "PQL-S008",
  unsupportedFunction: "PQL-S009",
  unknownUnit: "PQL-S010",
  tooDeep: "PQL-S011",
  numberOutOfRange: "PQL-S012",
  tooLarge: "PQL-S013",
  unknownField: "PQL-T001",
  eventFieldOutsideEvent: "PQL-T002",
  unknownEventField: "PQL-T003",
  typeMismatch: "PQL-T004",
  wrongArity: "PQL-T005",
  invalidArgument: "PQL-T006",
  notAnArray: "PQL-T007",
  unknownVariable: "PQL-T008",
  misplacedConstruct: "PQL-T009",
  invalidRegex: "PQL-T010",
  overBudget: "PQL-T011",
  invalidJson: "PQL-J001",
  checkFailed: "PQL-T000",
  cannotCompile: "PQL-C001",
} as const;

export type PqlErrorCode = (typeof PQL_ERROR_CODES)[keyof typeof PQL_ERROR_CODES];

/** A PQL lexing, parsing, checking or compiling error, with the span and a source frame. */
export class PqlError extends ProfileLabError {
  override readonly name: string = "PqlError";
  constructor(
    code: PqlErrorCode,
    message: string,
    readonly span: PqlSpan,
    text?: string,
    file?: string,
    detail?: string,
  ) {
    super(
      code,
      message,
      file === undefined
        ? { line: span.start.line, column: span.start.column }
        : { file, line: span.start.line, column: span.start.column },
      detail ?? (text === undefined ? undefined : sourceFrame(text, span)),
    );
  }
}

/** Maps offsets to 1-based line/column, agreeing with chevrotain's line terminators (\n, \r\n, \r). */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      }
    }
  }

  position(offset: number): PqlPosition {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - (this.starts[lo] ?? 0) + 1, offset: o };
  }

  span(startOffset: number, endOffset: number): PqlSpan {
    return { start: this.position(startOffset), end: this.position(Math.max(startOffset, endOffset)) };
  }

  /** The text of 1-based line `line`, without its terminator. */
  line(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return "";
    const next = this.starts[line];
    let end = next === undefined ? this.text.length : next;
    while (end > start && (this.text.charCodeAt(end - 1) === 10 || this.text.charCodeAt(end - 1) === 13)) end--;
    return this.text.slice(start, end);
  }

  get lineCount(): number {
    return this.starts.length;
  }
}

const FRAME_WIDTH = 100;

/**
 * The source frame printed under an error: the line before (if any), the offending line marked `>`, and
 * carets under the span (clipped to that line). Long lines are cut to a window around the span.
 */
export function sourceFrame(text: string, span: PqlSpan): string {
  const lines = new LineMap(text);
  const lineNo = Math.min(span.start.line, lines.lineCount);
  const gutter = String(Math.min(lineNo + 1, lines.lineCount)).length;
  const out: string[] = [];
  const raw = lines.line(lineNo).replace(/\t/g, " ");
  const caretStart = Math.max(0, span.start.column - 1);
  const caretLen =
    span.end.line === span.start.line ? Math.max(1, span.end.column - span.start.column) : Math.max(1, raw.length - caretStart);
  // Window long lines so the frame stays readable.
  let from = 0;
  if (raw.length > FRAME_WIDTH) from = Math.max(0, Math.min(caretStart - 30, raw.length - FRAME_WIDTH));
  const shown = (from > 0 ? "…" : "") + raw.slice(from, from + FRAME_WIDTH) + (from + FRAME_WIDTH < raw.length ? "…" : "");
  const shift = from > 0 ? 1 - from : 0;
  if (lineNo > 1) {
    const prev = lines.line(lineNo - 1).replace(/\t/g, " ");
    out.push(`    ${String(lineNo - 1).padStart(gutter)} | ${prev.length > FRAME_WIDTH ? `${prev.slice(0, FRAME_WIDTH)}…` : prev}`);
  }
  out.push(`  > ${String(lineNo).padStart(gutter)} | ${shown}`);
  const caretCol = Math.max(0, caretStart + shift);
  const visible = Math.max(1, Math.min(caretLen, shown.length - caretCol + 1));
  out.push(`    ${" ".repeat(gutter)} | ${" ".repeat(caretCol)}${"^".repeat(visible)}`);
  return out.join("\n");
}
