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

/** The first problem with `record` under `type`, or undefined when it conforms. */
export function validateRecord(record: Record<string, unknown>, type: XdmObject): ValidationIssue | undefined {
  return checkObject(record, type, "$");
}
