/**
 * The type of a field in a (union) schema, as a tree. It drives validation of input records, the PQL type
 * checker, field projection and the Parquet/Arrow column types, so all of them agree on one schema.
 */
export type XdmScalarKind = "string" | "int" | "long" | "double" | "boolean" | "date-time" | "date";

/** A string `format` checked beyond the kinds (`date` and `date-time` are kinds of their own). */
export type XdmStringFormat = "email" | "uri" | "uri-reference";

/**
 * What a schema allows of a scalar beyond its kind: the JSON Schema validation keywords XDM field definitions
 * use, as written in the schema. Absent on most fields; only input validation reads them.
 */
export interface XdmConstraints {
  /** `enum`: the only values allowed. */
  readonly enum?: readonly (string | number | boolean)[];
  /** `minimum`/`maximum`, inclusive (for `meta:xdmType` short and byte, their ranges when narrower). */
  readonly minimum?: number;
  readonly maximum?: number;
  /** `minLength`/`maxLength`, in characters (Unicode code points, as JSON Schema counts). */
  readonly minLength?: number;
  readonly maxLength?: number;
  /** `pattern`: a regex (Java syntax, as PQL's `matches`) that a string must contain a match of. */
  readonly pattern?: string;
  readonly format?: XdmStringFormat;
}

export interface XdmScalar {
  readonly kind: XdmScalarKind;
  readonly constraints?: XdmConstraints;
}

/** An object with a fixed set of named fields (Arrow/Parquet STRUCT). */
export interface XdmObject {
  readonly kind: "object";
  /** Field name → type, in schema order (the column order of the export). */
  readonly fields: ReadonlyMap<string, XdmType>;
}

/** A list of values of one type (Parquet LIST). */
export interface XdmArray {
  readonly kind: "array";
  readonly items: XdmType;
}

/** A map from string keys to values of one type (Parquet MAP), e.g. identityMap. */
export interface XdmMap {
  readonly kind: "map";
  readonly values: XdmType;
}

export type XdmType = XdmScalar | XdmObject | XdmArray | XdmMap;

/**
 * The integers each integer `meta:xdmType` holds: the range of its Java and Parquet type (int32, int16, int8;
 * the platform's field-type table says 2147483648 and 128 for the maxima, one past what those types hold), and
 * for long the integers a JSON number holds exactly (XDM's documented ±(2^53 − 1)).
 */
export const XDM_INTEGER_RANGES = {
  long: { minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER },
  int: { minimum: -2147483648, maximum: 2147483647 },
  short: { minimum: -32768, maximum: 32767 },
  byte: { minimum: -128, maximum: 127 },
} as const;

export const scalar = (kind: XdmScalarKind, constraints?: XdmConstraints): XdmScalar => (constraints === undefined ? { kind } : { kind, constraints });
export const object = (fields: Iterable<readonly [string, XdmType]>): XdmObject => ({ kind: "object", fields: new Map(fields) });
export const array = (items: XdmType): XdmArray => ({ kind: "array", items });
export const map = (values: XdmType): XdmMap => ({ kind: "map", values });

/** identityMap: namespace → [{ id, authenticatedState, primary }]. */
export const IDENTITY_MAP_TYPE: XdmMap = map(
  array(object([["id", scalar("string")], ["authenticatedState", scalar("string")], ["primary", scalar("boolean")]])),
);

/** segmentMembership: namespace → segment id → { status, lastQualificationTime, version, validUntil }. */
export const SEGMENT_MEMBERSHIP_TYPE: XdmMap = map(
  map(
    object([
      ["status", scalar("string")],
      ["lastQualificationTime", scalar("date-time")],
      ["version", scalar("string")],
      ["validUntil", scalar("date-time")],
    ]),
  ),
);

/** A short human name for a type, for error messages ("string", "array<object>", …). */
export function describeType(t: XdmType): string {
  switch (t.kind) {
    case "object":
      return "object";
    case "array":
      return `array<${describeType(t.items)}>`;
    case "map":
      return `map<string, ${describeType(t.values)}>`;
    default:
      return t.kind;
  }
}

/** The type at a dot path below `root`, or undefined when the path is not in the schema. Map keys are any name. */
export function typeAtPath(root: XdmType, path: readonly string[]): XdmType | undefined {
  let t: XdmType | undefined = root;
  for (const name of path) {
    if (t === undefined) return undefined;
    if (t.kind === "object") t = t.fields.get(name);
    else if (t.kind === "map") t = t.values;
    else if (t.kind === "array") {
      // `.f` on an array projects over its elements (pql.md §4).
      const inner: XdmType | undefined = typeAtPath(t.items, [name]);
      t = inner === undefined ? undefined : array(inner);
    } else return undefined;
  }
  return t;
}
