/**
 * Shapes of JSON bodies, to compare the seeds' sample responses with ours without comparing values: every key
 * and the JSON type of every value is kept; ids, times, counts and hex/uuid strings are masked.
 */

export type Shape = string | Shape[] | { [key: string]: Shape };

export interface ShapeOptions {
  /**
   * Dotted paths (`*` for any key, `[]` for array items) of objects whose keys are data, not field names
   * (segment id → count, namespace → count, job id → job). Their keys are masked to `<key>` and the value
   * shapes of all entries are merged.
   */
  readonly maps?: readonly string[];
}

const UUID = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/i;
const HEX = /^[0-9a-f]{16,}$/i;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The JSON type a masked leaf stands for. */
export function leafType(leaf: string): "string" | "number" | "boolean" | "null" {
  if (leaf === "<number>") return "number";
  if (leaf === "<boolean>") return "boolean";
  if (leaf === "<null>") return "null";
  return "string";
}

function maskString(s: string): string {
  // The seeds' ids look like uuids but are not always hex ("54a20f19-9a0w-…"); the uuid mask accepts that.
  if (UUID.test(s)) return "<uuid>";
  if (HEX.test(s)) return "<hex>";
  if (TIME.test(s)) return "<time>";
  return "<string>";
}

function pathMatches(pattern: string, path: string): boolean {
  const p = pattern.split(".");
  const q = path.split(".");
  return p.length === q.length && p.every((seg, i) => seg === "*" || seg === q[i]);
}

/** Merges two shapes of the same JSON type (objects: union of keys); a type conflict keeps the first. */
function mergeShapes(a: Shape, b: Shape): Shape {
  if (isObjectShape(a) && isObjectShape(b)) {
    const out: { [key: string]: Shape } = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeShapes(out[k]!, v) : v;
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length ? (b.length ? [mergeShapes(a[0]!, b[0]!)] : a) : b;
  return a;
}

function isObjectShape(s: Shape | undefined): s is { [key: string]: Shape } {
  return typeof s === "object" && s !== null && !Array.isArray(s);
}

/** The shape of a JSON value: arrays are the shape of their first element (`[]` when empty). */
export function shapeOf(value: unknown, options: ShapeOptions = {}, path = ""): Shape {
  if (value === null) return "<null>";
  if (typeof value === "number") return "<number>";
  if (typeof value === "boolean") return "<boolean>";
  if (typeof value === "string") return maskString(value);
  const here = (key: string) => (path === "" ? key : `${path}.${key}`);
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0], options, here("[]"))];
  if (typeof value !== "object") throw new Error(`not JSON: ${typeof value}`);
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if ((options.maps ?? []).some((m) => pathMatches(m, path))) {
    if (entries.length === 0) return {};
    return { "<key>": entries.map(([k, v]) => shapeOf(v, options, here(k))).reduce(mergeShapes) };
  }
  const out: { [key: string]: Shape } = {};
  for (const [k, v] of entries) out[k] = shapeOf(v, options, here(k));
  return out;
}

function typeOfShape(s: Shape): string {
  if (Array.isArray(s)) return "array";
  if (isObjectShape(s)) return "object";
  return leafType(s);
}

/**
 * Where `expected` (the seed's shape) is not contained in `actual` (ours): a key the seed shows that we lack
 * (`missing <path>`), or a value of another JSON type (`type <path>: seed <t>, ours <t>`). Keys only we have
 * are fine. An empty seed array or object says nothing about its items.
 */
export function shapeDiff(expected: Shape, actual: Shape, path = "$"): string[] {
  const te = typeOfShape(expected);
  const ta = typeOfShape(actual);
  if (te !== ta) return [`type ${path}: seed ${te}, ours ${ta}`];
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0) return [];
    if (actual.length === 0) return [`missing ${path}[0] (our array is empty)`];
    return shapeDiff(expected[0]!, actual[0]!, `${path}[0]`);
  }
  if (isObjectShape(expected) && isObjectShape(actual)) {
    const out: string[] = [];
    for (const [k, v] of Object.entries(expected)) {
      const at = `${path}.${k}`;
      if (!(k in actual)) out.push(`missing ${at}`);
      else out.push(...shapeDiff(v, actual[k]!, at));
    }
    return out;
  }
  return [];
}

/** Keys ours has that the seed does not show (top level of each object the seed shows), for reporting. */
export function extraKeys(expected: Shape, actual: Shape, path = "$"): string[] {
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length && actual.length) return extraKeys(expected[0]!, actual[0]!, `${path}[0]`);
  if (!isObjectShape(expected) || !isObjectShape(actual)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(actual)) {
    const at = `${path}.${k}`;
    if (!(k in expected)) out.push(at);
    else out.push(...extraKeys(expected[k]!, v, at));
  }
  return out;
}

/**
 * Renames keys of a JSON value by dotted path (`*` any key, `[]` array items), e.g. the docs'
 * `destination.dataSetId` spelling → `destination.datasetId` (only the last segment of the target is used).
 */
export function renameKeys(value: unknown, renames: Readonly<Record<string, string>>, path = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, renames, path === "" ? "[]" : `${path}.[]`));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const at = path === "" ? k : `${path}.${k}`;
    const renamed = Object.entries(renames).find(([from]) => pathMatches(from, at));
    const key = renamed ? renamed[1].split(".").at(-1)! : k;
    out[key] = renameKeys(v, renames, path === "" ? key : `${path}.${key}`);
  }
  return out;
}
