/**
 * XDM JSON Schemas → XdmType trees, and the union schema of a class. Supports the dialect the platform's
 * resolved schemas use: `type`, `properties`, `items`, `format` (date-time, date), `meta:xdmType` (int,
 * long, short, byte, map), `additionalProperties` (maps), local `$ref` to `#/definitions/…` and `allOf`; and
 * the constraints XDM field definitions take, which input validation enforces: `enum`, `minimum`/`maximum`,
 * `minLength`/`maxLength`, `pattern` (a Java regex, run on RE2 like PQL's `matches`) and the formats email,
 * uri and uri-reference. Other formats are annotations (as in JSON Schema 2019-09 and later) and
 * `meta:enum` only labels suggested values.
 */
import { translateJavaRegex } from "../pql/regex.js";
import { ProfileLabError } from "./errors.js";
import { preview } from "./preview.js";
import {
  array,
  describeType,
  map,
  object,
  scalar,
  XDM_INTEGER_RANGES,
  type XdmConstraints,
  type XdmObject,
  type XdmScalar,
  type XdmScalarKind,
  type XdmStringFormat,
  type XdmType,
} from "./xdm-type.js";

export class SchemaError extends ProfileLabError {
  override readonly name = "SchemaError";
}

export interface XdmSchema {
  /** `$id`, the value datasets reference in `schemaRef.id`. */
  readonly id: string;
  readonly title: string;
  /** `meta:class`: the XDM class URI (profile or experienceevent). */
  readonly xdmClass: string;
  readonly type: XdmObject;
  readonly file: string;
}

type JsonSchemaNode = Record<string, unknown>;

function isNode(v: unknown): v is JsonSchemaNode {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const STRING_FORMATS: ReadonlySet<string> = new Set<XdmStringFormat>(["email", "uri", "uri-reference"]);

type Fail = (path: string, message: string, code?: string) => never;

/** The constraints of a scalar node of kind `kind` (keywords meant for other kinds are ignored, as JSON Schema does). */
function constraintsOf(node: JsonSchemaNode, path: string, kind: XdmScalarKind, fail: Fail): XdmConstraints | undefined {
  const c: { -readonly [K in keyof XdmConstraints]: XdmConstraints[K] } = {};
  const values = node["enum"];
  if (values !== undefined) {
    const primitive = (v: unknown): v is string | number | boolean => typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
    if (!Array.isArray(values) || values.length === 0 || !values.every(primitive)) return fail(`${path}.enum`, "\"enum\" must be a non-empty list of strings, numbers or booleans");
    c.enum = values;
  }
  const number = (key: string, whole: boolean): number | undefined => {
    const v = node[key];
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v) || (whole && !(Number.isInteger(v) && v >= 0))) {
      return fail(`${path}.${key}`, `"${key}" must be ${whole ? "a whole number, 0 or more" : "a number"}`);
    }
    return v;
  };
  if (kind === "int" || kind === "long" || kind === "double") {
    const xdmType = node["meta:xdmType"];
    const range = xdmType === "short" || xdmType === "byte" ? XDM_INTEGER_RANGES[xdmType] : undefined;
    const minimum = number("minimum", false);
    const maximum = number("maximum", false);
    if (minimum !== undefined || range !== undefined) c.minimum = Math.max(minimum ?? -Infinity, range?.minimum ?? -Infinity);
    if (maximum !== undefined || range !== undefined) c.maximum = Math.min(maximum ?? Infinity, range?.maximum ?? Infinity);
  }
  if (kind === "string") {
    const minLength = number("minLength", true);
    const maxLength = number("maxLength", true);
    if (minLength !== undefined) c.minLength = minLength;
    if (maxLength !== undefined) c.maxLength = maxLength;
    const pattern = node["pattern"];
    if (pattern !== undefined) {
      if (typeof pattern !== "string") return fail(`${path}.pattern`, "\"pattern\" must be a string (a regular expression)");
      const regex = translateJavaRegex(pattern);
      if (!regex.ok) return fail(`${path}.pattern`, `the pattern ${JSON.stringify(pattern.slice(0, 100))} cannot be checked: ${regex.message}`, "XDM-S003");
      c.pattern = pattern;
    }
    const format = node["format"];
    if (typeof format === "string" && STRING_FORMATS.has(format)) c.format = format as XdmStringFormat;
  }
  return Object.keys(c).length === 0 ? undefined : c;
}

