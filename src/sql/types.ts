/**
 * The static types of SQL values, derived from the XDM union schemas. SQL is statically typed where PQL is
 * not, so the compiler decides at compile time what the closure compiler decides per value (a string compared
 * with a number is false, `.f` on a string is missing, …). `null` is the type of a value that is always missing
 * (a field the schema does not have, `$2`).
 */
import type { XdmObject, XdmType } from "../xdm/xdm-type.js";

export type ScalarKind = "string" | "integer" | "double" | "boolean" | "timestamp" | "date";

export type SqlType =
  | { readonly kind: "null" }
  | { readonly kind: ScalarKind }
  | { readonly kind: "struct"; readonly fields: ReadonlyMap<string, SqlType> }
  | { readonly kind: "list"; readonly items: SqlType }
  | { readonly kind: "map"; readonly values: SqlType }
  /** A tuple of a multi-variable `select` (a STRUCT v1, v2, … in SQL; an array in PQL). */
  | { readonly kind: "tuple"; readonly items: readonly SqlType[] }
  /** One group of `groupBy`: its elements (a list in PQL) and the key they share (a STRUCT k, g in SQL). */
  | { readonly kind: "group"; readonly key: SqlType; readonly items: SqlType };

export const NULL_TYPE: SqlType = { kind: "null" };
export const STRING: SqlType = { kind: "string" };
export const INTEGER: SqlType = { kind: "integer" };
export const DOUBLE: SqlType = { kind: "double" };
export const BOOLEAN: SqlType = { kind: "boolean" };
export const TIMESTAMP: SqlType = { kind: "timestamp" };
export const DATE: SqlType = { kind: "date" };

export const listOf = (items: SqlType): SqlType => ({ kind: "list", items });
export const structOf = (fields: Iterable<readonly [string, SqlType]>): SqlType => ({ kind: "struct", fields: new Map(fields) });

/** The SQL type of an XDM type: int/long → integer, date-time → timestamp (UTC), date → date. */
export function sqlTypeOfXdm(t: XdmType): SqlType {
  switch (t.kind) {
    case "string":
      return STRING;
    case "int":
    case "long":
      return INTEGER;
    case "double":
      return DOUBLE;
    case "boolean":
      return BOOLEAN;
    case "date-time":
      return TIMESTAMP;
    case "date":
      return DATE;
    case "object":
      return structOfXdm(t);
    case "array":
      return listOf(sqlTypeOfXdm(t.items));
    case "map":
      return { kind: "map", values: sqlTypeOfXdm(t.values) };
  }
}

export function structOfXdm(t: XdmObject): SqlType {
  return structOf([...t.fields].map(([name, ft]) => [name, sqlTypeOfXdm(ft)] as const));
}

export function isNumeric(t: SqlType): boolean {
  return t.kind === "integer" || t.kind === "double";
}

export function sameType(a: SqlType, b: SqlType): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case "struct": {
      const bf = (b as typeof a).fields;
      if (a.fields.size !== bf.size) return false;
      for (const [k, t] of a.fields) {
        const o = bf.get(k);
        if (o === undefined || !sameType(t, o)) return false;
      }
      return true;
    }
    case "list":
      return sameType(a.items, (b as typeof a).items);
    case "map":
      return sameType(a.values, (b as typeof a).values);
    case "tuple": {
      const bi = (b as typeof a).items;
      return a.items.length === bi.length && a.items.every((t, i) => sameType(t, bi[i] as SqlType));
    }
    case "group":
      return sameType(a.key, (b as typeof a).key) && sameType(a.items, (b as typeof a).items);
    default:
      return true;
  }
}

/**
 * The one type that holds values of both types (null joins anything, integer and double make double, lists and
 * structs join element-wise), or undefined when SQL cannot hold both in one column.
 */
export function joinTypes(a: SqlType, b: SqlType): SqlType | undefined {
  if (a.kind === "null") return b;
  if (b.kind === "null") return a;
  if (isNumeric(a) && isNumeric(b)) return a.kind === "double" || b.kind === "double" ? DOUBLE : INTEGER;
  if (a.kind !== b.kind) return undefined;
  switch (a.kind) {
    case "list": {
      const items = joinTypes(a.items, (b as typeof a).items);
      return items === undefined ? undefined : listOf(items);
    }
    case "map": {
      const values = joinTypes(a.values, (b as typeof a).values);
      return values === undefined ? undefined : { kind: "map", values };
    }
    case "struct": {
      const bf = (b as typeof a).fields;
      if (a.fields.size !== bf.size) return undefined;
      const fields: Array<[string, SqlType]> = [];
      for (const [k, t] of a.fields) {
        const o = bf.get(k);
        const j = o === undefined ? undefined : joinTypes(t, o);
        if (j === undefined) return undefined;
        fields.push([k, j]);
      }
      return structOf(fields);
    }
    case "tuple":
    case "group":
      return sameType(a, b) ? a : undefined;
    default:
      return a;
  }
}

/** A short name for messages: `list<string>`, `struct`, … */
export function describeSqlType(t: SqlType): string {
  switch (t.kind) {
    case "list":
      return `list<${describeSqlType(t.items)}>`;
    case "map":
      return `map<string, ${describeSqlType(t.values)}>`;
    case "tuple":
      return `tuple<${t.items.map(describeSqlType).join(", ")}>`;
    case "group":
      return `group<${describeSqlType(t.items)}>`;
    default:
      return t.kind;
  }
}
