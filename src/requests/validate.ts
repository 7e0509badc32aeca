/**
 * Request bodies against their JSON Schemas (schemas.ts), compiled once with ajv (strict mode, all errors,
 * formats), and ajv's errors turned into ours: one problem per JSON path, in our `$.a.b[0]` form, with a code
 * from the schema's `x-error` annotation, a message that names the field and what was found, and "did you
 * mean" for a near-miss field or value. Linear in the size of the body: a megabyte string or 100,000 array
 * entries are refused in milliseconds.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { closest } from "./did-you-mean.js";
import {
  DATASET_REQUEST_SCHEMA,
  EXPORT_JOB_REQUEST_SCHEMA,
  MERGE_POLICY_DOCUMENT_SCHEMA,
  MERGE_POLICY_PATCH_SCHEMA,
  MERGE_POLICY_REQUEST_SCHEMA,
  SCHEDULE_PATCH_SCHEMA,
  SCHEDULE_REQUEST_SCHEMA,
  SEGMENT_JOB_REQUEST_SCHEMA,
  type ErrorAnnotation,
  type JsonSchema,
} from "./schemas.js";

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv, formats: string[]) => Ajv;

/** A request body profile-lab validates: its endpoint, schema, and the code of problems the schema does not code. */
export interface RequestEndpoint {
  /** `METHOD /path` as the platform documents it. */
  readonly endpoint: string;
  readonly schema: JsonSchema;
  /** The code of a problem no `x-error` annotation codes (the stage's existing request-error code). */
  readonly code: string;
}

/** Every request body with a schema; the keys are what `validateRequest` takes. */
export const REQUEST_SCHEMAS = {
  exportJob: { endpoint: "POST /data/core/ups/export/jobs", schema: EXPORT_JOB_REQUEST_SCHEMA, code: "EXP-R001" },
  segmentJob: { endpoint: "POST /data/core/ups/segment/jobs", schema: SEGMENT_JOB_REQUEST_SCHEMA, code: "SEG-R001" },
  mergePolicy: { endpoint: "POST /data/core/ups/config/mergePolicies (and PUT …/{id})", schema: MERGE_POLICY_REQUEST_SCHEMA, code: "MRG-P001" },
  mergePolicyPatch: { endpoint: "PATCH /data/core/ups/config/mergePolicies/{id}", schema: MERGE_POLICY_PATCH_SCHEMA, code: "MRG-P005" },
  mergePolicyDocument: { endpoint: "GET /data/core/ups/config/mergePolicies/{id} (a sandbox's merge-policies/*.json)", schema: MERGE_POLICY_DOCUMENT_SCHEMA, code: "MRG-P001" },
  schedule: { endpoint: "POST /data/core/ups/config/schedules", schema: SCHEDULE_REQUEST_SCHEMA, code: "SCH-001" },
  schedulePatch: { endpoint: "PATCH /data/core/ups/config/schedules/{id}", schema: SCHEDULE_PATCH_SCHEMA, code: "SCH-040" },
  dataset: { endpoint: "POST /data/foundation/catalog/dataSets", schema: DATASET_REQUEST_SCHEMA, code: "CAT-001" },
} as const satisfies Record<string, RequestEndpoint>;

export type RequestKind = keyof typeof REQUEST_SCHEMAS;

/** One thing wrong with a body. */
export interface RequestProblem {
  readonly code: string;
  /** Where, in our form: `$`, `$.filter.segments[0].segmentId`, `$.tags["a/b"]`. */
  readonly jsonPath: string;
  readonly message: string;
}

interface NodeInfo {
  readonly node: JsonSchema;
  readonly code: string;
  readonly annotation: ErrorAnnotation | undefined;
}

interface Compiled {
  readonly validate: ValidateFunction;
  /** Schema nodes by ajv's schema path (`#/properties/filter/properties/segments`). */
  readonly nodes: ReadonlyMap<string, NodeInfo>;
}

let ajv: Ajv | undefined;
const compiled = new WeakMap<JsonSchema, Compiled>();