/** Reads one schema document; errors name the file and the JSON path of the offending node. */
export function schemaFromJson(doc: unknown, file: string): XdmSchema {
  const fail: Fail = (path, message, code = "XDM-S001") => {
    throw new SchemaError(code, message, { file, jsonPath: path });
  };
  if (!isNode(doc)) return fail("$", "a schema must be a JSON object");
  const id = doc["$id"];
  if (typeof id !== "string" || id === "") return fail("$.$id", "the schema has no \"$id\"");
  const xdmClass = doc["meta:class"];
  if (typeof xdmClass !== "string") return fail("$['meta:class']", "the schema has no \"meta:class\" (the XDM class URI)");
  const definitions = isNode(doc["definitions"]) ? doc["definitions"] : {};

  const convert = (node: unknown, path: string, depth: number): XdmType => {
    if (depth > 64) return fail(path, "the schema nests deeper than 64 levels (a $ref cycle?)");
    if (!isNode(node)) return fail(path, "expected a schema object");
    const ref = node["$ref"];
    if (typeof ref === "string") {
      const m = /^#\/definitions\/(.+)$/.exec(ref);
      if (m === null || !(m[1]! in definitions)) return fail(`${path}.$ref`, `unresolvable $ref "${ref}" (only local #/definitions/… refs are supported)`);
      return convert(definitions[m[1]!], `$.definitions.${m[1]}`, depth + 1);
    }
    if (Array.isArray(node["allOf"])) {
      const parts = node["allOf"].map((part, i) => convert(part, `${path}.allOf[${i}]`, depth + 1));
      const own = node["properties"] !== undefined ? [convert({ ...node, allOf: undefined }, path, depth + 1)] : [];
      return [...parts, ...own].reduce((a, b) => unionType(a, b, path, file));
    }
    const type = node["type"];
    const xdmType = node["meta:xdmType"];
    const leaf = (kind: XdmScalarKind): XdmScalar => scalar(kind, constraintsOf(node, path, kind, fail));
    switch (type) {
      case "string": {
        const format = node["format"];
        return leaf(format === "date-time" ? "date-time" : format === "date" ? "date" : "string");
      }
      case "integer":
        return leaf(xdmType === "int" || xdmType === "short" || xdmType === "byte" ? "int" : "long");
      case "number":
        return leaf("double");
      case "boolean":
        return leaf("boolean");
      case "array":
        return array(convert(node["items"], `${path}.items`, depth + 1));
      case "object": {
        const props = node["properties"];
        const extra = node["additionalProperties"];
        if (xdmType === "map" || (props === undefined && isNode(extra))) {
          return map(convert(extra, `${path}.additionalProperties`, depth + 1));
        }
        if (props !== undefined && !isNode(props)) return fail(`${path}.properties`, "\"properties\" must be an object");
        return object(
          Object.entries(props ?? {}).map(([name, child]) => [name, convert(child, `${path}.properties.${name}`, depth + 1)] as const),
        );
      }
      default:
        return fail(`${path}.type`, `unsupported schema type ${preview(type)} (expected string, integer, number, boolean, array or object)`);
    }
  };
  const root = convert({ ...doc, type: "object" }, "$", 0);
  if (root.kind !== "object") return fail("$", "the root of a schema must be an object with properties");
  return { id, title: typeof doc["title"] === "string" ? doc["title"] : id, xdmClass, type: root, file };
}

/** The union of two types: objects merge their fields; other kinds must agree (int widens to long). */
export function unionType(a: XdmType, b: XdmType, path: string, file?: string): XdmType {
  if (a.kind === "object" && b.kind === "object") {
    const fields = new Map(a.fields);
    for (const [name, t] of b.fields) {
      const prev = fields.get(name);
      fields.set(name, prev === undefined ? t : unionType(prev, t, `${path}.${name}`, file));
    }
    return object(fields);
  }
  if (a.kind === "array" && b.kind === "array") return array(unionType(a.items, b.items, `${path}[]`, file));
  if (a.kind === "map" && b.kind === "map") return map(unionType(a.values, b.values, `${path}{}`, file));
  const ints = new Set(["int", "long"]);
  if (a.kind === b.kind || (ints.has(a.kind) && ints.has(b.kind))) {
    const kind = a.kind === b.kind ? (a as XdmScalar).kind : "long";
    return scalar(kind, looser((a as XdmScalar).constraints, (b as XdmScalar).constraints));
  }
  throw new SchemaError(
    "XDM-S002",
    `field ${path.replace(/^\$\.?/, "")} has conflicting types across schemas: ${describeType(a)} and ${describeType(b)}`,
    { file, jsonPath: path },
  );
}

/**
 * Constraints that accept what either accepts (what the union schema can say of a field two schemas constrain
 * differently): a keyword one side lacks is dropped, bounds widen, enums join.
 */
function looser(a: XdmConstraints | undefined, b: XdmConstraints | undefined): XdmConstraints | undefined {
  if (a === undefined || b === undefined) return undefined;
  const c: { -readonly [K in keyof XdmConstraints]: XdmConstraints[K] } = {};
  if (a.enum !== undefined && b.enum !== undefined) c.enum = [...new Set([...a.enum, ...b.enum])];
  if (a.minimum !== undefined && b.minimum !== undefined) c.minimum = Math.min(a.minimum, b.minimum);
  if (a.maximum !== undefined && b.maximum !== undefined) c.maximum = Math.max(a.maximum, b.maximum);
  if (a.minLength !== undefined && b.minLength !== undefined) c.minLength = Math.min(a.minLength, b.minLength);
  if (a.maxLength !== undefined && b.maxLength !== undefined) c.maxLength = Math.max(a.maxLength, b.maxLength);
  if (a.pattern !== undefined && a.pattern === b.pattern) c.pattern = a.pattern;
  if (a.format !== undefined && a.format === b.format) c.format = a.format;
  return Object.keys(c).length === 0 ? undefined : c;
}

/** The union schema of several schemas of one class (the platform's `…__union`). */
export function unionOf(types: readonly XdmObject[]): XdmObject {
  return types.reduce<XdmObject>((acc, t) => unionType(acc, t, "$") as XdmObject, object([]));
}
