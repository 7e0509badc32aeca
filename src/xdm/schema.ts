/**
 * XDM JSON Schemas → XdmType trees, and the union schema of a class. Supports the dialect the platform's
 * resolved schemas use: `type`, `properties`, `items`, `format` (date-time, date), `meta:xdmType` (int,
 * long, map), `additionalProperties` (maps), local `$ref` to `#/definitions/…` and `allOf`.
 */
import { ProfileLabError } from "./errors.js";
import { array, describeType, map, object, scalar, type XdmObject, type XdmType } from "./xdm-type.js";

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

/** Reads one schema document; errors name the file and the JSON path of the offending node. */
export function schemaFromJson(doc: unknown, file: string): XdmSchema {
  const fail = (path: string, message: string): never => {
    throw new SchemaError("XDM-S001", message, { file, jsonPath: path });
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
    switch (type) {
      case "string": {
        const format = node["format"];
        if (format === "date-time") return scalar("date-time");
        if (format === "date") return scalar("date");
        return scalar("string");
      }
      case "integer":
        return scalar(xdmType === "int" || xdmType === "short" || xdmType === "byte" ? "int" : "long");
      case "number":
        return scalar("double");
      case "boolean":
        return scalar("boolean");
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
        return fail(`${path}.type`, `unsupported schema type ${JSON.stringify(type)} (expected string, integer, number, boolean, array or object)`);
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
  if (a.kind === b.kind) return a;
  const ints = new Set(["int", "long"]);
  if (ints.has(a.kind) && ints.has(b.kind)) return scalar("long");
  throw new SchemaError(
    "XDM-S002",
    `field ${path.replace(/^\$\.?/, "")} has conflicting types across schemas: ${describeType(a)} and ${describeType(b)}`,
    { file, jsonPath: path },
  );
}

/** The union schema of several schemas of one class (the platform's `…__union`). */
export function unionOf(types: readonly XdmObject[]): XdmObject {
  return types.reduce<XdmObject>((acc, t) => unionType(acc, t, "$") as XdmObject, object([]));
}
