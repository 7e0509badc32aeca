/**
 * The values of an export row as SQL over a merged-profiles table: each column of the row type the JS export writes
 * (src/engine/export-shard.ts rowTypeOf), cut by the request's `fields` as src/export/projection.ts cuts a row, and
 * cast to the Parquet column types the JS writer gives them (src/io/arrow-schema.ts).
 *
 * The projection's rules, in SQL:
 * - an object keeps the selected fields and is missing when none of them is present;
 * - an array keeps each element cut to the selection, dropping elements left with nothing (and kept even if empty);
 * - a map keeps the selected keys, in the selection's order, and is missing when none is present;
 * - a scalar under a selection that goes deeper is missing.
 *
 * File types: what DuckDB's Parquet writer can match it does (names, nesting, LIST/MAP annotations, INT32 for `int`,
 * DATE). It cannot write TIMESTAMP(MILLIS, isAdjustedToUTC=true): a TIMESTAMPTZ is written as MICROS with
 * isAdjustedToUTC=true, a TIMESTAMP_MS as MILLIS without it. The instant (UTC) is what the column means, so
 * date-times are TIMESTAMPTZ (MICROS); every reader that honours the unit reads the same instants. It also names a
 * MAP's repeated group `key_value` where the JS writer says `entries` (readers go by the MAP annotation, not the
 * name), annotates strings, lists, maps and dates with the ConvertedType only (no LogicalType), which every reader
 * accepts, and integers with INT_32/INT_64 where the JS writer leaves them plain (test/sql/export-sql.test.ts lists
 * every difference).
 */
import { ALL, type Projection } from "../../export/projection.js";
import type { XdmObject, XdmType } from "../../xdm/xdm-type.js";
import type { SqlDialect } from "../dialect.js";

/** What of a value is kept: all of it, or a projection tree. */
export type Selection = Projection | typeof ALL;

/** The DuckDB type a column of this XDM type is written as (see the header for the timestamps). */
export function fileTypeName(t: XdmType, d: SqlDialect): string {
  switch (t.kind) {
    case "string":
      return "VARCHAR";
    case "int":
      return "INTEGER";
    case "long":
      return "BIGINT";
    case "double":
      return "DOUBLE";
    case "boolean":
      return "BOOLEAN";
    case "date-time":
      return "TIMESTAMPTZ";
    case "date":
      return "DATE";
    case "object":
      return `STRUCT(${[...t.fields].map(([name, ft]) => `${d.ident(name)} ${fileTypeName(ft, d)}`).join(", ")})`;
    case "array":
      return `${fileTypeName(t.items, d)}[]`;
    case "map":
      return `MAP(VARCHAR, ${fileTypeName(t.values, d)})`;
  }
}

/** Whether two types have the same kinds and field names at every level (then one CAST converts the scalars). */
function sameShape(a: XdmType, b: XdmType): boolean {
  if (a.kind === "object" && b.kind === "object") {
    const af = [...a.fields];
    const bf = [...b.fields];
    return af.length === bf.length && af.every(([name, t], i) => bf[i]![0] === name && sameShape(t, bf[i]![1]));
  }
  if (a.kind === "array" && b.kind === "array") return sameShape(a.items, b.items);
  if (a.kind === "map" && b.kind === "map") return sameShape(a.values, b.values);
  const scalar = (t: XdmType): boolean => t.kind !== "object" && t.kind !== "array" && t.kind !== "map";
  return scalar(a) && scalar(b);
}

const isContainer = (t: XdmType): boolean => t.kind === "object" || t.kind === "array" || t.kind === "map";

/** Builds the SQL of values of one source type as another (the row type's), cut by a selection. */
export class RowValues {
  constructor(private readonly d: SqlDialect) {}

  /** A typed NULL of the file type. */
  nullOf(t: XdmType): string {
    return `CAST(NULL AS ${fileTypeName(t, this.d)})`;
  }

