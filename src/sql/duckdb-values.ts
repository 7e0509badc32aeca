/**
 * A value DuckDB returned (as @duckdb/node-api's `getRowObjectsJson()` writes it) → the PQL value the closure
 * compiler would give, guided by the static type the SQL compiler computed: BIGINT/HUGEINT text → number,
 * TIMESTAMP → RFC 3339 UTC, MAP entries → object, a struct's NULL fields left out (PQL has no null inside
 * objects), a select tuple → array, a group → its elements.
 */
import type { Json, JsonObject } from "../xdm/types.js";
import type { SqlType } from "./types.js";

export function fromDuckDbJson(v: unknown, t: SqlType): Json {
  if (v === null || v === undefined) return null;
  switch (t.kind) {
    case "null":
      return null;
    case "string":
      return String(v);
    case "integer":
    case "double": {
      const n = typeof v === "number" ? v : Number(v);
      return Number.isFinite(n) ? n : null;
    }
    case "boolean":
      return v === true || v === "true";
    case "timestamp":
      return timestampText(String(v));
    case "date":
      return String(v).slice(0, 10);
    case "struct": {
      const o = v as Record<string, unknown>;
      const out: JsonObject = {};
      for (const [k, ft] of t.fields) {
        const x = fromDuckDbJson(o[k], ft);
        if (x !== null) out[k] = x;
      }
      return out;
    }
    case "list":
      return (v as unknown[]).map((x) => fromDuckDbJson(x, t.items));
    case "map": {
      const out: JsonObject = {};
      for (const e of v as Array<{ key: unknown; value: unknown }>) {
        const x = fromDuckDbJson(e.value, t.values);
        if (x !== null) out[String(e.key)] = x;
      }
      return out;
    }
    case "tuple": {
      const o = v as Record<string, unknown>;
      return t.items.map((it, i) => fromDuckDbJson(o[`v${i + 1}`], it));
    }
    case "group":
      return ((v as Record<string, unknown>)["g"] as unknown[]).map((x) => fromDuckDbJson(x, t.items));
  }
}

/** DuckDB's `2018-08-28 10:00:00.5` (UTC wall clock) → `2018-08-28T10:00:00.500Z` (seconds only when whole). */
function timestampText(s: string): string {
  // TIMESTAMP WITH TIME ZONE prints the (UTC, see the prelude) offset: +00.
  const m = /^(-?\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:\+00(?::?00)?)?$/.exec(s);
  if (m === null) return s;
  const frac = m[7] === undefined ? "" : `.${m[7].padEnd(3, "0").slice(0, 3)}`;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${frac === ".000" ? "" : frac}Z`;
}
