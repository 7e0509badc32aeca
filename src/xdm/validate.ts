/**
 * Checks a record against its dataset's schema, as the platform does at ingestion: unknown fields, wrong
 * types, impossible timestamps, nulls (never stored: absent keys are omitted), integers beyond their XDM type
 * and values outside the schema's constraints (enum, minimum/maximum, lengths, pattern, format) are rejected
 * with the JSON path of the offending value.
 */
import { translateJavaRegex } from "../pql/regex.js";
import { FORMAT_NAMES, hasFormat } from "./formats.js";
import { MAX_DATA_DEPTH } from "./limits.js";
import { preview } from "./preview.js";
import { parseDate, parseDateTime } from "./time.js";
import { XDM_INTEGER_RANGES, type XdmObject, type XdmScalar, type XdmType } from "./xdm-type.js";

export interface ValidationIssue {
  /** JSON path of the value, e.g. `$.person.name.firstName`. */
  readonly path: string;
  readonly message: string;
}

/*
 * Depth: the checks below recurse along the schema, never along the data, and what passes them is no deeper
 * than its schema, so the walkers over validated rows (fragments, merge, projection) stay within the schema's
 * depth too. A row that fails and nests deeper than MAX_DATA_DEPTH is reported as such, not described.
 */

/**
 * The path of the top-level field of `record` that nests objects and arrays deeper than `limit` levels
 * (the record itself counts one), or undefined. Walks with its own stack, so any depth is safe.
 */
