/**
 * A YAML (or JSON, which YAML reads too) document parsed with positions and validated against a JSON Schema,
 * every problem reported with the file, line and column of the node it is about and a source frame. Segment
 * test files and generator configs are read this way; the parsed document keeps its positions so that later
 * errors (an unknown segment, a schema file that does not exist) are located too.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import { sourceFrame } from "../pql/errors.js";
import type { ProfileLabError, SourceLocation } from "../xdm/errors.js";
import type { JsonSchema } from "./schemas.js";
import { schemaProblems } from "./validate.js";

/** A step of a path into the document: an object key or an array index. */
export type PathStep = string | number;

export type DocumentLocation = Required<Pick<SourceLocation, "file" | "line" | "column">>;

export interface LocatedDocument<T, E extends ProfileLabError> {
  readonly value: T;
  /** The location of the node at `path` (or of its deepest ancestor that exists), for an error about it. */
  locate(path: readonly PathStep[]): DocumentLocation;
  /** An error about the node at `path`: its location and a source frame under the message. */
  error(code: string, message: string, path: readonly PathStep[]): E;
}

export interface DocumentKind<E extends ProfileLabError> {
  readonly schema: JsonSchema;
  /** Code of a YAML syntax error. */
  readonly syntaxCode: string;
  /** Code of a problem the schema's `x-error` annotations do not code (and of a root that is not an object). */
  readonly shapeCode: string;
  /** What the root must be, said when it is not an object. */
  readonly rootMessage: string;
  /** The stage's error type; `jsonPath` (`$.a[0].b`) names the node the location points at. */
  readonly makeError: (code: string, message: string, location: DocumentLocation, detail: string | undefined, jsonPath: string) => E;
}

const STEP = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;

/** Steps as our `$.a[0]["b c"]` JSON path. */
export function jsonPathOf(path: readonly PathStep[]): string {
  let out = "$";
  for (const step of path) out += typeof step === "number" ? `[${step}]` : /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  return out;
}

/** Our `$.a[0]["b c"]` JSON path as steps. */
export function pathSteps(jsonPath: string): PathStep[] {
  const steps: PathStep[] = [];
  for (const m of jsonPath.slice(1).matchAll(STEP)) steps.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]!) as string)));
  return steps;
}

/** The text range of the node at `path`: a map entry's key (so "unknown field" and "wrong value" point at the line's field), an item itself. */
function rangeAt(root: Node | null, path: readonly PathStep[]): [number, number] {
  let node: unknown = root;
  let range: [number, number] = [0, 0];
  const take = (n: unknown): void => {
    const r = (n as Node | null)?.range;
    if (r) range = [r[0], r[1]];
  };
  take(node);
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(step));
      if (pair === undefined) break;
      take(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof step === "number" && node.items[step] !== undefined) {
      node = node.items[step];
      take(node);
    } else break;
  }
  return range;
}

/** Parses and validates a document's text; throws the kind's error naming the first problem (the others in its detail). */
export function parseLocatedDocument<T, E extends ProfileLabError>(text: string, file: string, kind: DocumentKind<E>): LocatedDocument<T, E> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const located = (code: string, message: string, path: readonly PathStep[], [start, end]: [number, number], more?: string): E => {
    const a = lineCounter.linePos(start);
    const b = lineCounter.linePos(Math.max(start, end));
    const span = { start: { line: a.line, column: a.col, offset: start }, end: { line: b.line, column: b.col, offset: end } };
    const frame = sourceFrame(text, span);
    return kind.makeError(code, message, { file, line: span.start.line, column: span.start.column }, more ? `${frame}\n${more}` : frame, jsonPathOf(path));
  };
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const firstLine = syntax.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw located(kind.syntaxCode, `not valid YAML: ${firstLine}`, [], syntax.pos);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  const locate = (path: readonly PathStep[]): DocumentLocation => {
    const [start] = rangeAt(doc.contents, path);
    const at = lineCounter.linePos(start);
    return { file, line: at.line, column: at.col };
  };
  const error = (code: string, message: string, path: readonly PathStep[]): E => located(code, message, path, rangeAt(doc.contents, path));
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw error(kind.shapeCode, kind.rootMessage, []);
  const { problems, truncated } = schemaProblems(kind.schema, kind.shapeCode, value);
  if (problems.length > 0) {
    const [first, ...rest] = problems;
    const others = rest.slice(0, 9).map((p) => {
      const at = locate(pathSteps(p.jsonPath));
      return `  also ${file}:${at.line}:${at.column}: ${p.message}`;
    });
    const more = rest.length - others.length + truncated;
    if (more > 0) others.push(`  … and ${more} more problem${more === 1 ? "" : "s"}`);
    const at = pathSteps(first!.jsonPath);
    throw located(first!.code, first!.message, at, rangeAt(doc.contents, at), others.join("\n") || undefined);
  }
  return { value: value as T, locate, error };
}