function instance(): Ajv {
  if (ajv === undefined) {
    ajv = new Ajv({ strict: true, strictRequired: false, allErrors: true, verbose: true, allowUnionTypes: true });
    addFormats(ajv, ["date-time"]);
    ajv.addKeyword({ keyword: "x-error", schemaType: "object" });
  }
  return ajv;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every schema node by its schema path, with the code it and its descendants inherit. */
function indexNodes(schema: JsonSchema, defaultCode: string): Map<string, NodeInfo> {
  const nodes = new Map<string, NodeInfo>();
  const visit = (node: unknown, at: string, inherited: string): void => {
    if (!isObject(node)) return;
    const annotation = node["x-error"] as ErrorAnnotation | undefined;
    const code = annotation?.code ?? inherited;
    nodes.set(at, { node, code, annotation });
    if (isObject(node["properties"])) for (const [k, v] of Object.entries(node["properties"])) visit(v, `${at}/properties/${k}`, code);
    for (const k of ["items", "additionalProperties", "propertyNames", "if", "then", "else", "not"]) visit(node[k], `${at}/${k}`, code);
    for (const k of ["allOf", "anyOf", "oneOf"]) {
      const list = node[k];
      if (Array.isArray(list)) list.forEach((s, i) => visit(s, `${at}/${k}/${i}`, code));
    }
  };
  visit(schema, "#", defaultCode);
  return nodes;
}

function compile(kind: RequestKind): Compiled {
  const { schema, code } = REQUEST_SCHEMAS[kind];
  return compileSchema(schema, code);
}

function compileSchema(schema: JsonSchema, code: string): Compiled {
  let c = compiled.get(schema);
  if (c === undefined) {
    c = { validate: instance().compile(schema), nodes: indexNodes(schema, code) };
    compiled.set(schema, c);
  }
  return c;
}

/** Compiles every schema (a test that they are valid under ajv's strict mode; otherwise they compile on first use). */
export function compileRequestSchemas(): void {
  for (const kind of Object.keys(REQUEST_SCHEMAS) as RequestKind[]) compile(kind);
}

// ---------------------------------------------------------------------------------------------------------------
// Paths and values in messages

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const SHOWN = 60;

function clip(text: string): string {
  return text.length <= SHOWN ? text : `${text.slice(0, SHOWN)}…`;
}

function keyStep(key: string): string {
  return key.length <= SHOWN && IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(clip(key))}]`;
}

const positions = new WeakMap<object, Map<string, number>>();

/** Where a key sits among its object's keys (the order the body wrote them in); Infinity for a missing key. */
function position(container: unknown, key: string): number {
  if (!isObject(container)) return Infinity;
  let index = positions.get(container);
  if (index === undefined) {
    index = new Map(Object.keys(container).map((k, i) => [k, i]));
    positions.set(container, index);
  }
  return index.get(key) ?? Infinity;
}

interface Located {
  /** Our `$`-path. */
  readonly path: string;
  /** The position of each step in the body, for reporting problems in the order the body is written. */
  readonly order: readonly number[];
  /** The value the path ends at (its container for a missing key). */
  readonly value: unknown;
}

/** `$`-path of an ajv instance path (JSON pointer), walking the body so that array indexes and keys are told apart. */
function locate(body: unknown, pointer: string): Located {
  let path = "$";
  let value = body;
  const order: number[] = [];
  if (pointer === "") return { path, order, value };
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(value)) {
      path += `[${token}]`;
      order.push(Number(token));
      value = value[Number(token)];
    } else {
      path += keyStep(token);
      order.push(position(value, token));
      value = isObject(value) ? value[token] : undefined;
    }
  }
  return { path, order, value };
}

function compareOrder(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return a.length - b.length;
}

/** How a value is shown in a message: strings quoted and clipped, containers by kind. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length.toLocaleString("en-US")} entr${value.length === 1 ? "y" : "ies"}`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const shown = JSON.stringify(clip(value));
    return value.length > SHOWN ? `${shown} (${value.length.toLocaleString("en-US")} characters)` : shown;
  }
  return String(value);
}