export function tooDeepAt(record: Record<string, unknown>, limit = MAX_DATA_DEPTH): string | undefined {
  for (const key in record) {
    const stack: unknown[] = [record[key]];
    const depths: number[] = [2];
    while (stack.length > 0) {
      const value = stack.pop();
      const depth = depths.pop()!;
      if (typeof value !== "object" || value === null) continue;
      if (depth > limit) return `$.${key}`;
      for (const k in value) {
        stack.push((value as Record<string, unknown>)[k]);
        depths.push(depth + 1);
      }
    }
  }
  return undefined;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** What is wrong with a value for a scalar type, or undefined when it conforms. */
type Problem = (value: unknown) => string | undefined;

/** A scalar type's checks: `ok` for the fast path, `problem` to say what is wrong. */
interface ScalarChecks {
  readonly ok: (value: unknown) => boolean;
  readonly problem: Problem;
}

const mismatch = (expected: string, value: unknown): string => `expected ${expected} but found ${kindOf(value)} ${preview(value)}`;
const count = (n: number): string => n.toLocaleString("en-US");

/** Code points in `s` (what JSON Schema's lengths count), counted only past what its UTF-16 length settles. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 === s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
      n++;
    }
  }
  return n;
}

/** The check of a scalar's kind: a test, and what a value should have been. */
function kindCheck(type: XdmScalar): { readonly test: (v: unknown) => boolean; readonly expected: string } {
  switch (type.kind) {
    case "string":
      return { test: (v) => typeof v === "string", expected: "a string" };
    case "int":
    case "long":
      return { test: (v) => typeof v === "number" && Number.isInteger(v), expected: "an integer" };
    case "double":
      return { test: (v) => typeof v === "number", expected: "a number" };
    case "boolean":
      return { test: (v) => typeof v === "boolean", expected: "a boolean" };
    case "date-time":
      return {
        test: (v) => (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && parseDateTime(v) !== undefined),
        expected: "an RFC 3339 date-time with an offset (e.g. 2024-05-01T10:00:00Z)",
      };
    case "date":
      return { test: (v) => typeof v === "string" && parseDate(v) !== undefined, expected: "a date YYYY-MM-DD" };
  }
}

/**
 * The checks of one scalar type compiled once (its kind, the range its integer kind holds, its schema's
 * constraints): a conforming value costs a few comparisons, and only a failing one builds a message.
 */
function compileScalar(type: XdmScalar): ScalarChecks {
  const { test, expected } = kindCheck(type);
  const kindProblem = (v: unknown): string =>
    type.kind === "date-time" || type.kind === "date" ? `expected ${expected} but found ${preview(v)}` : mismatch(expected, v);
  const checks: Problem[] = [];
  const c = type.constraints ?? {};
  const range = type.kind === "int" || type.kind === "long" ? XDM_INTEGER_RANGES[type.kind] : undefined;
  if (range !== undefined) {
    const { minimum, maximum } = range;
    checks.push((v) => ((v as number) < minimum || (v as number) > maximum ? `${v} does not fit ${type.kind === "int" ? "an int" : "a long"} field (${count(minimum)} to ${count(maximum)})` : undefined));
  }
  const { minimum, maximum } = c;
  if (minimum !== undefined) checks.push((v) => ((v as number) < minimum ? `${v} is below the schema's minimum ${minimum}` : undefined));
  if (maximum !== undefined) checks.push((v) => ((v as number) > maximum ? `${v} is above the schema's maximum ${maximum}` : undefined));
  if (c.enum !== undefined) {
    const allowed = new Set<unknown>(c.enum);
    const listed = c.enum.slice(0, 12).map((x) => JSON.stringify(x)).join(", ") + (c.enum.length > 12 ? `, … (${count(c.enum.length)} values)` : "");
    checks.push((v) => (allowed.has(v) ? undefined : `${preview(v)} is not one of the values the schema allows (enum): ${listed}`));
  }
  const { minLength, maxLength } = c;
  if (minLength !== undefined) {
    checks.push((v) => {
      const s = v as string;
      return s.length >= 2 * minLength || codePoints(s) >= minLength ? undefined : `${preview(s)} is ${count(codePoints(s))} characters long; the schema's minLength is ${count(minLength)}`;
    });
  }
  if (maxLength !== undefined) {
    checks.push((v) => {
      const s = v as string;
      return s.length <= maxLength || codePoints(s) <= maxLength ? undefined : `${preview(s)} is ${count(codePoints(s))} characters long; the schema's maxLength is ${count(maxLength)}`;
    });
  }
  if (c.pattern !== undefined) {
    const pattern = c.pattern;
    const translated = translateJavaRegex(pattern);
    // schema.ts refuses a pattern that does not translate, so this only guards hand-made types.
    if (!translated.ok) throw new Error(`untranslatable pattern ${JSON.stringify(pattern)}: ${translated.message}`);
    const regex = translated.regex;
    checks.push((v) => (regex.test(v as string) ? undefined : `${preview(v)} does not match the schema's pattern ${JSON.stringify(pattern)}`));
  }
  const format = c.format;
  if (format !== undefined) checks.push((v) => (hasFormat(v as string, format) ? undefined : `${preview(v)} is not ${FORMAT_NAMES[format]} (format "${format}")`));

  if (checks.length === 0) return { ok: test, problem: (v) => (test(v) ? undefined : kindProblem(v)) };
  const problem: Problem = (v) => {
    if (!test(v)) return kindProblem(v);
    for (const check of checks) {
      const found = check(v);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  // An integer field with no constraint of its own (most of them) has its range in one test on the fast path.
  if (range !== undefined && checks.length === 1) return { ok: (v) => test(v) && (v as number) >= range.minimum && (v as number) <= range.maximum, problem };
  return { ok: (v) => problem(v) === undefined, problem };
}

const scalarChecks = new WeakMap<XdmScalar, ScalarChecks>();

function checksOf(type: XdmScalar): ScalarChecks {
  let checks = scalarChecks.get(type);
  if (checks === undefined) scalarChecks.set(type, (checks = compileScalar(type)));
  return checks;
}

function check(value: unknown, type: XdmType, path: string): ValidationIssue | undefined {
  if (value === null) return { path, message: "null values are not stored; omit the field instead" };
  const at = (message: string | undefined): ValidationIssue | undefined => (message === undefined ? undefined : { path, message });
  switch (type.kind) {
    case "array": {
      if (!Array.isArray(value)) return at(mismatch("an array", value));
      for (let i = 0; i < value.length; i++) {
        const issue = check(value[i], type.items, `${path}[${i}]`);
        if (issue) return issue;
      }
      return undefined;
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) return at(mismatch("an object (map)", value));
      for (const [key, v] of Object.entries(value)) {
        const issue = check(v, type.values, `${path}[${JSON.stringify(key)}]`);
        if (issue) return issue;
      }
      return undefined;
    }
    case "object":
      return typeof value === "object" && !Array.isArray(value)
        ? checkObject(value as Record<string, unknown>, type, path)
        : at(mismatch("an object", value));
    default:
      return at(checksOf(type).problem(value));
  }
}

function checkObject(value: Record<string, unknown>, type: XdmObject, path: string): ValidationIssue | undefined {
  for (const key in value) {
    const fieldType = type.fields.get(key);
    const fieldPath = `${path}.${key}`;
    if (fieldType === undefined) return { path: fieldPath, message: `field "${key}" is not in the schema` };
    const issue = check(value[key], fieldType, fieldPath);
    if (issue) return issue;
  }
  return undefined;
}

/** Every problem under `value`, in field order (collects where `check` stops at the first). */
function collect(value: unknown, type: XdmType, path: string, out: ValidationIssue[]): void {
  if (value === null || type.kind !== "object" && type.kind !== "array" && type.kind !== "map") {
    const issue = check(value, type, path);
    if (issue) out.push(issue);
    return;
  }
  if (type.kind === "array") {
    if (!Array.isArray(value)) return void out.push(check(value, type, path)!);
    for (let i = 0; i < value.length; i++) collect(value[i], type.items, `${path}[${i}]`, out);
    return;
  }
  if (typeof value !== "object" || Array.isArray(value)) return void out.push(check(value, type, path)!);
  const record = value as Record<string, unknown>;
  if (type.kind === "map") {
    for (const key in record) collect(record[key], type.values, `${path}[${JSON.stringify(key)}]`, out);
    return;
  }
  for (const key in record) {
    const fieldType = type.fields.get(key);
    const fieldPath = `${path}.${key}`;
    if (fieldType === undefined) out.push({ path: fieldPath, message: `field "${key}" is not in the schema` });
    else collect(record[key], fieldType, fieldPath, out);
  }
}

type Check = (value: unknown) => boolean;

/** A yes/no check compiled once per type: no paths, no messages, nothing allocated per value. */
function compile(type: XdmType): Check {
  switch (type.kind) {
    case "array": {
      const item = compile(type.items);
      return (v) => Array.isArray(v) && v.every(item);
    }
    case "map": {
      const value = compile(type.values);
      return (v) => {
        if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
        for (const key in v) if (!value((v as Record<string, unknown>)[key])) return false;
        return true;
      };
    }
    case "object": {
      const fields = new Map([...type.fields].map(([name, t]) => [name, compile(t)]));
      return (v) => {
        if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
        for (const key in v) {
          const field = fields.get(key);
          if (field === undefined || !field((v as Record<string, unknown>)[key])) return false;
        }
        return true;
      };
    }
    default:
      return checksOf(type).ok;
  }
}

const compiled = new WeakMap<XdmObject, Check>();

/**
 * The first problem with `record` under `type`, or undefined when it conforms. Conforming records take a
 * compiled check; only a failing one is walked again to say where it fails.
 */
export function validateRecord(record: Record<string, unknown>, type: XdmObject): ValidationIssue | undefined {
  let check = compiled.get(type);
  if (check === undefined) compiled.set(type, (check = compile(type)));
  if (check(record)) return undefined;
  const deep = tooDeepAt(record);
  return deep === undefined ? checkObject(record, type, "$") : { path: deep, message: `the value nests objects and arrays deeper than ${count(MAX_DATA_DEPTH)} levels (the limit on data)` };
}

/**
 * Every problem with `record` under `type` (empty when it conforms), for reports that list them all; the
 * first is the one `validateRecord` gives.
 */
export function recordIssues(record: Record<string, unknown>, type: XdmObject): ValidationIssue[] {
  const first = validateRecord(record, type);
  if (first === undefined) return [];
  if (tooDeepAt(record) !== undefined) return [first];
  const out: ValidationIssue[] = [];
  collect(record, type, "$", out);
  return out;
}
