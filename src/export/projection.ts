/**
 * Field projection for `fields` and `eventList.fields`: a list of dot paths becomes a tree that trims both
 * the schema (so projected-away columns are absent from the Parquet file) and each row. A path through an
 * array applies to its elements; a path through a map selects keys.
 */
import { array, object, type XdmObject, type XdmType } from "../xdm/xdm-type.js";
import type { Json, JsonObject } from "../xdm/types.js";

/** name → sub-tree; `ALL` keeps the whole value. */
export type Projection = Map<string, Projection | typeof ALL>;
export const ALL = true as const;

/** The projection tree of dot paths; a shorter path wins over a longer one below it. */
export function projectionOf(paths: readonly string[]): Projection {
  const root: Projection = new Map();
  for (const path of paths) {
    const names = path.split(".");
    let node = root;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const cur = node.get(name);
      if (cur === ALL) break;
      if (i === names.length - 1) {
        node.set(name, ALL);
        break;
      }
      const next: Projection = cur ?? new Map();
      node.set(name, next);
      node = next;
    }
  }
  return root;
}

/** The projected type and the paths that named nothing in the schema. */
export function projectType(type: XdmObject, projection: Projection): { type: XdmObject; unknown: string[] } {
  const unknown: string[] = [];
  const walk = (t: XdmType, p: Projection, prefix: string): XdmType | undefined => {
    if (t.kind === "array") {
      const items = walk(t.items, p, prefix);
      return items && array(items);
    }
    if (t.kind === "map") return t;
    if (t.kind !== "object") {
      unknown.push(...[...p.keys()].map((k) => `${prefix}${k}`));
      return undefined;
    }
    const fields: [string, XdmType][] = [];
    for (const [name, child] of t.fields) {
      const sub = p.get(name);
      if (sub === undefined) continue;
      const kept = sub === ALL ? child : walk(child, sub, `${prefix}${name}.`);
      if (kept) fields.push([name, kept]);
    }
    for (const name of p.keys()) if (!t.fields.has(name)) unknown.push(`${prefix}${name}`);
    return fields.length ? object(fields) : undefined;
  };
  const projected = (walk(type, projection, "") as XdmObject | undefined) ?? object([]);
  return { type: projected, unknown: unknown.sort() };
}

/** The value trimmed to `p`: arrays element by element, objects and maps to the named keys. */
function projectValue(value: Json, p: Projection): Json | undefined {
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (const item of value) {
      const kept = projectValue(item, p);
      if (kept !== undefined) out.push(kept);
    }
    return out;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const out: JsonObject = {};
  let any = false;
  for (const [name, sub] of p) {
    const v = value[name];
    if (v === undefined) continue;
    const kept = sub === ALL ? v : projectValue(v, sub);
    if (kept === undefined) continue;
    out[name] = kept;
    any = true;
  }
  return any ? out : undefined;
}

/** The row trimmed to the projection (a new object; the input is not modified). */
export function projectRow(row: JsonObject, projection: Projection): JsonObject {
  return (projectValue(row, projection) as JsonObject | undefined) ?? {};
}