const n = (value: number): string => value.toLocaleString("en-US");

function quoteList(values: readonly unknown[]): string {
  const shown = values.map((v) => JSON.stringify(v));
  return shown.length <= 1 ? (shown[0] ?? "") : `${shown.slice(0, -1).join(", ")} or ${shown.at(-1)}`;
}

const TYPE_NAMES: Record<string, string> = {
  object: "a JSON object",
  array: "an array",
  string: "a string",
  integer: "an integer",
  number: "a number",
  boolean: "true or false",
  null: "null",
};

const PATTERN_MESSAGES: Record<string, string> = {
  "^\\S+$": "must not be empty or contain whitespace",
  "\\S": "must not be blank",
  "^[1-9][0-9]{0,9}$": "must be a whole number ≥ 1",
};

const FORMAT_MESSAGES: Record<string, string> = {
  "date-time": "must be an RFC 3339 timestamp with an offset (e.g. 2018-10-25T13:22:04-07:00)",
};

/** Problems at one path are ranked: the first of the lowest rank is reported. */
const RANK: Record<string, number> = { type: 0, required: 0, additionalProperties: 0, const: 1, enum: 1, maxLength: 2, maxItems: 2, maximum: 2, maxProperties: 2 };

interface Draft {
  readonly path: string;
  readonly order: readonly number[];
  readonly rank: number;
  readonly problem: RequestProblem;
}

/** The node an error's keyword sits in (its schema path without the keyword). */
function nodeAt(c: Compiled, e: ErrorObject): NodeInfo | undefined {
  return c.nodes.get(e.schemaPath.slice(0, e.schemaPath.length - e.keyword.length - 1));
}

/** A path as the subject of a sentence: `filter.segments[0]`, `$[1].op`, "the request body". */
function named(path: string): string {
  return path === "$" ? "the request body" : path.startsWith("$.") ? path.slice(2) : path;
}

function subjectOf(node: JsonSchema | undefined, path: string): string {
  const title = node?.["title"];
  return typeof title === "string" && path !== "$" ? title : named(path);
}

function withHint(message: string, info: NodeInfo | undefined, keyword: string): string {
  const hint = info?.annotation?.hint?.[keyword];
  return hint === undefined ? message : `${message}; ${hint}`;
}

/**
 * Whether the property at `at` (a schema path ending in /properties/<key>) is optional in its object (not in
 * a conditional's fragment, which cannot tell).
 */
function optional(c: Compiled, at: string): boolean {
  const cut = at.lastIndexOf("/properties/");
  if (cut < 0) return false;
  const parent = c.nodes.get(at.slice(0, cut))?.node;
  if (parent?.["type"] !== "object") return false;
  const required = parent["required"];
  return !(Array.isArray(required) && required.includes(at.slice(cut + "/properties/".length)));
}