  /** `expr` (of type `src`) whole, as type `dst`: fields matched by name, those `src` lacks NULL. */
  whole(expr: string, src: XdmType, dst: XdmType, depth = 0): string {
    const d = this.d;
    if (sameShape(src, dst)) return `CAST(${expr} AS ${fileTypeName(dst, d)})`;
    const x = `pl_w${depth}`;
    if (dst.kind === "object" && src.kind === "object") {
      const fields = [...dst.fields].map(([name, ft]) => {
        const st = src.fields.get(name);
        return [name, st === undefined ? this.nullOf(ft) : this.whole(d.field(expr, name), st, ft, depth + 1)] as const;
      });
      return d.caseWhen([[d.isNotNull(expr), d.struct(fields)]]);
    }
    if (dst.kind === "array" && src.kind === "array") return d.listTransform(expr, d.lambda([x], this.whole(x, src.items, dst.items, depth + 1)));
    if (dst.kind === "map" && src.kind === "map") {
      const entry = d.struct([
        ["key", `${x}.key`],
        ["value", this.whole(`${x}.value`, src.values, dst.values, depth + 1)],
      ]);
      return d.mapFromEntries(d.listTransform(d.mapEntries(expr), d.lambda([x], entry)));
    }
    // Types of different kinds (the union schema never joins them): nothing of the source fits.
    return isContainer(src) || isContainer(dst) ? this.nullOf(dst) : `CAST(${expr} AS ${fileTypeName(dst, d)})`;
  }

  /** Whether the value cut to `sel` is present (src/export/projection.ts `projectValue` not undefined). */
  present(expr: string, src: XdmType, sel: Selection): string {
    const d = this.d;
    if (sel === ALL || src.kind === "array") return d.isNotNull(expr);
    const parts: string[] = [];
    if (src.kind === "object") {
      for (const [name, sub] of sel) {
        const st = src.fields.get(name);
        if (st !== undefined) parts.push(this.present(d.field(expr, name), st, sub));
      }
    } else if (src.kind === "map") {
      for (const [name, sub] of sel) parts.push(this.present(d.mapGet(expr, d.string(name)), src.values, sub));
    }
    return parts.length === 0 ? "FALSE" : d.or(parts);
  }

  /** `expr` (of type `src`) cut to `sel`, as type `dst` (the projected row type's). */
  value(expr: string, src: XdmType, dst: XdmType, sel: Selection, depth = 0): string {
    const d = this.d;
    if (sel === ALL) return this.whole(expr, src, dst, depth);
    if (src.kind === "object" && dst.kind === "object") return d.caseWhen([[this.present(expr, src, sel), this.fields(expr, src, dst, sel, depth)]]);
    if (src.kind === "array" && dst.kind === "array") {
      const x = `pl_v${depth}`;
      const kept = d.listTransform(expr, d.lambda([x], this.value(x, src.items, dst.items, sel, depth + 1)));
      return d.listFilter(kept, d.lambda([x], d.isNotNull(x)));
    }
    if (src.kind === "map" && dst.kind === "map") {
      const x = `pl_v${depth}`;
      const entries = [...sel].map(([name, sub]) =>
        d.struct([
          ["key", d.string(name)],
          ["value", this.value(d.mapGet(expr, d.string(name)), src.values, dst.values, sub, depth + 1)],
        ]),
      );
      const kept = d.listFilter(`[${entries.join(", ")}]`, d.lambda([x], d.isNotNull(`${x}.value`)));
      return d.caseWhen([[this.present(expr, src, sel), d.mapFromEntries(kept)]]);
    }
    return this.nullOf(dst);
  }

  /** The struct of `dst`'s fields, each cut to its selection (NULL where `sel` or `src` has none), present or not. */
  fields(expr: string, src: XdmObject, dst: XdmObject, sel: Projection, depth = 0): string {
    const d = this.d;
    const fields = [...dst.fields].map(([name, ft]) => {
      const sub = sel.get(name);
      const st = src.fields.get(name);
      return [name, sub === undefined || st === undefined ? this.nullOf(ft) : this.value(d.field(expr, name), st, ft, sub, depth + 1)] as const;
    });
    return d.struct(fields);
  }
}
