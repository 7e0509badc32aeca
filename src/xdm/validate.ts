/**
 * Checks a record against its dataset's schema, as the platform does at ingestion: unknown fields, wrong
 * types, impossible timestamps and nulls (never stored: absent keys are omitted) are rejected with the JSON
 * path of the offending value.
 */
import { parseDate, parseDateTime } from "./time.js";
import type { XdmObject, XdmType } from "./xdm-type.js";

export interface ValidationIssue {
  /** JSON path of the value, e.g. `$.person.name.firstName`. */
  readonly path: string;
  readonly message: string;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function check(value: unknown, type: XdmType, path: string): ValidationIssue | undefined {
  const mismatch = (expected: string): ValidationIssue => ({
    path,
    message: `expected ${expected} but found ${kindOf(value)} ${JSON.stringify(value)?.slice(0, 60) ?? ""}`.trimEnd(),
  });
  if (value === null) return { path, message: "null values are not stored; omit the field instead" };
  switch (type.kind) {
    case "string":
      return typeof value === "string" ? undefined : mismatch("a string");
    case "int":
    case "long":
      return typeof value === "number" && Number.isInteger(value) ? undefined : mismatch("an integer");
    case "double":
      return typeof value === "number" ? undefined : mismatch("a number");
    case "boolean":
      return typeof value === "boolean" ? undefined : mismatch("a boolean");
    case "date-time":
      if (typeof value === "number" && Number.isFinite(value)) return undefined;
      if (typeof value === "string" && parseDateTime(value) !== undefined) return undefined;
      return { path, message: `expected an RFC 3339 date-time with an offset (e.g. 2024-05-01T10:00:00Z) but found ${JSON.stringify(value)}` };
    case "date":
      if (typeof value === "string" && parseDate(value) !== undefined) return undefined;
      return { path, message: `expected a date YYYY-MM-DD but found ${JSON.stringify(value)}` };
    case "array": {
      if (!Array.isArray(value)) return mismatch("an array");
      for (let i = 0; i < value.length; i++) {
        const issue = check(value[i], type.items, `${path}[${i}]`);
        if (issue) return issue;
      }
      return undefined;
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) return mismatch("an object (map)");
      for (const [key, v] of Object.entries(value)) {
        const issue = check(v, type.values, `${path}[${JSON.stringify(key)}]`);
        if (issue) return issue;
      }
      return undefined;
    }
    case "object":
      return typeof value === "object" && !Array.isArray(value)
        ? checkObject(value as Record<string, unknown>, type, path)
        : mismatch("an object");
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
    case "string":
      return (v) => typeof v === "string";
    case "int":
    case "long":
      return (v) => typeof v === "number" && Number.isInteger(v);
    case "double":
      return (v) => typeof v === "number";
    case "boolean":
      return (v) => typeof v === "boolean";
    case "date-time":
      return (v) => (typeof v === "number" && Number.isFinite(v)) || (typeof v === "string" && parseDateTime(v) !== undefined);
    case "date":
      return (v) => typeof v === "string" && parseDate(v) !== undefined;
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
  return check(record) ? undefined : checkObject(record, type, "$");
}

/**
 * Every problem with `record` under `type` (empty when it conforms), for reports that list them all; the
 * first is the one `validateRecord` gives.
 */
export function recordIssues(record: Record<string, unknown>, type: XdmObject): ValidationIssue[] {
  if (validateRecord(record, type) === undefined) return [];
  const out: ValidationIssue[] = [];
  collect(record, type, "$", out);
  return out;
}