function draftOf(c: Compiled, body: unknown, e: ErrorObject): Draft | undefined {
  const info = nodeAt(c, e);
  const node = info?.node;
  const code = info?.annotation?.codeFor?.[e.keyword] ?? info?.code ?? "";
  const { path, order, value } = locate(body, e.instancePath);
  const subject = subjectOf(node, path);
  const rank = RANK[e.keyword] ?? 3;
  const draft = (message: string, at = path, atOrder = order): Draft => ({ path: at, order: atOrder, rank, problem: { code, jsonPath: at, message: withHint(message, info, e.keyword) } });
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "if":
      return undefined; // the failing "then"/"else" keyword says what is wrong
    case "required": {
      const missing = String(p["missingProperty"]);
      const at = path + keyStep(missing);
      const property = c.nodes.get(`${e.schemaPath.slice(0, -"/required".length)}/properties/${missing}`);
      const example = (property?.node["examples"] as unknown[] | undefined)?.[0];
      const hint = property?.annotation?.hint?.["required"] ?? info?.annotation?.hint?.["required"];
      const tail = hint !== undefined ? `; ${hint}` : example !== undefined && typeof example === "object" ? `, e.g. ${JSON.stringify(example)}` : "";
      return { path: at, order: [...order, Infinity], rank, problem: { code: property?.code ?? code, jsonPath: at, message: `${named(at)} is required${tail}` } };
    }
    case "additionalProperties": {
      const key = String(p["additionalProperty"]);
      const at = path + keyStep(key);
      const known = Object.keys((node?.["properties"] as object | undefined) ?? {});
      const guess = closest(key, known);
      const message = `unknown field ${JSON.stringify(clip(key))}${guess ? `; did you mean "${guess}"?` : ""} (${path === "$" ? "the body" : subject} takes ${known.map((k) => `"${k}"`).join(", ")})`;
      return { path: at, order: [...order, position(value, key)], rank, problem: { code, jsonPath: at, message: withHint(message, info, e.keyword) } };
    }
    case "type": {
      const types = String(p["type"]).split(",").map((t) => TYPE_NAMES[t] ?? t);
      const expected = types.length === 1 ? types[0] : `${types.slice(0, -1).join(", ")} or ${types.at(-1)}`;
      const leaveOut = e.data === null && optional(c, e.schemaPath.slice(0, -"/type".length)) ? "; leave the field out instead" : "";
      return draft(`${subject} must be ${expected}, not ${describeValue(e.data)}${leaveOut}`);
    }
    case "enum": {
      const allowed = p["allowedValues"] as unknown[];
      const guess = typeof e.data === "string" ? closest(e.data, allowed.filter((v): v is string => typeof v === "string")) : undefined;
      const strings = allowed.filter((v) => typeof v === "string");
      return draft(`${subject} must be ${quoteList(strings.length ? strings : allowed)}, not ${describeValue(e.data)}${guess ? `; did you mean "${guess}"?` : ""}`);
    }
    case "const":
      return draft(`${subject} must be ${JSON.stringify(p["allowedValue"])}, not ${describeValue(e.data)}`);
    case "minLength":
      return draft(`${subject} must not be empty`);
    case "maxLength":
      return draft(`${subject} is ${n((e.data as string).length)} characters long; at most ${n(p["limit"] as number)} are allowed`);
    case "minItems":
      return draft(p["limit"] === 1 ? `${subject} must not be empty` : `${subject} needs at least ${n(p["limit"] as number)} entries`);
    case "maxItems":
      return draft(`${subject} has ${n((e.data as unknown[]).length)} entries; at most ${n(p["limit"] as number)} are allowed`);
    case "maxProperties":
      return draft(`${subject} has ${n(Object.keys(e.data as object).length)} entries; at most ${n(p["limit"] as number)} are allowed`);
    case "minimum":
    case "maximum":
      return draft(`${subject} must be ${e.keyword === "minimum" ? "≥" : "≤"} ${n(p["limit"] as number)}, not ${describeValue(e.data)}`);
    case "pattern":
      return draft(e.data === "" ? `${subject} must not be empty` : `${subject} ${PATTERN_MESSAGES[String(p["pattern"])] ?? `must match /${String(p["pattern"])}/`}, not ${describeValue(e.data)}`);
    case "format":
      return draft(`${subject} ${FORMAT_MESSAGES[String(p["format"])] ?? `must be a ${String(p["format"])}`}, not ${describeValue(e.data)}`);
    case "uniqueItems": {
      // ajv reports the later entry as i and the earlier one as j.
      const [later, earlier] = [Number(p["i"]), Number(p["j"])].sort((a, b) => b - a) as [number, number];
      const list = e.data as unknown[];
      return draft(`${subject} lists ${describeValue(list[later])} twice (entries ${earlier} and ${later})`, `${path}[${later}]`, [...order, later]);
    }
    case "propertyNames":
      return undefined; // reported by the propertyNames' own keyword (e.g. maxLength) with the key's path
    default:
      return draft(`${subject} ${e.message ?? "is invalid"}`);
  }
}

