/**
 * Where the record generators (`records.ts`) write their rows, one field at a time: JSON objects for JSON Lines
 * (`JsonRows`), or Arrow columns for Parquet (`RecordColumns`, no object a row). The generators set each row's
 * fields in the order its JSON object lists them.
 */
import type { JsonObject } from "../xdm/types.js";

/** A scalar field's value; undefined is a null (left out of a JSON object). */
export type FieldValue = string | number | boolean | undefined;

export interface RowSink {
  /** Starts the next row: the fields set until the next call are its. */
  row(): void;
  /**
   * Sets a field of the current row by its dotted path (`person.name.firstName`); the objects on the way are
   * present from then on, even when the value is undefined.
   */
  set(path: string, value: FieldValue): void;
  /** Adds one identity to the current row's identityMap, under its own namespace. */
  identity(namespace: string, id: string, authenticatedState: string, primary: boolean): void;
}

/** Rows as JSON objects. */
export class JsonRows implements RowSink {
  readonly rows: JsonObject[] = [];
  private current: JsonObject = {};

  get length(): number {
    return this.rows.length;
  }

  row(): void {
    this.current = {};
    this.rows.push(this.current);
  }

  set(path: string, value: FieldValue): void {
    const names = pathNames(path);
    let o = this.current;
    const last = names.length - 1;
    for (let i = 0; i < last; i++) o = (o[names[i]!] ??= {}) as JsonObject;
    if (value !== undefined) o[names[last]!] = value;
  }

  identity(namespace: string, id: string, authenticatedState: string, primary: boolean): void {
    const map = (this.current["identityMap"] ??= {}) as JsonObject;
    map[namespace] = [{ id, authenticatedState, primary }];
  }
}

const PATHS = new Map<string, readonly string[]>();

function pathNames(path: string): readonly string[] {
  let names = PATHS.get(path);
  if (names === undefined) {
    names = path.split(".");
    PATHS.set(path, names);
  }
  return names;
}
