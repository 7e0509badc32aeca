/**
 * The types a data file holds its columns as, so that each column is read to the value its dataset's schema and the
 * reference's readers give it (read-as.ts), whatever type the tool that wrote the file chose. Parquet files are
 * described by DuckDB itself (the types its reader gives, parsed from its type names); JSON Lines files are read with
 * the schema's own types, date-times as text.
 */
import type { SqlDialect } from "../dialect.js";
import type { SqlType } from "../types.js";
import type { SqlSession } from "./session.js";

/** How the reference's Parquet reader takes a scalar: as text, a number, a boolean, a date, an instant; or not at all. */
export type ScalarClass = "text" | "integer" | "float" | "boolean" | "date" | "instant" | "other";

export type FileType =
  | { readonly kind: ScalarClass; readonly name: string }
  | { readonly kind: "struct"; readonly name: string; readonly fields: ReadonlyMap<string, FileType> }
  | { readonly kind: "list"; readonly name: string; readonly items: FileType }
  /** `nullValues`: entries may have NULL values (Parquet maps can; JSON Lines maps cannot, validation refuses null). */
  | { readonly kind: "map"; readonly name: string; readonly keys: FileType; readonly values: FileType; readonly nullValues: boolean };

/** A file's top-level columns by exact name (a name the file lacks is a column of NULLs). */
export type FileColumns = ReadonlyMap<string, FileType>;

const SCALARS: ReadonlyMap<string, ScalarClass> = new Map([
  ...["VARCHAR", "JSON"].map((n) => [n, "text"] as const),
  ...["TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"].map((n) => [n, "integer"] as const),
  ...["FLOAT", "DOUBLE"].map((n) => [n, "float"] as const),
  ["BOOLEAN", "boolean"] as const,
  ["DATE", "date"] as const,
  ...["TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"].map((n) => [n, "instant"] as const),
]);

/** A recursive-descent reader of DuckDB's type names: `STRUCT("a b" INTEGER, c MAP(VARCHAR, DOUBLE[]))`. */
class TypeText {
  private at = 0;
  constructor(private readonly text: string) {}

  static parse(text: string): FileType {
    const reader = new TypeText(text);
    const t = reader.type();
    if (reader.at !== text.length) throw new Error(`unexpected DuckDB type text at ${reader.at}: ${text}`);
    return t;
  }

  private type(): FileType {
    const start = this.at;
    let t = this.base();
    while (this.text[this.at] === "[") {
      const close = this.text.indexOf("]", this.at);
      this.at = close + 1;
      t = { kind: "list", name: this.text.slice(start, this.at), items: t };
    }
    return t;
  }

  private base(): FileType {
    const start = this.at;
    const word = this.word();
    if ((word === "STRUCT" || word === "UNION") && this.text[this.at] === "(") {
      this.at++;
      const fields = new Map<string, FileType>();
      while (this.text[this.at] !== ")") {
        if (this.at >= this.text.length) throw new Error(`unterminated DuckDB type text: ${this.text}`);
        const name = this.fieldName();
        fields.set(name, this.type());
        if (this.text[this.at] === ",") this.at += 2;
      }
      this.at++;
      const name = this.text.slice(start, this.at);
      return word === "STRUCT" ? { kind: "struct", name, fields } : { kind: "other", name };
    }
    if (word === "MAP" && this.text[this.at] === "(") {
      this.at++;
      const keys = this.type();
      this.at += 2;
      const values = this.type();
      this.at++;
      return { kind: "map", name: this.text.slice(start, this.at), keys, values, nullValues: true };
    }
    if (this.text[this.at] === "(") this.skipArguments();
    const name = this.text.slice(start, this.at);
    return { kind: SCALARS.get(name) ?? "other", name };
  }

  /** A type name of one or more upper-case words (`TIMESTAMP WITH TIME ZONE`). */
  private word(): string {
    const m = /^[A-Z_][A-Z0-9_]*(?: WITH TIME ZONE)?/.exec(this.text.slice(this.at));
    if (m === null) throw new Error(`unexpected DuckDB type text at ${this.at}: ${this.text}`);
    this.at += m[0].length;
    return m[0];
  }

  /** A struct field's name, quoted (`"a ""b"""`) or not, and the space after it. */
  private fieldName(): string {
    if (this.text[this.at] === '"') {
      let name = "";
      for (this.at++; ; this.at++) {
        if (this.at >= this.text.length) throw new Error(`unterminated DuckDB type text: ${this.text}`);
        if (this.text[this.at] === '"') {
          if (this.text[this.at + 1] !== '"') break;
          this.at++;
        }
        name += this.text[this.at];
      }
      this.at += 2;
      return name;
    }
    const m = /^[^ ,()]+ /.exec(this.text.slice(this.at));
    if (m === null) return ""; // An unnamed member (DuckDB's reading of a Parquet union): no schema field matches it.
    this.at += m[0].length;
    return m[0].slice(0, -1);
  }

  /** `(10,2)` or `('a', 'b')`: skipped, quotes respected. */
  private skipArguments(): void {
    let depth = 0;
    let quoted = false;
    do {
      const c = this.text[this.at++];
      if (c === "'") quoted = !quoted;
      else if (!quoted && c === "(") depth++;
      else if (!quoted && c === ")") depth--;
    } while (depth > 0 && this.at < this.text.length);
  }
}

/**
 * The file type of a DuckDB type name, as DESCRIBE gives it. A name this reader does not follow (DuckDB's reading of
 * a Parquet union has unnamed members) is a type the reference does not read either: `other`, whose values read-as.ts
 * refuses loudly.
 */
export function fileTypeOfDuckDb(text: string): FileType {
  try {
    return TypeText.parse(text);
  } catch {
    return { kind: "other", name: text };
  }
}

/** The types of the columns of these Parquet files as DuckDB reads them, by path (one query for all of them). */
export async function describeParquet(paths: readonly string[], session: SqlSession, dialect: SqlDialect): Promise<Map<string, FileColumns>> {
  const out = new Map<string, Map<string, FileType>>(paths.map((p) => [p, new Map()]));
  if (paths.length === 0) return out;
  const parts = paths.map((p, i) => `SELECT ${i} AS pl_file, pl_name, pl_type FROM ${dialect.describeParquet(p)}`);
  for (const row of await session.rows(parts.join(" UNION ALL "))) {
    out.get(paths[Number(row["pl_file"])]!)!.set(String(row["pl_name"]), fileTypeOfDuckDb(String(row["pl_type"])));
  }
  return out;
}

/** The type of a JSON Lines column read as SQL type `t` (date-times as text: timestampsAsText in read-datasets.ts). */
export function jsonLinesType(t: SqlType): FileType {
  switch (t.kind) {
    case "struct":
      return { kind: "struct", name: "STRUCT", fields: new Map([...t.fields].map(([k, f]) => [k, jsonLinesType(f)] as const)) };
    case "list":
      return { kind: "list", name: "LIST", items: jsonLinesType(t.items) };
    case "map":
      return { kind: "map", name: "MAP", keys: { kind: "text", name: "VARCHAR" }, values: jsonLinesType(t.values), nullValues: false };
    case "string":
      return { kind: "text", name: "VARCHAR" };
    case "integer":
      return { kind: "integer", name: "BIGINT" };
    case "double":
      return { kind: "float", name: "DOUBLE" };
    case "boolean":
    case "date":
      return { kind: t.kind, name: t.kind.toUpperCase() };
    default:
      return { kind: "other", name: t.kind };
  }
}