/** `anyOf` of `required` branches (one of two spellings): one problem at the first spelling's path. */
function anyOfDraft(c: Compiled, body: unknown, e: ErrorObject): Draft | undefined {
  const branches = e.schema as unknown[];
  const keys = branches.map((b) => (isObject(b) && Array.isArray(b["required"]) && b["required"].length === 1 ? String(b["required"][0]) : undefined));
  const info = nodeAt(c, e);
  if (keys.some((k) => k === undefined)) return draftOf(c, body, e);
  const { path, order } = locate(body, e.instancePath);
  const at = path + keyStep(keys[0]!);
  const others = keys.slice(1).map((k) => `"${k}"`).join(", ");
  const property = c.nodes.get(`${e.schemaPath.slice(0, -"/anyOf".length)}/properties/${keys[0]}`);
  return { path: at, order: [...order, Infinity], rank: 0, problem: { code: property?.code ?? info?.code ?? "", jsonPath: at, message: `${named(at)} is required (the spelling ${others} is read too)` } };
}

/** At most this many of ajv's errors are turned into problems; the rest are counted. */
const MAX_ERRORS = 1000;

/**
 * The problems of a body against the schema of `kind`, first ones first (at most one per JSON path); empty
 * when the body is valid. `truncated` counts the problems past ajv's first 1,000 errors, not looked at.
 */
export function requestProblems(kind: RequestKind, body: unknown): { problems: RequestProblem[]; truncated: number } {
  return problemsOf(compile(kind), body);
}

/**
 * The problems of a document against any schema of profile-lab's own (segment test files), reported as request
 * bodies' are; `code` codes the problems no `x-error` annotation codes.
 */
export function schemaProblems(schema: JsonSchema, code: string, body: unknown): { problems: RequestProblem[]; truncated: number } {
  return problemsOf(compileSchema(schema, code), body);
}

function problemsOf(c: Compiled, body: unknown): { problems: RequestProblem[]; truncated: number } {
  if (c.validate(body)) return { problems: [], truncated: 0 };
  const errors = c.validate.errors ?? [];
  const seen = errors.slice(0, MAX_ERRORS);
  const drafts: (Draft | undefined)[] = [];
  seen.forEach((e, i) => {
    if (e.keyword === "anyOf") {
      // Drop the branches' own errors, reported just before it.
      const prefix = `${e.schemaPath}/`;
      for (let j = i - 1; j >= 0 && seen[j]!.schemaPath.startsWith(prefix); j--) drafts[j] = undefined;
      drafts.push(anyOfDraft(c, body, e));
    } else drafts.push(draftOf(c, body, e));
  });
  const byPath = new Map<string, Draft>();
  for (const d of drafts) {
    if (d === undefined) continue;
    const prev = byPath.get(d.path);
    if (prev === undefined || d.rank < prev.rank) byPath.set(d.path, d);
  }
  const ordered = [...byPath.values()].sort((a, b) => compareOrder(a.order, b.order));
  let truncated = 0;
  for (let i = MAX_ERRORS; i < errors.length; i++) if (errors[i]!.keyword !== "if") truncated++;
  return { problems: ordered.map((d) => d.problem), truncated };
}

/** Extra lines under an error's message listing the problems after the first (at most `max` of them). */
export function otherProblems(problems: readonly RequestProblem[], truncated = 0, max = 9): string | undefined {
  const rest = problems.slice(1);
  if (rest.length === 0) return undefined;
  const lines = rest.slice(0, max).map((p) => `  also ${p.code} at ${p.jsonPath}: ${p.message}`);
  const more = rest.length - max + truncated;
  if (more > 0) lines.push(`  … and ${n(more)} more problem${more === 1 ? "" : "s"}`);
  return lines.join("\n");
}

/**
 * Validates a body and throws the error `make` builds for its first problem (the others in the detail lines);
 * returns the body, now known to have the schema's shape.
 */
export function checkRequest<T>(kind: RequestKind, body: unknown, make: (problem: RequestProblem, detail: string | undefined) => Error): T {
  const { problems, truncated } = requestProblems(kind, body);
  if (problems.length > 0) throw make(problems[0]!, otherProblems(problems, truncated));
  return body as T;
}
