/**
 * XDM type tree → Arrow schema. The Parquet column types follow from the Arrow types (parquet-wasm / arrow-rs
 * derives MAP, LIST, STRUCT and TIMESTAMP(MILLIS, UTC) annotations from them, see DEPS.md §2c).
 *
 * | XDM        | Arrow                                                    |
 * |------------|----------------------------------------------------------|
 * | string     | Utf8                                                     |
 * | int        | Int32                                                    |
 * | long       | Int64                                                    |
 * | double     | Float64                                                  |
 * | boolean    | Bool                                                     |
 * | date-time  | Timestamp(ms, "UTC")                                     |
 * | date       | Date32 (days)                                            |
 * | object     | Struct (fields in schema order)                          |
 * | array      | List<element>                                            |
 * | map        | Map<entries: struct<key: Utf8 not null, value>>          |
 *
 * Every field is nullable except map keys (and the map's `entries` struct, which the Arrow spec requires to
 * be non-null).
 */
import {
  Bool,
  DataType,
  DateDay,
  Field,
  Float64,
  Int32,
  Int64,
  List,
  Map_,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
} from "apache-arrow";
import type { XdmObject, XdmType } from "../xdm/xdm-type.js";

/** Name of the list item field (parquet `element`, the name pyarrow and DuckDB use). */
export const LIST_ITEM_NAME = "element";
/** Name of the map entries struct (parquet repeated group `entries`). */
export const MAP_ENTRIES_NAME = "entries";

/** The Arrow type of one XDM type. */
export function arrowTypeFor(t: XdmType): DataType {
  switch (t.kind) {
    case "string":
      return new Utf8();
    case "int":
      return new Int32();
    case "long":
      return new Int64();
    case "double":
      return new Float64();
    case "boolean":
      return new Bool();
    case "date-time":
      return new TimestampMillisecond("UTC");
    case "date":
      return new DateDay();
    case "object":
      return new Struct(fieldsFor(t));
    case "array":
      return new List(new Field(LIST_ITEM_NAME, arrowTypeFor(t.items), true));
    case "map": {
      const entries = new Struct([new Field("key", new Utf8(), false), new Field("value", arrowTypeFor(t.values), true)]);
      return new Map_(new Field(MAP_ENTRIES_NAME, entries, false), false);
    }
  }
}

function fieldsFor(obj: XdmObject): Field[] {
  const fields: Field[] = [];
  for (const [name, type] of obj.fields) fields.push(new Field(name, arrowTypeFor(type), true));
  return fields;
}

/** The Arrow schema of an export row: one nullable column per top-level field, in schema order. */
export function arrowSchemaFor(row: XdmObject): Schema {
  return new Schema(fieldsFor(row));
}
