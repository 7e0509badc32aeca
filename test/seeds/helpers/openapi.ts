/**
 * Response schemas of test/vendor/openapi/segmentation.yaml (or another vendored spec; verbatim copies, see test/vendor/SOURCES.md),
 * compiled with ajv. `$ref`s to `#/components/schemas/…` are inlined; the spec is OpenAPI 3.0 (no `$schema`,
 * `format: int32/int64`), so ajv runs with `strict: false` and those formats are registered as integer checks.
 *
 * Validation is loose as profile-semantics.md §9 asks ("ignore `additionalProperties`, allow both documented
 * variants"): keys the spec does not list are allowed (the spec sets no `additionalProperties: false`, and any
 * that appeared would be dropped by `loose`), and each documented spec bug is patched by an explicit `Tolerance`
 * at the call site — never by skipping a body.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import yaml from "js-yaml";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// ajv-formats is CommonJS: under NodeNext its default import is the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface OpenApi {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: JsonObject }> }> }>>;
  components: { schemas: Record<string, JsonObject> };
}

/** The vendored specs (test/vendor/openapi/<name>.yaml). */
export type SpecName = "segmentation" | "profile" | "catalog" | "data-access";

const specs = new Map<SpecName, OpenApi>();
function load(name: SpecName): OpenApi {
  let spec = specs.get(name);
  if (spec === undefined) {
    spec = yaml.load(readFileSync(fileURLToPath(new URL(`../../vendor/openapi/${name}.yaml`, import.meta.url)), "utf8")) as OpenApi;
    specs.set(name, spec);
  }
  return spec;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Inlines every `#/components/schemas/<name>` reference (a cycle is an error: none of these schemas has one). */
export function resolveRefs(node: Json, schemas: Record<string, JsonObject>, stack: readonly string[] = []): Json {
  if (Array.isArray(node)) return node.map((n) => resolveRefs(n, schemas, stack));
  if (!isObject(node)) return node;
  const ref = node["$ref"];
  if (typeof ref === "string") {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const name = m[1]!;
    if (stack.includes(name)) throw new Error(`$ref cycle: ${[...stack, name].join(" → ")}`);
    const target = schemas[name];
    if (target === undefined) throw new Error(`$ref to unknown schema ${name}`);
    return resolveRefs(target, schemas, [...stack, name]);
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(node)) {
    // Loose validation (§9): keys the spec does not list are allowed.
    if (k === "additionalProperties" && v === false) continue;
    // OpenAPI annotations ajv would only warn about.
    if (k === "example" || k === "examples" || k === "xml" || k === "externalDocs") continue;
    out[k] = resolveRefs(v, schemas, stack);
  }
  return out;
}

/** The resolved response schema of an operation, e.g. `("/export/jobs", "post", "200")` (of segmentation.yaml unless `spec` names another). */
export function responseSchema(path: string, method: string, status: string, spec: SpecName = "segmentation"): JsonObject {
  const doc = load(spec);
  const op = doc.paths[path]?.[method];
  const schema = op?.responses?.[status]?.content?.["application/json"]?.schema;
  if (schema === undefined) throw new Error(`no application/json schema for ${method.toUpperCase()} ${path} ${status}`);
  return resolveRefs(schema, doc.components.schemas) as JsonObject;
}

/** A documented spec bug, patched into a copy of the resolved schema. `why` quotes the doc that justifies it. */
export interface Tolerance {
  readonly why: string;
  readonly patch: (schema: JsonObject) => void;
}

/** The sub-schema at a property path (`destination.batches`), through `properties` (and `items` for `[]`). */
export function at(schema: JsonObject, path: string): JsonObject {
  let node: Json = schema;
  for (const seg of path.split(".")) {
    if (!isObject(node)) throw new Error(`schema path ${path}: not an object at ${seg}`);
    node = seg === "[]" ? node["items"]! : (node["properties"] as JsonObject | undefined)?.[seg] ?? null;
    if (!isObject(node)) throw new Error(`schema path ${path}: no ${seg}`);
  }
  return node as JsonObject;
}

let ajv: Ajv | undefined;
function compiler(): Ajv {
  if (ajv) return ajv;
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat("float", { type: "number", validate: () => true });
  ajv.addFormat("double", { type: "number", validate: () => true });
  return ajv;
}

export interface ResponseValidator {
  (body: unknown): string[];
  readonly schema: JsonObject;
}

/** A validator for an operation's response, with the given tolerances applied; returns ajv's errors as text. */
export function responseValidator(path: string, method: string, status: string, tolerances: readonly Tolerance[] = [], spec: SpecName = "segmentation"): ResponseValidator {
  const schema = structuredClone(responseSchema(path, method, status, spec));
  for (const t of tolerances) t.patch(schema);
  const validate: ValidateFunction = compiler().compile(schema);
  const fn = (body: unknown): string[] => (validate(body) ? [] : (validate.errors ?? []).map(formatError));
  return Object.assign(fn, { schema });
}

function formatError(e: ErrorObject): string {
  return `${e.instancePath || "/"} ${e.message ?? e.keyword}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ""}`;
}
